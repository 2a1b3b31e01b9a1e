import { ChainstoreError } from './chainstore.error';

/** Another live process holds the store's LOCK. */
export class StoreLockedError extends ChainstoreError {
  readonly code = 'STORE_LOCKED';

  constructor(
    readonly directory: string,
    readonly pid?: number,
  ) {
    super(
      `store ${directory} is locked by ${pid === undefined ? 'another process' : `process ${pid}`}; ` +
        'open it with readOnly: true to read while that process writes',
    );
  }
}

export function isStoreLockedError(error: unknown): error is StoreLockedError {
  return error instanceof StoreLockedError;
}
