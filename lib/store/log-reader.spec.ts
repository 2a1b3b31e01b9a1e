import fc from 'fast-check';
import { lastValueFrom, toArray } from 'rxjs';
import { silentLogger } from '../segment';
import { openEventStore } from '../streams';
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
