import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test, TestingModule } from '@nestjs/testing';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import {
  EventSourcedRepository,
  EventStore,
  EventStoreModule,
  eventTypes,
  InvalidOptionsError,
  openEventStore,
  Projection,
  ProjectionCheckpointStore,
  ProjectionHandler,
  ProjectionsService,
  RecordedEvent,
} from '../../lib';
import { silentLogger } from '../../lib/segment';
import { Account } from '../e2e/fixture-app/account.aggregate';
import { MoneyDeposited } from '../e2e/fixture-app/events';
import { useTempDirectories } from '../support/temp-directory';

const tempDirectory = useTempDirectories();
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

async function seed(directory: string, count: number, type = 'Counted'): Promise<void> {
  const store = await openEventStore({ directory, logger: silentLogger });
  for (let i = 0; i < count; i++) await store.appendToStream(`s-${i % 3}`, [{ type, data: { i } }]);
  await store.close();
}

async function start(directory: string, providers: Array<new (...args: never[]) => unknown>, options: { waitForCatchUp?: boolean; cqrs?: boolean } = {}): Promise<TestingModule> {
  @Module({
    imports: [
      ...(options.cqrs ? [CqrsModule.forRoot()] : []),
      EventStoreModule.forRoot({ directory, logger: silentLogger, projections: { waitForCatchUp: options.waitForCatchUp } }),
    ],
    providers,
  })
  class TestApp {}
  const moduleRef = await Test.createTestingModule({ imports: [TestApp] }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return moduleRef;
}

@Projection('counter')
class Counter {
  seen: number[] = [];
  resets = 0;
  reset(): void {
    this.resets++;
    this.seen = [];
  }
  @ProjectionHandler('Counted')
  count(event: RecordedEvent): void {
    this.seen.push(event.position);
  }
}

@Projection('fragile')
class Fragile {
  seen: number[] = [];
  @ProjectionHandler('Counted')
  count(event: RecordedEvent<{ i: number }>): void {
    if (event.data.i === 3) throw new Error('cannot count 3');
    this.seen.push(event.position);
  }
}

@Projection('checkpointed', { checkpoint: 'file', checkpointEveryEvents: 2 })
class Checkpointed {
  seen: number[] = [];
  resets = 0;
  reset(): void {
    this.resets++;
  }
  @ProjectionHandler('Counted')
  count(event: RecordedEvent): void {
    this.seen.push(event.position);
  }
}

/** A read model that keeps its checkpoint itself, as one in a database would. */
@Projection('self-checkpointed')
class SelfCheckpointed implements ProjectionCheckpointStore {
  static stored: number | undefined;
  seen: number[] = [];
  async loadCheckpoint(): Promise<number | undefined> {
    return SelfCheckpointed.stored;
  }
  async saveCheckpoint(_name: string, position: number): Promise<void> {
    SelfCheckpointed.stored = position;
  }
  @ProjectionHandler('Counted')
  count(event: RecordedEvent): void {
    this.seen.push(event.position);
  }
}

describe('projections', () => {
  test('a handler that throws stops only its projection, which reports the position and the error; the others and the app go on', async () => {
    const directory = tempDirectory();
    await seed(directory, 6);
    const app = await start(directory, [Counter, Fragile]);
    expect(app.get(Counter).seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(app.get(Fragile).seen).toEqual([0, 1, 2]);
    const status = await app.get(ProjectionsService).status();
    expect(status.find((s) => s.name === 'fragile')).toMatchObject({ state: 'failed', position: 2, lag: 3, lastError: { message: 'cannot count 3', position: 3 } });
    expect(status.find((s) => s.name === 'counter')).toMatchObject({ state: 'live', position: 5, lag: 0 });
    await app.get(EventStore).appendToStream('s-0', [{ type: 'Counted', data: { i: 6 } }]);
    await settle();
    expect(app.get(Counter).seen).toContain(6);
    expect(app.get(Fragile).seen).toEqual([0, 1, 2]);
    await app.close();
  });

  test('with a file checkpoint, a restarted app replays only what is after the checkpoint', async () => {
    const directory = tempDirectory();
    await seed(directory, 5);
    const first = await start(directory, [Checkpointed]);
    expect(first.get(Checkpointed).seen).toEqual([0, 1, 2, 3, 4]);
    expect(first.get(Checkpointed).resets).toBe(1);
    await first.get(EventStore).appendToStream('s-0', [{ type: 'Counted', data: {} }]);
    await settle();
    await first.close();
    await seed(directory, 2);
    const second = await start(directory, [Checkpointed]);
    expect(second.get(Checkpointed).seen).toEqual([6, 7]);
    expect(second.get(Checkpointed).resets).toBe(0);
    await second.close();
  });

  test('a projection that is its own checkpoint store resumes from what it saved', async () => {
    const directory = tempDirectory();
    SelfCheckpointed.stored = undefined;
    await seed(directory, 3);
    const first = await start(directory, [SelfCheckpointed]);
    expect(first.get(SelfCheckpointed).seen).toEqual([0, 1, 2]);
    await first.close();
    expect(SelfCheckpointed.stored).toBe(2);
    await seed(directory, 1);
    const second = await start(directory, [SelfCheckpointed]);
    expect(second.get(SelfCheckpointed).seen).toEqual([3]);
    await second.close();
  });

  test('rebuild(name) resets one projection and replays it from position 0 while the app runs', async () => {
    const directory = tempDirectory();
    await seed(directory, 4);
    const app = await start(directory, [Counter]);
    const counter = app.get(Counter);
    counter.seen.push(999);
    await app.get(ProjectionsService).rebuild('counter');
    expect(counter.resets).toBe(2);
    expect(counter.seen).toEqual([0, 1, 2, 3]);
    await app.get(EventStore).appendToStream('s-1', [{ type: 'Counted', data: {} }]);
    await settle();
    expect(counter.seen).toEqual([0, 1, 2, 3, 4]);
    await expect(app.get(ProjectionsService).rebuild('nope')).rejects.toBeInstanceOf(InvalidOptionsError);
    await app.close();
  });

  test('with waitForCatchUp false the app starts while the projection rebuilds, and it still catches up', async () => {
    const directory = tempDirectory();
    await seed(directory, 50);
    const app = await start(directory, [Counter], { waitForCatchUp: false });
    const counter = app.get(Counter);
    for (let i = 0; i < 100 && counter.seen.length < 50; i++) await settle();
    expect(counter.seen).toHaveLength(50);
    await app.close();
  });
});

describe('event types and upcasters', () => {
  afterEach(() => {
    eventTypes.clear();
    eventTypes.register(MoneyDeposited, 'MoneyDeposited');
  });

  test('an upcaster applies on every read path: repository, projection, readStream and subscriptions; stored bytes are unchanged', async () => {
    const directory = tempDirectory();
    const store = await openEventStore({ directory, logger: silentLogger });
    await store.appendToStream('acc', [{ type: 'AccountOpened', data: { accountId: 'acc', owner: 'Ada' } }]);
    await store.appendToStream('acc', [{ type: 'MoneyDepositedV1', data: { accountId: 'acc', cents: 1250 } }]);
    await store.close();
    eventTypes.addUpcaster('MoneyDepositedV1', (data) => {
      const old = data as { accountId: string; cents: number };
      return { accountId: old.accountId, amount: old.cents / 100 };
    }, { toType: 'MoneyDeposited' });

    @Projection('upcast-balances')
    class Balances {
      amounts: unknown[] = [];
      @ProjectionHandler(MoneyDeposited)
      deposited(event: RecordedEvent<MoneyDeposited>): void {
        this.amounts.push(event.data instanceof MoneyDeposited ? event.data.amount : 'plain');
      }
    }
    const app = await start(directory, [Balances, EventSourcedRepository], { cqrs: true });
    expect(app.get(Balances).amounts).toEqual([12.5]);
    const account = await app.get(EventSourcedRepository).load(Account, 'acc');
    expect(account.balance).toBe(12.5);
    const appStore = app.get(EventStore);
    const read = await lastValueFrom(appStore.readStream('acc').pipe(toArray()));
    expect(read[1]).toMatchObject({ type: 'MoneyDeposited', data: { amount: 12.5 } });
    expect(read[1]?.data).toBeInstanceOf(MoneyDeposited);
    const subscribed = await firstValueFrom(appStore.subscribeToAll({ fromPosition: 1 }).pipe(take(1)));
    expect(subscribed.data).toEqual(read[1]?.data);
    const iterated: RecordedEvent[] = [];
    for await (const event of appStore.iterateAll({ fromPosition: 1 })) iterated.push(event);
    expect(iterated[0]?.type).toBe('MoneyDeposited');
    await app.close();
    eventTypes.clear();
    const raw = await openEventStore({ directory, logger: silentLogger });
    const stored = await lastValueFrom(raw.readStream('acc').pipe(toArray()));
    expect(stored[1]).toMatchObject({ type: 'MoneyDepositedV1', data: { accountId: 'acc', cents: 1250 } });
    await raw.close();
  });

  test('an unknown type comes back as a plain object, never an error', async () => {
    const store = await openEventStore({ directory: tempDirectory(), logger: silentLogger });
    await store.appendToStream('s', [{ type: 'NobodyRegisteredThis', data: { x: 1 } }]);
    const [event] = await lastValueFrom(store.readAll().pipe(toArray()));
    expect(Object.getPrototypeOf(event?.data)).toBe(Object.prototype);
    expect(event?.data).toEqual({ x: 1 });
    await store.close();
  });

  test('registering a name again replaces the earlier class', async () => {
    class First {}
    class Second {}
    eventTypes.register(First, 'Swapped');
    eventTypes.register(Second, 'Swapped');
    const store = await openEventStore({ directory: tempDirectory(), logger: silentLogger });
    await store.appendToStream('s', [{ type: 'Swapped', data: {} }]);
    const [event] = await lastValueFrom(store.readAll().pipe(toArray()));
    expect(event?.data).toBeInstanceOf(Second);
    await store.close();
  });

  test('without CqrsModule the repository says so clearly', async () => {
    const app = await start(tempDirectory(), [EventSourcedRepository]);
    await expect(app.get(EventSourcedRepository).load(Account, 'a')).rejects.toThrow(/CqrsModule is not imported/);
    await app.close();
  });
});
