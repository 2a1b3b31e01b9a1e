import { Projection, ProjectionHandler, RecordedEvent } from '../../lib';
import { AccountOpened, MoneyDeposited, MoneyWithdrawn, TransferReceived, TransferSent } from './account.events';

export interface BalanceRow {
  owner: string;
  balance: number;
  version: number;
}

/** A read model kept in memory: rebuilt from the validated chain at every start (reset() first). */
@Projection('balances')
export class BalancesProjection {
  readonly rows = new Map<string, BalanceRow>();

  reset(): void {
    this.rows.clear();
  }

  @ProjectionHandler(AccountOpened)
  opened({ data, version }: RecordedEvent<AccountOpened>): void {
    this.rows.set(data.accountId, { owner: data.owner, balance: 0, version });
  }

  @ProjectionHandler(MoneyDeposited, TransferReceived)
  credited({ data, version }: RecordedEvent<MoneyDeposited | TransferReceived>): void {
    this.change(data.accountId, data.amount, version);
  }

  @ProjectionHandler(MoneyWithdrawn, TransferSent)
  debited({ data, version }: RecordedEvent<MoneyWithdrawn | TransferSent>): void {
    this.change(data.accountId, -data.amount, version);
  }

  private change(accountId: string, amount: number, version: number): void {
    const row = this.rows.get(accountId);
    if (row) this.rows.set(accountId, { ...row, balance: row.balance + amount, version });
  }
}
