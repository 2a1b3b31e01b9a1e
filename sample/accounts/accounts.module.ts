import { Module } from '@nestjs/common';
import { EventSourcedRepository } from '../../lib';
import {
  CompleteTransferHandler,
  DepositHandler,
  OpenAccountHandler,
  TransferHandler,
  WithdrawHandler,
} from './account.commands';
import { AuditLogProjection } from './audit-log.projection';
import { BalancesProjection } from './balances.projection';
import { TransferSaga } from './transfer.saga';

@Module({
  providers: [
    EventSourcedRepository,
    OpenAccountHandler,
    DepositHandler,
    WithdrawHandler,
    TransferHandler,
    CompleteTransferHandler,
    TransferSaga,
    BalancesProjection,
    AuditLogProjection,
  ],
})
export class AccountsModule {}
