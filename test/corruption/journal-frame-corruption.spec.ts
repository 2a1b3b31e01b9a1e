import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { genesisHash, nodeHashes } from '../../lib/chain';
import { CorruptionError } from '../../lib/errors';
import { encodeCommitBlock, encodeJournalFrame, FRAME_HEADER_BYTES, JOURNAL_HEADER_BYTES, readU64 } from '../../lib/format';
import { SegmentLog, verifyStore } from '../../lib/segment';
import {
  buildStore,
  copyStore,
  engineOptions,
  JournalLayout,
  nextEvents,
  openError,
  readCommitHashes,
  readJournalLayout,
  recordingLogger,
  rejectionOf,
  snapshotDirectory,
  writeByteAt,
} from '../support/corruption-store';
import { useTempDirectories } from '../support/temp-directory';

/**
 * DESIGN §3 rules 3 and 6. An invalid frame followed by a valid one means acknowledged data was
 * damaged: the open is refused, the file and the frame's offset are named, nothing is truncated.
 * And a frame of another journal file (another salt) never validates, so stale bytes in the
 * preallocated space are never replayed, even when they would continue the chain.
 */
const SEAL_SMALL_BYTES = 600;
const SEGMENT_SIZE_BYTES = 4096;

function describeError(error: unknown): string {
  return error instanceof CorruptionError ? `CorruptionError(${error.segment} @${error.offset}: ${error.reason})` : String(error);
}

