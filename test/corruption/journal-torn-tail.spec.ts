import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeHashes } from '../../lib/chain';
import { SegmentLog, verifyStore } from '../../lib/segment';
import { buildStore, copyStore, engineOptions, JournalLayout, nextEvents, readCommitHashes, readJournalLayout, recordingLogger, snapshotDirectory } from '../support/corruption-store';
import { seededRandom } from '../support/seeded-random';
import { useTempDirectories } from '../support/temp-directory';

/**
 * DESIGN §3 rule 6: in the open journal, an invalid frame followed by no valid frame is a torn tail
 * (a write that was never acknowledged): it is truncated, its size logged, and the store goes on from
 * the last whole commit. The last frame is torn at every byte offset, three ways a crash leaves it:
 * the file cut short, the rest of the frame never written (zeros), or written with garbage.
 *
 * The store: two small sealed segments (segmentSizeBytes 600), then reopened with a larger segment
 * size so that the open journal holds several frames, one commit each.
 */
const SEAL_SMALL_BYTES = 600;
const SEGMENT_SIZE_BYTES = 4096;
const SEED = 0x70_12a1;
const SEALED_COMMIT_SIZES = [1, 2, 1, 3, 1, 2];
const OPEN_COMMIT_SIZES = [2, 1, 3, 1];
const LAST_COMMIT_EVENTS = 1;

/**
 * truncated: the file ends at the cut. zeroed / garbage: the frame from the cut on was never written,
 * or written with noise. unwritten-start: the frame up to and including the cut is still zeros while
 * the rest reached the disk (sectors persisted out of order).
 */
type Tear = 'truncated' | 'zeroed' | 'garbage' | 'unwritten-start';
const TEARS: Tear[] = ['truncated', 'zeroed', 'garbage', 'unwritten-start'];

/** The journal with its last frame torn at `cut` (an offset inside that frame). */
function tear(journal: JournalLayout, how: Tear, cut: number, random: () => number): Buffer {
  const last = journal.frames[journal.frames.length - 1] as { offset: number; length: number };
  const end = last.offset + last.length;
  if (how === 'truncated') return Buffer.from(journal.bytes.subarray(0, cut));
  const torn = Buffer.from(journal.bytes);
  if (how === 'unwritten-start') {
    torn.fill(0, last.offset, cut + 1);
    return torn;
  }
  for (let i = cut; i < end; i++) {
    // Garbage differs from the original in every byte, so that each cut really changes the frame.
    torn[i] = how === 'zeroed' ? 0 : (journal.bytes[i] as number) ^ (1 + Math.floor(random() * 255));
  }
  return torn;
}

/**
 * What recovery must report as the torn tail: nothing when the frame is still whole (only its zero
 * padding was "torn"); otherwise everything from the frame on, unless all of that is zeros.
 */
function expectedTornBytes(torn: Buffer, frameOffset: number, intact: boolean): number {
  if (intact) return 0;
  return torn.subarray(frameOffset).some((byte) => byte !== 0) ? torn.length - frameOffset : 0;
}

