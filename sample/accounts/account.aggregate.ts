import { AggregateRoot } from '@nestjs/cqrs';
import { AccountOpened, MoneyDeposited, MoneyWithdrawn, TransferReceived, TransferSent } from './account.events';

/** An account: its state is whatever its events say, replayed by EventSourcedRepository.load. */
export class Account extends AggregateRoot {
  owner: string | undefined;
  balance = 0;

  /** EventSourcedRepository creates aggregates as `new Account(streamId)`. */
  constructor(readonly id: string) {
    super();
  }

  open(owner: string): void {
    if (this.owner !== undefined) throw new Error(`account ${this.id} is already open`);
    this.apply(new AccountOpened(this.id, owner));
  }

  deposit(amount: number): void {
    this.assertOpen();
    this.apply(new MoneyDeposited(this.id, amount));
  }

  withdraw(amount: number): void {
    this.assertFunds(amount);
    this.apply(new MoneyWithdrawn(this.id, amount));
  }

  sendTransfer(transferId: string, toAccountId: string, amount: number): void {
    this.assertFunds(amount);
    this.apply(new TransferSent(this.id, transferId, toAccountId, amount));
  }

  receiveTransfer(transferId: string, fromAccountId: string, amount: number): void {
    this.assertOpen();
    this.apply(new TransferReceived(this.id, transferId, fromAccountId, amount));
  }

  onAccountOpened(event: AccountOpened): void {
    this.owner = event.owner;
  }
  onMoneyDeposited(event: MoneyDeposited): void {
    this.balance += event.amount;
  }
  onMoneyWithdrawn(event: MoneyWithdrawn): void {
    this.balance -= event.amount;
  }
  onTransferSent(event: TransferSent): void {
    this.balance -= event.amount;
  }
  onTransferReceived(event: TransferReceived): void {
    this.balance += event.amount;
  }

  private assertOpen(): void {
    if (this.owner === undefined) throw new Error(`account ${this.id} is not open`);
  }

  private assertFunds(amount: number): void {
    this.assertOpen();
    if (amount > this.balance) throw new Error(`account ${this.id} holds ${this.balance}, not ${amount}`);
  }
}
