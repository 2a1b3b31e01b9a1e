import { randomUUID } from 'node:crypto';
import { lastValueFrom, toArray } from 'rxjs';
import { EventStore, RecordedEvent } from '../../lib/store';
import { openEventStore } from '../../lib/streams';
import { FileSystem, silentLogger } from '../../lib/segment';
import { PowerLossDisk, PowerLossFileSystem } from '../support/power-loss-file-system';
import { seededRandom } from '../support/seeded-random';
import { STORE_DIRECTORY } from '../support/power-loss-workload';
import { useTempDirectories } from '../support/temp-directory';

/**
 * DESIGN §3 rule 4 from the reader's side: while appenders fill 1 KiB journals — so the store
 * rotates and seals in the background all the time — readers (readAll, readStream, iterateAll)
 * and live subscriptions run between every turn of the event loop. No read may fail, see a partial
 * segment, skip or repeat an event, or show one that is not yet acknowledged-and-durable; every
 * subscription receives every event once, in order.
 */
describe('readers through seals and journal rotation', () => {
  const tempDirectory = useTempDirectories();
  jest.setTimeout(5 * 60 * 1000);

  async function readersThroughSeals(store: EventStore, countSeals: () => number): Promise<{ reads: number; seals: number }> {
    const ids = new Map<number, string>();
    const problems: string[] = [];
    const subscribed: RecordedEvent[] = [];
    const subscription = store.subscribeToAll({ fromPosition: 'start' }).subscribe({
      next: (event) => subscribed.push(event),
      error: (error) => problems.push(`subscription: ${String(error)}`),
    });
    const streamSubscribed: RecordedEvent[] = [];
    const streamSubscription = store.subscribeToStream('stream-1').subscribe({
      next: (event) => streamSubscribed.push(event),
      error: (error) => problems.push(`stream subscription: ${String(error)}`),
    });
    let appending = true;
    let reads = 0;
    const checkPrefix = (events: RecordedEvent[], what: string): void => {
      events.forEach((event, i) => {
        if (event.position !== i) problems.push(`${what}: event ${i} at position ${event.position}`);
        else if (ids.get(i) !== event.id) problems.push(`${what}: position ${i} holds ${event.id}, the append gave ${ids.get(i)}`);
      });
    };
    const reader = async (): Promise<void> => {
      while (appending) {
        try {
          checkPrefix(await lastValueFrom(store.readAll().pipe(toArray()), { defaultValue: [] }), 'readAll');
          const iterated: RecordedEvent[] = [];
          for await (const event of store.iterateAll()) iterated.push(event);
          checkPrefix(iterated, 'iterateAll');
          const stream = await lastValueFrom(store.readStream('stream-1').pipe(toArray()), { defaultValue: [] });
          stream.forEach((event, version) => {
            if (event.version !== version || ids.get(event.position) !== event.id) problems.push(`readStream: version ${version} is ${event.version} at ${event.position}`);
          });
          reads += 3;
        } catch (error) {
          problems.push(`a read failed: ${(error as Error).stack}`);
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    const appender = async (number: number): Promise<void> => {
      for (let i = 0; i < 25; i++) {
        const events = Array.from({ length: 1 + (i % 3) }, () => ({ id: randomUUID(), type: 'Tested', data: { number, pad: 'r'.repeat((i * 53) % 300) } }));
        const result = await store.appendToStream(`stream-${number}`, events);
        events.forEach((event, j) => ids.set(result.firstPosition + j, event.id));
        // A turn of the event loop: the readers run between appends as well as between seal slices.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    const readers = [reader(), reader()];
    await Promise.all([appender(0), appender(1), appender(2)]);
    appending = false;
    await Promise.all(readers);
    await store.close();
    subscription.unsubscribe();
    streamSubscription.unsubscribe();
    checkPrefix(subscribed, 'subscribeToAll');
    if (subscribed.length !== ids.size) problems.push(`subscribeToAll received ${subscribed.length} of ${ids.size} events`);
    streamSubscribed.forEach((event, version) => {
      if (event.version !== version) problems.push(`subscribeToStream: event ${version} has version ${event.version}`);
    });
    expect(problems.slice(0, 10)).toEqual([]);
    return { reads, seals: countSeals() };
  }

  it('on the simulator (descriptors of retired journals stay readable, as on Linux)', async () => {
    const disk = new PowerLossDisk('/disk', seededRandom(7));
    const fileSystem: PowerLossFileSystem = disk.mount({ log: true });
    const store = await openEventStore({ directory: STORE_DIRECTORY, segmentSizeBytes: 1024, fileSystem, logger: silentLogger });
    const { reads, seals } = await readersThroughSeals(store, () => fileSystem.log.filter((line) => / link store\/segments\//.test(line)).length);
    expect(seals).toBeGreaterThanOrEqual(10);
    expect(reads).toBeGreaterThan(30);
  });

  it('on the real file system', async () => {
    const directory = tempDirectory();
    const fileSystem: FileSystem | undefined = undefined;
    const store = await openEventStore({ directory, segmentSizeBytes: 1024, fileSystem, logger: silentLogger });
    const { reads } = await readersThroughSeals(store, () => 0);
    expect(reads).toBeGreaterThan(30);
  });
});
