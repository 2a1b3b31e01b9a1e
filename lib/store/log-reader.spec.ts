import fc from 'fast-check';
import { lastValueFrom, toArray } from 'rxjs';
import { validateSegment } from '../chain';
import { CorruptionError, FormatError } from '../errors';
import { decodeJournalFrame } from '../format';
import { silentLogger, StoreLayout } from '../segment';
import { openEventStore } from '../streams';
import { makeWritable, readJournalLayout, readSealedSegments, writeByteAt } from '../../test/support/corruption-store';
import { useTempDirectories } from '../../test/support/temp-directory';
import { RecordedEvent } from './types';

const tempDirectory = useTempDirectories();
const streamIds = ['a', 'b', 'c'];

const summary = (events: RecordedEvent[]) => events.map((event) => `${event.streamId}:${event.version}@${event.position}:${(event.data as { pad: string }).pad.length}`);

/**
 * Stream reads go through a window whose reads start at 1 KiB and double while records follow it
 * closely (log-reader.ts): whatever the sizes and the interleaving of the streams, across sealed
 * segments and the journal, a stream read in either direction is its events of the whole log.
 */
describe('LogReader stream reads', () => {
  test('ReadsEveryStreamAsTheLogHoldsItWhateverTheRecordSizesAndInterleaving', async () => {
    const sizes = fc.oneof(fc.integer({ min: 0, max: 900 }), fc.integer({ min: 900, max: 5000 }), fc.integer({ min: 60_000, max: 140_000 }));
    const append = fc.record({ stream: fc.integer({ min: 0, max: streamIds.length - 1 }), pads: fc.array(sizes, { minLength: 1, maxLength: 6 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(append, { minLength: 1, maxLength: 40 }), async (appends) => {
        const directory = tempDirectory();
        const options = { directory, segmentSizeBytes: 256 * 1024, durability: 'none' as const, logger: silentLogger };
        let store = await openEventStore(options);
        for (const { stream, pads } of appends) {
          await store.appendToStream(streamIds[stream] as string, pads.map((size) => ({ type: 'Padded', data: { pad: 'p'.repeat(size) } })));
        }
        await store.close();
        store = await openEventStore(options);
        const log = await lastValueFrom(store.readAll().pipe(toArray()));
        for (const streamId of streamIds) {
          const expected = log.filter((event) => event.streamId === streamId);
          const forwards = await lastValueFrom(store.readStream(streamId).pipe(toArray()));
          const backwards = await lastValueFrom(store.readStream(streamId, { direction: 'backwards' }).pipe(toArray()));
          expect(summary(forwards)).toEqual(summary(expected));
          expect(summary(backwards)).toEqual(summary(expected).reverse());
        }
        await store.close();
      }),
      { numRuns: 25 },
    );
  });
});

/** Reads the whole log forwards and backwards; each read must fail with a CorruptionError inside [start, end) of `file`. */
async function expectReadsToFailAt(store: Awaited<ReturnType<typeof openEventStore>>, file: string, start: number, end: number): Promise<void> {
  for (const direction of ['forwards', 'backwards'] as const) {
    const error = await lastValueFrom(store.readAll({ direction }).pipe(toArray())).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(CorruptionError);
    expect(error).toMatchObject({ segment: file, reason: 'checksum mismatch' });
    expect((error as CorruptionError).offset).toBeGreaterThanOrEqual(start);
    expect((error as CorruptionError).offset).toBeLessThan(end);
  }
}

/**
 * A replay checks every commit it reads against its checksum; a sealed segment's chunk is checked
 * with one pass for all its commits (commitChecksumsHold). A byte changed on disk after the open
 * (so no validation at open saw it), in a way that leaves the JSON valid, must still stop the read,
 * naming the segment and the commit that was hit, whichever commit of the chunk it is.
 */
describe('LogReader log reads of a log damaged after the open', () => {
  test('ACommitChangedOnDiskAfterOpenStopsTheReplayAtThatCommitInEitherDirection', async () => {
    const directory = tempDirectory();
    const options = { directory, segmentSizeBytes: 8 * 1024, durability: 'none' as const, logger: silentLogger };
    let store = await openEventStore(options);
    for (let i = 0; i < 60; i++) await store.appendToStream(streamIds[i % 3] as string, [{ type: 'Padded', data: { pad: 'p'.repeat(40 + i) } }]);
    await store.close();
    const [segment] = readSealedSegments(directory);
    if (!segment) throw new Error('the store sealed no segment');
    const valid = validateSegment(segment.bytes, segment.expectation);
    if (valid instanceof CorruptionError) throw valid;
    const starts = [...valid.index.commitOffsets];
    const ends = [...starts.slice(1), segment.header.indexOffset];
    makeWritable(segment.path);
    store = await openEventStore({ ...options, readOnly: true });
    for (const hit of [0, Math.floor(starts.length / 2), starts.length - 1]) {
      const pad = segment.bytes.indexOf('ppp', starts[hit]);
      expect(pad).toBeLessThan(ends[hit] as number);
      writeByteAt(segment.path, pad, 'q'.charCodeAt(0));
      await expectReadsToFailAt(store, segment.name, starts[hit] as number, ends[hit] as number);
      writeByteAt(segment.path, pad, 'p'.charCodeAt(0));
    }
    expect(await lastValueFrom(store.readAll().pipe(toArray()))).toHaveLength(60);
    await store.close();
  });

  test('ACommitChangedInAJournalFrameAfterOpenStopsTheReplayAtThatCommit', async () => {
    // Appends started together go out as one frame: its commits lie end to end, checked in one pass.
    const directory = tempDirectory();
    const options = { directory, durability: 'none' as const, logger: silentLogger };
    let store = await openEventStore(options);
    for (let batch = 0; batch < 4; batch++) {
      await Promise.all(streamIds.map((streamId, i) => store.appendToStream(streamId, [{ type: 'Padded', data: { pad: 'p'.repeat(40 + 3 * batch + i) } }])));
    }
    await store.close();
    const path = new StoreLayout(directory).journalPath(1);
    const journal = readJournalLayout(path);
    const frame = decodeJournalFrame(journal.bytes, (journal.frames[1] as { offset: number }).offset, journal.header.salt);
    if (frame instanceof FormatError) throw frame;
    expect(frame.commits).toHaveLength(streamIds.length);
    store = await openEventStore({ ...options, readOnly: true });
    for (const commit of frame.commits) {
      const pad = journal.bytes.indexOf('ppp', commit.offset);
      expect(pad).toBeLessThan(commit.offset + commit.length);
      writeByteAt(path, pad, 'q'.charCodeAt(0));
      await expectReadsToFailAt(store, StoreLayout.journalName(1), commit.offset, commit.offset + commit.length);
      writeByteAt(path, pad, 'p'.charCodeAt(0));
    }
    expect(await lastValueFrom(store.readAll().pipe(toArray()))).toHaveLength(4 * streamIds.length);
    await store.close();
  });
});
