import { AggregateRoot } from '@nestjs/cqrs';
import { AccountOpened, MoneyDeposited, MoneyWithdrawn } from './events';

export class Account extends AggregateRoot {
  owner: string | undefined;
  balance = 0;

  constructor(readonly id: string) {
    super();
  }

  open(owner: string): void {
    if (this.owner !== undefined) throw new Error(`account ${this.id} is already open`);
    this.apply(new AccountOpened(this.id, owner));
  }

  deposit(amount: number): void {
    this.apply(new MoneyDeposited(this.id, amount));
  }

  withdraw(amount: number): void {
    if (amount > this.balance) throw new Error(`account ${this.id} holds ${this.balance}, cannot withdraw ${amount}`);
    this.apply(new MoneyWithdrawn(this.id, amount));
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
}
