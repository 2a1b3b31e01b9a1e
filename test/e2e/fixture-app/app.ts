import { Injectable, Module } from '@nestjs/common';
import { CommandHandler, CqrsModule, EventsHandler, ICommandHandler, IEvent, IEventHandler, ofType, Saga } from '@nestjs/cqrs';
import { filter, map, Observable } from 'rxjs';
import { EventSourcedRepository, EventStore, EventStoreModule, Projection, ProjectionHandler, RecordedEvent } from '../../../lib';
import { silentLogger } from '../../../lib/segment';
import { Account } from './account.aggregate';
import { AccountOpened, MoneyDeposited, MoneyWithdrawn } from './events';

export class OpenAccount {
  constructor(readonly accountId: string, readonly owner: string) {}
}
export class Deposit {
  constructor(readonly accountId: string, readonly amount: number) {}
}
export class Withdraw {
  constructor(readonly accountId: string, readonly amount: number) {}
}
export class FlagLargeDeposit {
  constructor(readonly accountId: string, readonly amount: number) {}
}

/** What the side effects saw, shared by one app instance's handlers. */
@Injectable()
export class SideEffects {
  readonly published: Array<{ type: string; accountId: string; durableVersionAtPublish: number }> = [];
  readonly flagged: FlagLargeDeposit[] = [];
}

@CommandHandler(OpenAccount)
export class OpenAccountHandler implements ICommandHandler<OpenAccount> {
  constructor(private readonly repository: EventSourcedRepository) {}
  async execute(command: OpenAccount): Promise<void> {
    const account = await this.repository.load(Account, command.accountId);
    account.open(command.owner);
    await this.repository.save(account, { correlationId: `open-${command.accountId}` });
  }
}

@CommandHandler(Deposit)
export class DepositHandler implements ICommandHandler<Deposit> {
  constructor(private readonly repository: EventSourcedRepository) {}
  async execute(command: Deposit): Promise<void> {
    const account = await this.repository.load(Account, command.accountId);
    account.deposit(command.amount);
    await this.repository.save(account);
  }
}

@CommandHandler(Withdraw)
export class WithdrawHandler implements ICommandHandler<Withdraw> {
  constructor(private readonly repository: EventSourcedRepository) {}
  async execute(command: Withdraw): Promise<void> {
    const account = await this.repository.load(Account, command.accountId);
    account.withdraw(command.amount);
    await this.repository.save(account);
  }
}

@CommandHandler(FlagLargeDeposit)
export class FlagLargeDepositHandler implements ICommandHandler<FlagLargeDeposit> {
  constructor(private readonly effects: SideEffects) {}
  async execute(command: FlagLargeDeposit): Promise<void> {
    this.effects.flagged.push(command);
  }
}

/** Records every published event, and how far the store was durable when it arrived. */
@EventsHandler(AccountOpened, MoneyDeposited, MoneyWithdrawn)
export class AuditHandler implements IEventHandler<AccountOpened | MoneyDeposited | MoneyWithdrawn> {
  constructor(
    private readonly effects: SideEffects,
    private readonly store: EventStore,
  ) {}
  async handle(event: AccountOpened | MoneyDeposited | MoneyWithdrawn): Promise<void> {
    const durableVersionAtPublish = await this.store.streamVersion(event.accountId);
    this.effects.published.push({ type: event.constructor.name, accountId: event.accountId, durableVersionAtPublish });
  }
}

@Injectable()
export class LargeDepositSaga {
  @Saga()
  largeDeposits = (events$: Observable<IEvent>): Observable<FlagLargeDeposit> =>
    events$.pipe(
      ofType(MoneyDeposited),
      filter((event) => event.amount >= 1000),
      map((event) => new FlagLargeDeposit(event.accountId, event.amount)),
    );
}

/** Balances by account, rebuilt from the log at every start. */
@Projection('balances')
export class BalancesProjection {
  readonly balances = new Map<string, number>();
  readonly owners = new Map<string, string>();
  resets = 0;
  applied = 0;
  sawInstances = true;

  reset(): void {
    this.resets++;
    this.balances.clear();
    this.owners.clear();
  }

  @ProjectionHandler(AccountOpened)
  opened(event: RecordedEvent<AccountOpened>): void {
    this.count(event);
    this.owners.set(event.data.accountId, event.data.owner);
    this.balances.set(event.data.accountId, 0);
  }

  @ProjectionHandler(MoneyDeposited)
  deposited(event: RecordedEvent<MoneyDeposited>): void {
    this.count(event);
    this.balances.set(event.data.accountId, (this.balances.get(event.data.accountId) ?? 0) + event.data.amount);
  }

  @ProjectionHandler('MoneyWithdrawn')
  async withdrawn(event: RecordedEvent<MoneyWithdrawn>): Promise<void> {
    await Promise.resolve();
    this.count(event);
    this.balances.set(event.data.accountId, (this.balances.get(event.data.accountId) ?? 0) - event.data.amount);
  }

  private count(event: RecordedEvent): void {
    this.applied++;
    const expected = { AccountOpened, MoneyDeposited, MoneyWithdrawn }[event.type as 'AccountOpened'];
    if (!(event.data instanceof expected)) this.sawInstances = false;
  }
}

export function createAppModule(directory: string): new () => unknown {
  @Module({
    imports: [CqrsModule.forRoot(), EventStoreModule.forRoot({ directory, logger: silentLogger })],
    providers: [
      EventSourcedRepository,
      SideEffects,
      OpenAccountHandler,
      DepositHandler,
      WithdrawHandler,
      FlagLargeDepositHandler,
      AuditHandler,
      LargeDepositSaga,
      BalancesProjection,
    ],
  })
  class AppModule {}
  return AppModule;
}
