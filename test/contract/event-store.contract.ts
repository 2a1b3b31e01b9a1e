import { randomUUID } from 'node:crypto';
import { firstValueFrom, lastValueFrom, Observable, take, toArray } from 'rxjs';
import {
  EventStore,
  IdempotencyConflictError,
  InvalidEventError,
  InvalidOptionsError,
  NewEvent,
  RecordedEvent,
  StoreClosedError,
  WrongExpectedVersionError,
} from '../../lib';

/** Opens the same store again and again (close the previous one first); each harness is a new, empty store. */
export interface ContractHarness {
  open(): Promise<EventStore>;
}

const event = (type: string, data: unknown = {}, extra: Partial<NewEvent> = {}): NewEvent => ({ type, data, ...extra });
const all = <T>(observable: Observable<T>): Promise<T[]> => lastValueFrom(observable.pipe(toArray()));
const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The behaviour every EventStore implementation must have (DESIGN §1). */
export function describeEventStoreContract(name: string, createHarness: () => Promise<ContractHarness>): void {
  describe(`${name}: EventStore contract`, () => {
    let harness: ContractHarness;
    let store: EventStore;
    beforeEach(async () => {
      harness = await createHarness();
      store = await harness.open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('appendToStream', () => {
      test('given no stream, when events are appended, then they read back with versions and positions from 0', async () => {
        const result = await store.appendToStream('account-1', [event('Opened', { owner: 'ada' }), event('Deposited', { amount: 10 })]);
        expect(result).toEqual({ streamId: 'account-1', firstVersion: 0, lastVersion: 1, firstPosition: 0, lastPosition: 1 });
        const events = await all(store.readStream('account-1'));
        expect(events.map((e) => [e.type, e.version, e.position, e.data])).toEqual([
          ['Opened', 0, 0, { owner: 'ada' }],
          ['Deposited', 1, 1, { amount: 10 }],
        ]);
        expect(events[0]?.metadata).toEqual({});
        expect(events[0]?.recordedAt).toBeInstanceOf(Date);
        expect(events[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
      });

      test('events read back are plain objects, as equal to literals as any other JSON-shaped object', async () => {
        await store.appendToStream('plain', [event('Opened', { owner: 'ada' })]);
        const live = firstValueFrom(store.subscribeToAll({ fromPosition: 'end' }));
        await store.appendToStream('plain', [event('Closed')]);
        const read = [...(await all(store.readStream('plain'))), ...(await all(store.readAll())), ...(await collect(store.iterateAll())), await live];
        expect(read).toHaveLength(7);
        for (const recorded of read) {
          expect(Object.getPrototypeOf(recorded)).toBe(Object.prototype);
          expect(recorded).toStrictEqual({ ...recorded });
        }
      });

      test('given ids and metadata, when appended, then they are kept exactly', async () => {
        const id = randomUUID();
        await store.appendToStream('s', [event('T', [1, 'two', null, { n: 3.5 }], { id, metadata: { correlationId: 'c-1' } })]);
        const [read] = await all(store.readStream('s'));
        expect(read).toMatchObject({ id, data: [1, 'two', null, { n: 3.5 }], metadata: { correlationId: 'c-1' } });
      });

      test.each([
        ['no-stream', -1, true],
        ['no-stream', 0, false],
        ['stream-exists', -1, false],
        ['stream-exists', 0, true],
        [0, 0, true],
        [1, 0, false],
        ['any', -1, true],
        ['any', 3, true],
      ] as const)('given expectedVersion %p and a stream at %p, then the append succeeds: %p', async (expected, actual, succeeds) => {
        for (let version = 0; version <= actual; version++) await store.appendToStream('s', [event('Seed')]);
        const append = store.appendToStream('s', [event('Checked')], { expectedVersion: expected });
        if (succeeds) {
          await expect(append).resolves.toMatchObject({ firstVersion: actual + 1 });
        } else {
          await expect(append).rejects.toBeInstanceOf(WrongExpectedVersionError);
          await expect(store.streamVersion('s')).resolves.toBe(actual);
        }
      });

      test('when the expected version is wrong, then the error names the stream and both versions', async () => {
        await store.appendToStream('s', [event('A'), event('B')]);
        const error = await store.appendToStream('s', [event('C')], { expectedVersion: 0 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamId: 's', expectedVersion: 0, actualVersion: 1 });
      });

      test('when 50 appends race on one expected version, then exactly one wins and no events interleave', async () => {
        await store.appendToStream('race', [event('Start')]);
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => store.appendToStream('race', [event('Move', { i }), event('Move', { i })], { expectedVersion: 0 })),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(49);
        for (const loss of lost) expect(loss.reason).toBeInstanceOf(WrongExpectedVersionError);
        const events = await all(store.readStream('race'));
        expect(events).toHaveLength(3);
        expect((events[1]?.data as { i: number }).i).toBe((events[2]?.data as { i: number }).i);
      });

      test('given concurrent appends to many streams, then global positions are dense and each commit is contiguous', async () => {
        await Promise.all(Array.from({ length: 40 }, (_, i) => store.appendToStream(`s-${i % 5}`, [event('A', { i }), event('B', { i })])));
        const events = await all(store.readAll());
        expect(events.map((e) => e.position)).toEqual(Array.from({ length: 80 }, (_, i) => i));
        for (let i = 0; i < 80; i += 2) expect((events[i]?.data as { i: number }).i).toBe((events[i + 1]?.data as { i: number }).i);
      });
    });

    describe('idempotent retries', () => {
      test('when an append with ids is retried, then nothing is written and the original result comes back', async () => {
        const events = [event('A', {}, { id: randomUUID() }), event('B', {}, { id: randomUUID() })];
        const first = await store.appendToStream('s', events, { expectedVersion: 'no-stream' });
        const retry = await store.appendToStream('s', events, { expectedVersion: 'no-stream' });
        expect(retry).toEqual(first);
        await expect(store.streamVersion('s')).resolves.toBe(1);
      });

      test('when a retry arrives while the original is still pending, then it resolves to the same result once durable', async () => {
        const events = [event('A', {}, { id: randomUUID() })];
        const [first, retry] = await Promise.all([store.appendToStream('s', events), store.appendToStream('s', events)]);
        expect(retry).toEqual(first);
        await expect(store.streamVersion('s')).resolves.toBe(0);
      });

      test('when ids partly match the last events, then IdempotencyConflictError and nothing is written', async () => {
        const a = randomUUID();
        await store.appendToStream('s', [event('A', {}, { id: a })]);
        const append = store.appendToStream('s', [event('A', {}, { id: a }), event('B', {}, { id: randomUUID() })]);
        await expect(append).rejects.toBeInstanceOf(IdempotencyConflictError);
        await expect(store.streamVersion('s')).resolves.toBe(0);
      });
    });

    describe('bad input is refused with InvalidEventError naming the field, and writes nothing', () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      test.each([
        ['empty stream id', '', [event('A')], 'streamId'],
        ['non-string stream id', 42, [event('A')], 'streamId'],
        ['stream id over 1 KiB', 'x'.repeat(1025), [event('A')], 'streamId'],
        ['no events', 's', [], 'events'],
        ['events not an array', 's', 'nope', 'events'],
        ['missing type', 's', [event('A'), { data: {} }], 'events[1].type'],
        ['empty type', 's', [event('')], 'events[0].type'],
        ['type over 1 KiB', 's', [event('T'.repeat(1025))], 'events[0].type'],
        ['circular data', 's', [event('A', circular)], 'events[0].data'],
        ['BigInt data', 's', [event('A', { n: BigInt(1) })], 'events[0].data'],
        ['a function in data', 's', [event('A', { f: () => 1 })], 'events[0].data'],
        ['NaN in data', 's', [event('A', { n: Number.NaN })], 'events[0].data'],
        ['a Map in data', 's', [event('A', { m: new Map() })], 'events[0].data'],
        ['undefined data', 's', [{ type: 'A', data: undefined }], 'events[0].data'],
        ['metadata not an object', 's', [event('A', {}, { metadata: 'x' as never })], 'events[0].metadata'],
        ['an id that is not a UUID', 's', [event('A', {}, { id: 'not-a-uuid' })], 'events[0].id'],
        ['a repeated id', 's', [event('A', {}, { id: '6f1c2b9e-0c1d-4a5b-8c7d-1e2f3a4b5c6d' }), event('B', {}, { id: '6f1c2b9e-0c1d-4a5b-8c7d-1e2f3a4b5c6d' })], 'events[1].id'],
        ['an event over the size limit', 's', [event('A', { big: 'x'.repeat(17 * 1024 * 1024) })], 'events[0]'],
      ])('%s', async (_, streamId, events, field) => {
        const before = await store.head();
        const error = await store.appendToStream(streamId as string, events as NewEvent[]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidEventError);
        expect((error as InvalidEventError).field).toBe(field);
        expect((error as Error).message).toContain(field);
        await expect(store.head()).resolves.toEqual(before);
      });

      test('a bad expectedVersion is refused', async () => {
        await expect(store.appendToStream('s', [event('A')], { expectedVersion: -2 })).rejects.toBeInstanceOf(InvalidEventError);
        await expect(store.appendToStream('s', [event('A')], { expectedVersion: 'latest' as never })).rejects.toBeInstanceOf(InvalidEventError);
      });

      test('bad read options are refused with InvalidOptionsError', () => {
        expect(() => store.readStream('s', { fromVersion: -1 })).toThrow(InvalidOptionsError);
        expect(() => store.readAll({ direction: 'sideways' as never })).toThrow(InvalidOptionsError);
        expect(() => store.readAll({ maxCount: 1.5 })).toThrow(InvalidOptionsError);
        expect(() => store.readAll({ asOf: new Date('nope') })).toThrow(InvalidOptionsError);
        expect(() => store.readAll({ filter: { eventTypes: 'A' as never } })).toThrow(InvalidOptionsError);
        expect(() => store.subscribeToAll({ fromPosition: 'middle' as never })).toThrow(InvalidOptionsError);
        expect(() => store.readStream('')).toThrow(InvalidEventError);
      });
    });

    describe('readStream', () => {
      beforeEach(async () => {
        for (let i = 0; i < 10; i++) {
          await store.appendToStream('target', [event('T', { i })]);
          await store.appendToStream('other', [event('O', { i })]);
        }
      });

      test('a missing stream completes empty', async () => {
        await expect(all(store.readStream('missing'))).resolves.toEqual([]);
        await expect(store.streamVersion('missing')).resolves.toBe(-1);
      });

      test('reads one stream only, from a version, forwards and backwards, with maxCount', async () => {
        const versions = async (options: Parameters<EventStore['readStream']>[1]) => (await all(store.readStream('target', options))).map((e) => e.version);
        await expect(versions({})).resolves.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        await expect(versions({ fromVersion: 7 })).resolves.toEqual([7, 8, 9]);
        await expect(versions({ direction: 'backwards', maxCount: 3 })).resolves.toEqual([9, 8, 7]);
        await expect(versions({ direction: 'backwards', fromVersion: 2 })).resolves.toEqual([2, 1, 0]);
        await expect(versions({ fromVersion: 3, maxCount: 2 })).resolves.toEqual([3, 4]);
        await expect(versions({ fromVersion: 99 })).resolves.toEqual([]);
      });

      test('iterateStream gives the same events as readStream', async () => {
        const observed = await all(store.readStream('target', { fromVersion: 4 }));
        await expect(collect(store.iterateStream('target', { fromVersion: 4 }))).resolves.toEqual(observed);
      });
    });

    describe('readAll', () => {
      beforeEach(async () => {
        for (let i = 0; i < 6; i++) await store.appendToStream(i % 2 === 0 ? 'order-1' : 'invoice-1', [event(i % 3 === 0 ? 'Created' : 'Changed', { i })]);
      });

      test('reads every event in global order, from a position, backwards, with maxCount', async () => {
        const positions = async (options: Parameters<EventStore['readAll']>[0]) => (await all(store.readAll(options))).map((e) => e.position);
        await expect(positions({})).resolves.toEqual([0, 1, 2, 3, 4, 5]);
        await expect(positions({ fromPosition: 4 })).resolves.toEqual([4, 5]);
        await expect(positions({ direction: 'backwards' })).resolves.toEqual([5, 4, 3, 2, 1, 0]);
        await expect(positions({ direction: 'backwards', fromPosition: 2, maxCount: 2 })).resolves.toEqual([2, 1]);
        await expect(positions({ maxCount: 0 })).resolves.toEqual([]);
      });

      test('reads a commit of several events backwards in reverse position order, filtered or not, from inside it', async () => {
        await store.appendToStream('batch', [event('Created', { n: 0 }), event('Changed', { n: 1 }), event('Created', { n: 2 })]);
        const positions = async (options: Parameters<EventStore['readAll']>[0]) => (await all(store.readAll(options))).map((e) => e.position);
        await expect(positions({ direction: 'backwards', maxCount: 4 })).resolves.toEqual([8, 7, 6, 5]);
        await expect(positions({ direction: 'backwards', fromPosition: 7, maxCount: 3 })).resolves.toEqual([7, 6, 5]);
        await expect(positions({ direction: 'backwards', filter: { eventTypes: ['Created'] } })).resolves.toEqual([8, 6, 3, 0]);
      });

      test('filters by event type and by stream prefix', async () => {
        const types = await all(store.readAll({ filter: { eventTypes: ['Created'] } }));
        expect(types.map((e) => e.position)).toEqual([0, 3]);
        const orders = await all(store.readAll({ filter: { streamPrefix: 'order-' } }));
        expect(orders.map((e) => e.position)).toEqual([0, 2, 4]);
        const both = await all(store.readAll({ filter: { streamPrefix: 'order-', eventTypes: ['Created'] }, maxCount: 1 }));
        expect(both.map((e) => e.position)).toEqual([0]);
      });

      test('iterateAll gives the same events as readAll', async () => {
        const observed = await all(store.readAll({ direction: 'backwards' }));
        await expect(collect(store.iterateAll({ direction: 'backwards' }))).resolves.toEqual(observed);
      });
    });

    describe('asOf', () => {
      test('gives the stream and the log as they were at an instant', async () => {
        await store.appendToStream('s', [event('Early', { n: 1 })]);
        await store.appendToStream('s', [event('Early', { n: 2 })]);
        await sleep(15);
        const instant = new Date();
        await sleep(15);
        await store.appendToStream('s', [event('Late', { n: 3 })]);
        const stream = await all(store.readStream('s', { asOf: instant }));
        expect(stream.map((e) => e.version)).toEqual([0, 1]);
        const backwards = await all(store.readStream('s', { asOf: instant, direction: 'backwards' }));
        expect(backwards.map((e) => e.version)).toEqual([1, 0]);
        const log = await all(store.readAll({ asOf: instant }));
        expect(log.map((e) => e.position)).toEqual([0, 1]);
        const before = await all(store.readAll({ asOf: new Date(0) }));
        expect(before).toEqual([]);
        const recorded = (await all(store.readAll())).map((e) => e.recordedAt.getTime());
        expect([...recorded].sort((a, b) => a - b)).toEqual(recorded);
      });
    });

    describe('subscriptions', () => {
      test('subscribeToAll from the start while 10 writers append sees every position exactly once, in order', async () => {
        await store.appendToStream('before', [event('Old')]);
        const total = 1 + 10 * 20;
        const seen = firstValueFrom(store.subscribeToAll({ fromPosition: 'start' }).pipe(take(total), toArray()));
        await Promise.all(
          Array.from({ length: 10 }, async (_, writer) => {
            for (let i = 0; i < 20; i++) await store.appendToStream(`writer-${writer}`, [event('New', { writer, i })]);
          }),
        );
        const events = await seen;
        expect(events.map((e) => e.position)).toEqual(Array.from({ length: total }, (_, i) => i));
      });

      test('subscribeToAll from a position with a filter delivers only matching events, history then live', async () => {
        await store.appendToStream('a-1', [event('X')]);
        await store.appendToStream('b-1', [event('X')]);
        await store.appendToStream('a-2', [event('X')]);
        const seen = firstValueFrom(store.subscribeToAll({ fromPosition: 1, filter: { streamPrefix: 'a-' } }).pipe(take(2), toArray()));
        await store.appendToStream('b-2', [event('X')]);
        await store.appendToStream('a-3', [event('X')]);
        expect((await seen).map((e) => e.streamId)).toEqual(['a-2', 'a-3']);
      });

      test("subscribeToAll from 'end' delivers only new events", async () => {
        await store.appendToStream('s', [event('Old')]);
        const seen = firstValueFrom(store.subscribeToAll({ fromPosition: 'end' }).pipe(take(1)));
        await store.appendToStream('s', [event('New')]);
        expect((await seen).type).toBe('New');
      });

      test('subscribeToStream gives the stream history then its live events, in version order', async () => {
        await store.appendToStream('s', [event('A'), event('B')]);
        await store.appendToStream('noise', [event('N')]);
        const seen = firstValueFrom(store.subscribeToStream('s', { fromVersion: 1 }).pipe(take(3), toArray()));
        await store.appendToStream('noise', [event('N')]);
        await store.appendToStream('s', [event('C'), event('D')]);
        expect((await seen).map((e) => [e.type, e.version])).toEqual([['B', 1], ['C', 2], ['D', 3]]);
      });

      test('unsubscribing stops delivery', async () => {
        const received: RecordedEvent[] = [];
        const subscription = store.subscribeToAll().subscribe((e) => received.push(e));
        await store.appendToStream('s', [event('A')]);
        await sleep(5);
        subscription.unsubscribe();
        await store.appendToStream('s', [event('B')]);
        await sleep(5);
        expect(received.map((e) => e.type)).toEqual(['A']);
      });

      test('closing the store completes live subscriptions', async () => {
        const done = lastValueFrom(store.subscribeToAll().pipe(toArray()));
        await store.appendToStream('s', [event('A')]);
        await sleep(5);
        await store.close();
        await expect(done).resolves.toHaveLength(1);
        store = await harness.open();
      });
    });

    describe('head, verify, close and reopen', () => {
      test('an empty store has head position -1', async () => {
        await expect(store.head()).resolves.toMatchObject({ position: -1 });
      });

      test('everything, head hash included, is the same after close and reopen', async () => {
        for (let i = 0; i < 30; i++) await store.appendToStream(`s-${i % 4}`, [event('E', { i }), event('F', { i })]);
        const head = await store.head();
        const log = await all(store.readAll());
        const versions = await Promise.all(['s-0', 's-1', 's-2', 's-3'].map((s) => store.streamVersion(s)));
        expect(head.position).toBe(59);
        await store.close();
        store = await harness.open();
        await expect(store.head()).resolves.toEqual(head);
        await expect(all(store.readAll())).resolves.toEqual(log);
        await expect(Promise.all(['s-0', 's-1', 's-2', 's-3'].map((s) => store.streamVersion(s)))).resolves.toEqual(versions);
        const next = await store.appendToStream('s-0', [event('After')], { expectedVersion: versions[0] });
        expect(next.firstPosition).toBe(60);
      });

      test('verify re-validates the chain and reports the head', async () => {
        await store.appendToStream('s', [event('A'), event('B')]);
        const progress: number[] = [];
        const report = await store.verify({ onProgress: (p) => progress.push(p.bytesDone) });
        expect(report.events).toBe(2);
        expect(report.head).toEqual(await store.head());
      });

      test('after close, appends and reads fail with StoreClosedError', async () => {
        await store.close();
        await expect(store.appendToStream('s', [event('A')])).rejects.toBeInstanceOf(StoreClosedError);
        await expect(all(store.readAll())).rejects.toBeInstanceOf(StoreClosedError);
        store = await harness.open();
      });

      test('close settles pending appends first', async () => {
        const pending = Array.from({ length: 20 }, (_, i) => store.appendToStream('s', [event('A', { i })]));
        await store.close();
        await expect(Promise.all(pending)).resolves.toHaveLength(20);
        store = await harness.open();
        await expect(store.streamVersion('s')).resolves.toBe(19);
      });
    });
  });
}