describe('damage inside the open journal', () => {
  const tempDirectory = useTempDirectories();
  let pristine: string;
  let journalName: string;
  let journal: JournalLayout;

  beforeAll(async () => {
    pristine = tempDirectory();
    await buildStore(pristine, SEAL_SMALL_BYTES, [1, 2, 1, 3, 1, 2]);
    await buildStore(pristine, SEGMENT_SIZE_BYTES, [2, 1, 3, 1]);
    const journals = readdirSync(join(pristine, 'journal'));
    expect(journals).toHaveLength(1);
    journalName = `journal/${journals[0] as string}`;
    journal = readJournalLayout(join(pristine, journalName));
  });

  test('the fixture journal holds several frames, and opens', async () => {
    expect(journal.frames.length).toBeGreaterThanOrEqual(4);
    expect(readdirSync(join(pristine, 'segments')).length).toBeGreaterThanOrEqual(2);
    expect(await openError(pristine, SEGMENT_SIZE_BYTES)).toBeUndefined();
  });

  test('InvalidFrameFollowedByAValidFrameRefusesToOpenAndTruncatesNothing', async () => {
    // One bit flipped in every byte of every frame but the last (header, commits, padding alike):
    // the writable open refuses, naming the journal and that frame, and changes nothing. The
    // read-only open and verifyStore say the same (checked on every third byte, to keep it quick).
    const directory = tempDirectory();
    copyStore(pristine, directory);
    const path = join(directory, journalName);
    const before = snapshotDirectory(directory);
    const failures: string[] = [];
    let damaged = 0;
    for (const [i, frame] of journal.frames.slice(0, -1).entries()) {
      const next = journal.frames[i + 1] as { offset: number };
      for (let byte = frame.offset; byte < frame.offset + frame.length; byte++) {
        const original = journal.bytes[byte] as number;
        const flipped = original ^ (1 << (byte & 7));
        writeByteAt(path, byte, flipped);
        damaged++;
        const outcomes: Record<string, unknown> = { open: await openError(directory, SEGMENT_SIZE_BYTES) };
        if (byte % 3 === 0) {
          outcomes['read-only open'] = await openError(directory, SEGMENT_SIZE_BYTES, true);
          outcomes.verifyStore = await rejectionOf(verifyStore(directory));
        }
        for (const [what, error] of Object.entries(outcomes)) {
          const named =
            error instanceof CorruptionError &&
            error.segment === journalName &&
            error.offset === frame.offset &&
            error.reason.endsWith(`followed by a valid frame at offset ${next.offset}`);
          if (!named) failures.push(`byte ${byte} (frame at ${frame.offset}), ${what}: ${describeError(error)}`);
        }
        const now = readFileSync(path);
        if (now.length !== journal.bytes.length || now[byte] !== flipped) failures.push(`byte ${byte}: the journal was changed`);
        writeByteAt(path, byte, original);
      }
    }
    expect(damaged).toBeGreaterThan(300);
    expect(failures.slice(0, 20)).toEqual([]);
    // Every damaged byte was put back and nothing else was touched: the directory is as it was.
    expect(snapshotDirectory(directory)).toEqual(before);
  });

  test('DamagedJournalHeaderRefusesToOpenAndNamesTheJournal', async () => {
    // The header is fsynced before the file gets its name, so damage to it is never a torn write.
    const directory = tempDirectory();
    copyStore(pristine, directory);
    const path = join(directory, journalName);
    const failures: string[] = [];
    for (let byte = 0; byte < JOURNAL_HEADER_BYTES; byte++) {
      const bytes = Buffer.from(journal.bytes);
      bytes[byte] = (bytes[byte] as number) ^ (1 << (byte & 7));
      writeFileSync(path, bytes);
      for (const readOnly of [false, true]) {
        const error = await openError(directory, SEGMENT_SIZE_BYTES, readOnly);
        if (!(error instanceof CorruptionError && error.segment === journalName && error.offset < JOURNAL_HEADER_BYTES)) {
          failures.push(`byte ${byte}${readOnly ? ' (read-only)' : ''}: ${describeError(error)}`);
        }
      }
      if (!readFileSync(path).equals(bytes)) failures.push(`byte ${byte}: the journal was changed`);
    }
    expect(failures).toEqual([]);
  });

  test('ValidFrameWhoseCommitDoesNotNameThePreviousCommitRefusesToOpen', async () => {
    // A frame with this journal's salt, the next positions and a correct checksum, but whose commit
    // names another parent (the genesis hash): no torn write makes a valid frame, so this is damage.
    const directory = tempDirectory();
    copyStore(pristine, directory);
    const { events } = await verifyStore(directory);
    const lastFrame = journal.frames[journal.frames.length - 1] as { offset: number; length: number };
    const lastRecordedAtMs = readU64(journal.bytes, lastFrame.offset + FRAME_HEADER_BYTES + 24);
    const storeId = journal.header.storeId;
    const commit = encodeCommitBlock({ firstPosition: events, recordedAtMs: lastRecordedAtMs, parentHash: genesisHash(storeId), events: nextEvents('account-unlinked', 1) });
    const bytes = Buffer.from(journal.bytes);
    encodeJournalFrame(journal.header.salt, events, [commit]).copy(bytes, journal.validEnd);
    writeFileSync(join(directory, journalName), bytes);
    const before = snapshotDirectory(directory);
    for (const error of [
      await openError(directory, SEGMENT_SIZE_BYTES),
      await openError(directory, SEGMENT_SIZE_BYTES, true),
      await rejectionOf(verifyStore(directory)),
    ]) {
      expect(error).toBeInstanceOf(CorruptionError);
      const { segment, offset, reason } = error as CorruptionError;
      expect({ segment, offset, reason }).toEqual({
        segment: journalName,
        offset: journal.validEnd + FRAME_HEADER_BYTES + 32,
        reason: 'parent hash is not the hash of the previous commit',
      });
    }
    expect(snapshotDirectory(directory)).toEqual(before);
  });

  describe('stale frames', () => {
    /** Opens, checks that `events` events are served and the stale bytes were dropped as a torn tail, appends, verifies. */
    async function expectStaleBytesDropped(directory: string, expectedHashes: string[], events: number): Promise<void> {
      const before = await verifyStore(directory);
      expect({ events: before.events, torn: before.tornBytes > 0 }).toEqual({ events, torn: true });
      const logger = recordingLogger();
      const log = await SegmentLog.open(engineOptions(directory, SEGMENT_SIZE_BYTES, false, logger));
      let appended: Buffer | undefined;
      try {
        expect(log.durableNextPosition).toBe(events);
        expect(log.head().hash).toBe(expectedHashes[expectedHashes.length - 1]);
        log.onDurable((commits) => (appended = commits[0]?.block));
        const pending = log.appendCommit(nextEvents('account-after-stale', 1));
        await pending.durable;
        expect(pending.firstPosition).toBe(events);
      } finally {
        await log.close();
      }
      expect(logger.warnings).toEqual([expect.stringContaining(`torn tail of ${before.tornBytes} bytes`)]);
      const newHash = nodeHashes.sha256([appended as Buffer]).toString('hex');
      const after = await verifyStore(directory);
      expect({ events: after.events, tornBytes: after.tornBytes, head: after.head.hash }).toEqual({ events: events + 1, tornBytes: 0, head: newHash });
      expect(await readCommitHashes(directory)).toEqual([...expectedHashes, newHash]);
    }

    test('StaleFrameOfAnotherJournalThatWouldContinueTheChainIsNeverReplayed', async () => {
      // The worst stale frame: right after the valid data, the next position, the right parent hash,
      // a correct checksum; only its salt is another journal's.
      const directory = tempDirectory();
      copyStore(pristine, directory);
      const hashes = await readCommitHashes(directory);
      const { events, head } = await verifyStore(directory);
      const lastFrame = journal.frames[journal.frames.length - 1] as { offset: number; length: number };
      const lastRecordedAtMs = readU64(journal.bytes, lastFrame.offset + FRAME_HEADER_BYTES + 24);
      const commit = encodeCommitBlock({
        firstPosition: events,
        recordedAtMs: lastRecordedAtMs + 1,
        parentHash: Buffer.from(head.hash, 'hex'),
        events: nextEvents('account-stale', 2),
      });
      const otherSalt = Buffer.from(journal.header.salt.map((byte) => byte ^ 0xa5));
      const stale = encodeJournalFrame(otherSalt, events, [commit]);
      const bytes = Buffer.from(journal.bytes);
      stale.copy(bytes, journal.validEnd);
      writeFileSync(join(directory, journalName), bytes);
      // The same frame with this journal's salt would be replayed: the salt is the only thing refused.
      const replayable = encodeJournalFrame(journal.header.salt, events, [commit]);
      const control = tempDirectory();
      copyStore(pristine, control);
      writeFileSync(join(control, journalName), Buffer.concat([journal.bytes.subarray(0, journal.validEnd), replayable]));
      expect((await verifyStore(control)).events).toBe(events + 2);

      await expectStaleBytesDropped(directory, hashes, events);
    });

    test('FramesOfAnEarlierJournalFileLeftInThePreallocatedSpaceAreNeverReplayed', async () => {
      // A journal that is retired, then its bytes found again in the next journal's preallocated
      // space (a file system that hands out old blocks): real frames of a real earlier file.
      const directory = tempDirectory();
      await buildStore(directory, SEGMENT_SIZE_BYTES, [1, 2, 1, 1]);
      const earlier = readJournalLayout(join(directory, 'journal/00000001.wal'));
      // Reopened with a segment size its journal already reaches: journal 1 is sealed, journal 2 opens.
      const reopened = await buildStore(directory, earlier.validEnd - JOURNAL_HEADER_BYTES, [1, 2]);
      expect(readdirSync(join(directory, 'journal'))).toEqual(['00000002.wal']);
      const current = readJournalLayout(join(directory, 'journal/00000002.wal'));
      expect(current.frames).toHaveLength(2);
      const hashes = await readCommitHashes(directory);
      const bytes = Buffer.from(current.bytes);
      earlier.bytes.copy(bytes, current.validEnd, JOURNAL_HEADER_BYTES, earlier.validEnd);
      writeFileSync(join(directory, 'journal/00000002.wal'), bytes);

      await expectStaleBytesDropped(directory, hashes, reopened.events);
    });
  });
});
