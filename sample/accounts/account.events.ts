import { EventType } from '../../lib';

// @EventType registers each class under its stored name, so events read back (by the repository,
// projections and subscriptions) are instances of these classes.

@EventType('AccountOpened')
export class AccountOpened {
  constructor(readonly accountId: string, readonly owner: string) {}
}

@EventType('MoneyDeposited')
export class MoneyDeposited {
  constructor(readonly accountId: string, readonly amount: number) {}
}

@EventType('MoneyWithdrawn')
export class MoneyWithdrawn {
  constructor(readonly accountId: string, readonly amount: number) {}
}

/** The first half of a transfer, on the source account; the saga completes it on the target. */
@EventType('TransferSent')
export class TransferSent {
  constructor(readonly accountId: string, readonly transferId: string, readonly toAccountId: string, readonly amount: number) {}
}

@EventType('TransferReceived')
export class TransferReceived {
  constructor(readonly accountId: string, readonly transferId: string, readonly fromAccountId: string, readonly amount: number) {}
}

export type AccountEvent = AccountOpened | MoneyDeposited | MoneyWithdrawn | TransferSent | TransferReceived;
