import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EventSourcedRepository } from '../../lib';
import { Account } from './account.aggregate';

export class OpenAccount {
  constructor(readonly accountId: string, readonly owner: string) {}
}
export class Deposit {
  constructor(readonly accountId: string, readonly amount: number) {}
}
export class Withdraw {
  constructor(readonly accountId: string, readonly amount: number) {}
}
export class Transfer {
  constructor(readonly transferId: string, readonly fromAccountId: string, readonly toAccountId: string, readonly amount: number) {}
}
export class CompleteTransfer {
  constructor(readonly transferId: string, readonly fromAccountId: string, readonly toAccountId: string, readonly amount: number) {}
}

/**
 * Every command handler has the same shape: load the aggregate from its stream, ask it to change,
 * save. save() appends with the loaded version as expectedVersion, and publishes the events on the
 * EventBus only once they are durable; a concurrent change makes it fail with
 * WrongExpectedVersionError (retry the command).
 */
@CommandHandler(OpenAccount)
export class OpenAccountHandler implements ICommandHandler<OpenAccount> {
  constructor(private readonly accounts: EventSourcedRepository) {}
  async execute({ accountId, owner }: OpenAccount): Promise<void> {
    const account = await this.accounts.load(Account, accountId);
    account.open(owner);
    await this.accounts.save(account);
  }
}

@CommandHandler(Deposit)
export class DepositHandler implements ICommandHandler<Deposit> {
  constructor(private readonly accounts: EventSourcedRepository) {}
  async execute({ accountId, amount }: Deposit): Promise<void> {
    const account = await this.accounts.load(Account, accountId);
    account.deposit(amount);
    await this.accounts.save(account);
  }
}

@CommandHandler(Withdraw)
export class WithdrawHandler implements ICommandHandler<Withdraw> {
  constructor(private readonly accounts: EventSourcedRepository) {}
  async execute({ accountId, amount }: Withdraw): Promise<void> {
    const account = await this.accounts.load(Account, accountId);
    account.withdraw(amount);
    await this.accounts.save(account);
  }
}

/** A transfer touches two aggregates: each is its own commit, joined by the saga and a correlation id. */
@CommandHandler(Transfer)
export class TransferHandler implements ICommandHandler<Transfer> {
  constructor(private readonly accounts: EventSourcedRepository) {}
  async execute({ transferId, fromAccountId, toAccountId, amount }: Transfer): Promise<void> {
    const source = await this.accounts.load(Account, fromAccountId);
    source.sendTransfer(transferId, toAccountId, amount);
    await this.accounts.save(source, { correlationId: transferId });
  }
}

@CommandHandler(CompleteTransfer)
export class CompleteTransferHandler implements ICommandHandler<CompleteTransfer> {
  constructor(private readonly accounts: EventSourcedRepository) {}
  async execute({ transferId, fromAccountId, toAccountId, amount }: CompleteTransfer): Promise<void> {
    const target = await this.accounts.load(Account, toAccountId);
    target.receiveTransfer(transferId, fromAccountId, amount);
    await this.accounts.save(target, { correlationId: transferId, causationId: transferId });
  }
}
