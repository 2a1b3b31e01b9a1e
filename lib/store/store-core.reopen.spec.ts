import { lastValueFrom, toArray } from 'rxjs';
import { openEventStore } from '../streams';
import { StoreCore } from './store-core';
import { silentLogger } from '../segment';
import { useTempDirectories } from '../../test/support/temp-directory';

const tempDirectory = useTempDirectories();
const streamIds = ['alpha', 'beta', 'gamma', 'delta'];

describe('a journal found at open', () => {
  test('TheReopenedJournalsEventsAreReadableBeforeAndAfterItIsSealedWhileTheStoreRuns', async () => {
    const directory = tempDirectory();
    // Big enough that the first session leaves everything in the journal.
    const options = { directory, segmentSizeBytes: 8 * 1024, logger: silentLogger };
    let store = await openEventStore(options);
    for (let i = 0; i < 24; i++) await store.appendToStream(streamIds[i % 4] as string, [{ type: 'Before', data: { i } }]);
    await store.close();

    store = await openEventStore(options);
    const readVersions = async () =>
      Promise.all(streamIds.map(async (id) => (await lastValueFrom(store.readStream(id).pipe(toArray()))).map((e) => `${e.version}:${(e.data as { i: number }).i}`)));
    const expected = streamIds.map((_, s) => Array.from({ length: 6 }, (__, v) => `${v}:${v * 4 + s}`));
    await expect(readVersions()).resolves.toEqual(expected);
    await expect(store.streamVersion('gamma')).resolves.toBe(5);

    // Append until the reopened journal is sealed (and more), then read everything again.
    for (let i = 24; i < 120; i++) {
      await store.appendToStream(streamIds[i % 4] as string, [{ type: 'After', data: { i, pad: 'x'.repeat(40) } }], { expectedVersion: Math.floor(i / 4) - 1 });
    }
    const report = await store.verify();
    expect(report.segments).toBeGreaterThanOrEqual(1);
    const all = streamIds.map((_, s) => Array.from({ length: 30 }, (__, v) => `${v}:${v * 4 + s}`));
    await expect(readVersions()).resolves.toEqual(all);
    await expect(store.streamVersion('delta')).resolves.toBe(29);
    const backwards = await lastValueFrom(store.readStream('beta', { direction: 'backwards', maxCount: 3 }).pipe(toArray()));
    expect(backwards.map((e) => e.version)).toEqual([29, 28, 27]);
    await store.close();
  });
});

describe('a read-only store following a writer', () => {
  test('AStreamIndexedFromTheJournalAtOpenIsFoundAgainWhenTheWriterSealsThatJournalWithNewStreamsInIt', async () => {
    const directory = tempDirectory();
    const writer = await StoreCore.open({ directory, segmentSizeBytes: 4 * 1024, durability: 'none', logger: silentLogger });
    // The reader indexes the journal as [alpha, gamma] at open...
    for (let i = 0; i < 4; i++) {
      await writer.append('alpha', [{ type: 'A', data: { i } }]);
      await writer.append('gamma', [{ type: 'G', data: { i } }]);
    }
    const reader = await StoreCore.open({ directory, readOnly: true, durability: 'none', logger: silentLogger });
    const gammaEvents = () => [...reader.streamChunks('gamma', 0, reader.durableStreamVersion('gamma'), 'forwards', Number.POSITIVE_INFINITY, 100)].flatMap((chunk) => chunk.events);
    try {
      // Reading gamma now resolves its state against the journal's index: entry 1 of [alpha, gamma].
      expect(gammaEvents().map((event) => event.version)).toEqual([0, 1, 2, 3]);
      // ...then the writer puts 'beta' (which sorts between them) into that journal and seals it.
      for (let i = 0; i < 40; i++) await writer.append('beta', [{ type: 'B', data: { i, pad: 'x'.repeat(100) } }]);
      await writer.close(); // settles every seal
      // A journal sealed while a refresh reads it is picked up, as its segment, by the next refresh.
      for (let turn = 0; turn < 5 && reader.durableNextPosition < 48; turn++) await reader.refresh();
      expect(reader.durableNextPosition).toBe(48);
      expect(reader.head().segment).toBeGreaterThan(1);
      // In the sealed segment's index [alpha, beta, gamma], entry 1 is beta: gamma must be found again.
      expect(gammaEvents().map((event) => [event.streamId, event.type, event.version])).toEqual([0, 1, 2, 3].map((v) => ['gamma', 'G', v]));
      expect(reader.durableStreamVersion('beta')).toBe(39);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
