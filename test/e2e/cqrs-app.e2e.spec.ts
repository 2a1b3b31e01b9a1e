import 'reflect-metadata';
import { CommandBus } from '@nestjs/cqrs';
import { Test, TestingModule } from '@nestjs/testing';
import { lastValueFrom, toArray } from 'rxjs';
import { EventSourcedRepository, EventStore, ProjectionsService, WrongExpectedVersionError } from '../../lib';
import { useTempDirectories } from '../support/temp-directory';
import { Account } from './fixture-app/account.aggregate';
import { BalancesProjection, createAppModule, Deposit, OpenAccount, SideEffects, Withdraw } from './fixture-app/app';
import { AccountOpened, MoneyDeposited } from './fixture-app/events';

const tempDirectory = useTempDirectories();
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

async function startApp(directory: string): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({ imports: [createAppModule(directory)] }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return moduleRef;
}

describe('a NestJS CQRS app on the event store', () => {
  test('commands change aggregates, events are published once after their commit, the projection follows; after a restart the projection is rebuilt before bootstrap completes and no handler or saga fires again', async () => {
    const directory = tempDirectory();
    const first = await startApp(directory);
    const commands = first.get(CommandBus);
    await commands.execute(new OpenAccount('acc-1', 'Ada'));
    await commands.execute(new OpenAccount('acc-2', 'Grace'));
    await commands.execute(new Deposit('acc-1', 100));
    await commands.execute(new Deposit('acc-1', 5000));
    await commands.execute(new Withdraw('acc-1', 40));
    await commands.execute(new Deposit('acc-2', 7));
    await settle();

    const effects = first.get(SideEffects);
    expect(effects.published.map((p) => `${p.type}:${p.accountId}`)).toEqual([
      'AccountOpened:acc-1', 'AccountOpened:acc-2', 'MoneyDeposited:acc-1', 'MoneyDeposited:acc-1', 'MoneyWithdrawn:acc-1', 'MoneyDeposited:acc-2',
    ]);
    // Each event was durable before it was published.
    const versions = new Map<string, number>();
    for (const published of effects.published) {
      const version = (versions.get(published.accountId) ?? -1) + 1;
      versions.set(published.accountId, version);
      expect(published.durableVersionAtPublish).toBeGreaterThanOrEqual(version);
    }
    expect(effects.flagged.map((f) => f.amount)).toEqual([5000]);
    const projection = first.get(BalancesProjection);
    expect(Object.fromEntries(projection.balances)).toEqual({ 'acc-1': 5060, 'acc-2': 7 });
    expect(projection.sawInstances).toBe(true);
    const store = first.get(EventStore);
    const opened = await lastValueFrom(store.readStream('acc-1', { maxCount: 1 }).pipe(toArray()));
    expect(opened[0]?.metadata).toEqual({ correlationId: 'open-acc-1' });
    const head = await store.head();
    await first.close();

    const second = await startApp(directory);
    const rebuilt = second.get(BalancesProjection);
    expect(Object.fromEntries(rebuilt.balances)).toEqual({ 'acc-1': 5060, 'acc-2': 7 });
    expect(rebuilt.owners.get('acc-2')).toBe('Grace');
    expect(rebuilt.resets).toBe(1);
    expect(rebuilt.applied).toBe(6);
    expect(rebuilt.sawInstances).toBe(true);
    const [status] = await second.get(ProjectionsService).status();
    expect(status).toMatchObject({ name: 'balances', state: 'live', position: head.position, lag: 0 });
    await settle();
    expect(second.get(SideEffects).published).toEqual([]);
    expect(second.get(SideEffects).flagged).toEqual([]);

    const account = await second.get(EventSourcedRepository).load(Account, 'acc-1');
    expect(account.balance).toBe(5060);
    expect(account.owner).toBe('Ada');
    await second.get(CommandBus).execute(new Deposit('acc-2', 3));
    await settle();
    expect(rebuilt.balances.get('acc-2')).toBe(10);
    expect(second.get(SideEffects).published.map((p) => p.type)).toEqual(['MoneyDeposited']);
    await second.close();
  });

  test('a stale aggregate fails to save with WrongExpectedVersionError and publishes nothing', async () => {
    const app = await startApp(tempDirectory());
    const repository = app.get(EventSourcedRepository);
    await app.get(CommandBus).execute(new OpenAccount('acc', 'Ada'));
    const stale = await repository.load(Account, 'acc');
    const fresh = await repository.load(Account, 'acc');
    fresh.deposit(1);
    await repository.save(fresh);
    stale.deposit(2);
    await expect(repository.save(stale)).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await settle();
    const effects = app.get(SideEffects);
    expect(effects.published.filter((p) => p.type === 'MoneyDeposited')).toHaveLength(1);
    expect(stale.getUncommittedEvents()).toHaveLength(1);
    expect((await repository.load(Account, 'acc')).balance).toBe(1);
    await app.close();
  });

  test('a fresh aggregate is saved with expectedVersion no-stream, so two creators cannot both win', async () => {
    const app = await startApp(tempDirectory());
    const repository = app.get(EventSourcedRepository);
    const a = await repository.load(Account, 'same');
    const b = await repository.load(Account, 'same');
    a.open('Ada');
    b.open('Grace');
    await repository.save(a);
    await expect(repository.save(b)).rejects.toBeInstanceOf(WrongExpectedVersionError);
    const events = await lastValueFrom(app.get(EventStore).readStream('same').pipe(toArray()));
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toBeInstanceOf(AccountOpened);
    expect(events[0]?.data).toMatchObject({ accountId: 'same', owner: 'Ada' });
    await app.close();
  });

  test('events published on the bus are instances of their classes', async () => {
    const app = await startApp(tempDirectory());
    const deposited: unknown[] = [];
    const { EventBus } = await import('@nestjs/cqrs');
    app.get(EventBus).subscribe((event) => deposited.push(event));
    await app.get(CommandBus).execute(new OpenAccount('x', 'Ada'));
    await app.get(CommandBus).execute(new Deposit('x', 1));
    expect(deposited.some((event) => event instanceof MoneyDeposited)).toBe(true);
    await app.close();
  });
});
