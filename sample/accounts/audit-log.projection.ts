import { Projection, ProjectionHandler, RecordedEvent } from '../../lib';
import { AccountEvent, AccountOpened, MoneyDeposited, MoneyWithdrawn, TransferReceived, TransferSent } from './account.events';

/** One line per event, in global order, with when it was recorded and what correlated it. */
@Projection('audit-log')
export class AuditLogProjection {
  readonly lines: string[] = [];

  reset(): void {
    this.lines.length = 0;
  }

  @ProjectionHandler(AccountOpened, MoneyDeposited, MoneyWithdrawn, TransferSent, TransferReceived)
  record(event: RecordedEvent<AccountEvent>): void {
    const correlation = typeof event.metadata.correlationId === 'string' ? ` (correlation ${event.metadata.correlationId})` : '';
    const { accountId, ...details } = event.data;
    this.lines.push(`#${event.position} ${event.recordedAt.toISOString()} ${accountId} v${event.version} ${event.type} ${JSON.stringify(details)}${correlation}`);
  }
}