describe('a torn last journal frame', () => {
  const tempDirectory = useTempDirectories();
  let pristine: string;
  let journalName: string;
  let totalEvents: number;
  let journal: JournalLayout;
  let commitHashes: string[];
  let lastFrame: { offset: number; length: number };

  beforeAll(async () => {
    pristine = tempDirectory();
    const sealed = await buildStore(pristine, SEAL_SMALL_BYTES, SEALED_COMMIT_SIZES);
    const open = await buildStore(pristine, SEGMENT_SIZE_BYTES, OPEN_COMMIT_SIZES);
    commitHashes = [...sealed.commitHashes, ...open.commitHashes];
    totalEvents = open.events;
    const journals = readdirSync(join(pristine, 'journal'));
    expect(journals).toHaveLength(1);
    journalName = `journal/${journals[0] as string}`;
    journal = readJournalLayout(join(pristine, journalName));
    lastFrame = journal.frames[journal.frames.length - 1] as { offset: number; length: number };
  });

  test('the fixture has sealed segments and an open journal of several one-commit frames', async () => {
    expect(readdirSync(join(pristine, 'segments')).length).toBeGreaterThanOrEqual(2);
    expect(journal.frames.length).toBeGreaterThanOrEqual(4);
    expect(OPEN_COMMIT_SIZES[OPEN_COMMIT_SIZES.length - 1]).toBe(LAST_COMMIT_EVENTS);
    expect(await readCommitHashes(pristine)).toEqual(commitHashes);
    expect((await verifyStore(pristine)).head.hash).toBe(commitHashes[commitHashes.length - 1]);
  });

  test.each<Tear>(TEARS)(
    'TornLastJournalFrameAtEveryOffsetRecoversToTheLastWholeCommit (%s)',
    async (how) => {
      const directory = tempDirectory();
      copyStore(pristine, directory);
      const path = join(directory, journalName);
      const random = seededRandom(SEED);
      const failures: string[] = [];
      let lostTheTornCommit = 0;
      for (let cut = lastFrame.offset; cut < lastFrame.offset + lastFrame.length; cut++) {
        const torn = tear(journal, how, cut, random);
        writeFileSync(path, torn);
        // Zeroing the frame's trailing padding leaves it whole: then nothing is lost.
        const intact = torn.subarray(0, journal.validEnd).equals(journal.bytes.subarray(0, journal.validEnd));
        const expectedHashes = intact ? commitHashes : commitHashes.slice(0, -1);
        if (!intact) lostTheTornCommit++;
        const problem = await recoverAndContinue(directory, expectedHashes, expectedTornBytes(torn, lastFrame.offset, intact), lastFrame.offset);
        if (problem) failures.push(`cut at ${cut}: ${problem}`);
      }
      expect(failures.slice(0, 10)).toEqual([]);
      // Only zeroing the frame's few padding bytes leaves it whole; every other cut tears it.
      expect(lostTheTornCommit).toBeGreaterThan(lastFrame.length - 8);
    },
  );

  /**
   * Opens the torn store, checks it serves exactly `expectedHashes` and logged the truncation, appends
   * one commit, closes, and checks the chain verifies from genesis through the new commit. Returns
   * what went wrong, or undefined.
   */
  async function recoverAndContinue(directory: string, expectedHashes: string[], tornBytes: number, frameOffset: number): Promise<string | undefined> {
    const logger = recordingLogger();
    const log = await SegmentLog.open(engineOptions(directory, SEGMENT_SIZE_BYTES, false, logger));
    let appended: Buffer | undefined;
    let firstPosition: number;
    try {
      const events = expectedHashes.length === commitHashes.length ? totalEvents : totalEvents - LAST_COMMIT_EVENTS;
      if (log.durableNextPosition !== events) return `recovered ${log.durableNextPosition} events, not ${events}`;
      if (log.head().hash !== expectedHashes[expectedHashes.length - 1]) return 'head is not the last whole commit';
      log.onDurable((commits) => (appended = commits[0]?.block));
      const pending = log.appendCommit(nextEvents('account-after-tear', 2));
      await pending.durable;
      firstPosition = pending.firstPosition;
      if (firstPosition !== events) return `the next commit got position ${firstPosition}, not ${events}`;
    } finally {
      await log.close();
    }
    const truncationLogged = logger.warnings.filter((warning) => warning.includes(`torn tail of ${tornBytes} bytes at offset ${frameOffset}`));
    if (truncationLogged.length !== (tornBytes > 0 ? 1 : 0)) return `torn-tail warnings: ${JSON.stringify(logger.warnings)}`;
    const newHash = nodeHashes.sha256([appended as Buffer]).toString('hex');
    const report = await verifyStore(directory);
    if (report.events !== firstPosition + 2 || report.tornBytes !== 0 || report.head.hash !== newHash) {
      return `verifyStore after the append: ${JSON.stringify(report)}`;
    }
    const hashes = await readCommitHashes(directory);
    if (JSON.stringify(hashes) !== JSON.stringify([...expectedHashes, newHash])) return 'the commits read back are not the whole ones plus the new one';
    return undefined;
  }

  test.each<Tear>(TEARS)(
    'TornLastJournalFrameIsServedByAReadOnlyOpenAndVerifyStoreWithoutTruncating (%s)',
    async (how) => {
      const directory = tempDirectory();
      copyStore(pristine, directory);
      const path = join(directory, journalName);
      const random = seededRandom(SEED + 1);
      const failures: string[] = [];
      for (let cut = lastFrame.offset; cut < lastFrame.offset + lastFrame.length; cut++) {
        const torn = tear(journal, how, cut, random);
        writeFileSync(path, torn);
        const intact = torn.subarray(0, journal.validEnd).equals(journal.bytes.subarray(0, journal.validEnd));
        const events = intact ? totalEvents : totalEvents - LAST_COMMIT_EVENTS;
        const before = snapshotDirectory(directory);
        const log = await SegmentLog.open(engineOptions(directory, SEGMENT_SIZE_BYTES, true));
        const served = log.durableNextPosition;
        await log.close();
        const report = await verifyStore(directory);
        const after = snapshotDirectory(directory);
        if (served !== events) failures.push(`cut at ${cut}: read-only open served ${served} events, not ${events}`);
        if (report.events !== events || report.tornBytes !== expectedTornBytes(torn, lastFrame.offset, intact)) {
          failures.push(`cut at ${cut}: verifyStore reported ${report.events} events and ${report.tornBytes} torn bytes`);
        }
        if (after.join('\n') !== before.join('\n') || !readFileSync(path).equals(torn)) failures.push(`cut at ${cut}: something was written`);
      }
      expect(failures.slice(0, 10)).toEqual([]);
    },
  );
});
