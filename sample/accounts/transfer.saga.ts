import { Injectable } from '@nestjs/common';
import { IEvent, ofType, Saga } from '@nestjs/cqrs';
import { map, Observable } from 'rxjs';
import { CompleteTransfer } from './account.commands';
import { TransferSent } from './account.events';

/**
 * Completes a transfer on the target account once the source's TransferSent is durable. Sagas see
 * events published by EventSourcedRepository.save, never replays: a restart does not move money twice.
 */
@Injectable()
export class TransferSaga {
  @Saga()
  transfers = (events$: Observable<IEvent>): Observable<CompleteTransfer> =>
    events$.pipe(
      ofType(TransferSent),
      map((sent) => new CompleteTransfer(sent.transferId, sent.accountId, sent.toAccountId, sent.amount)),
    );
}
