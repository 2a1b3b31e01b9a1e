import { ChainstoreError } from './chainstore.error';

/** The store was closed; open it again to use it. */
export class StoreClosedError extends ChainstoreError {
  readonly code = 'STORE_CLOSED';

  constructor(operation: string) {
    super(`cannot ${operation}: the store is closed`);
  }
}

export function isStoreClosedError(error: unknown): error is StoreClosedError {
  return error instanceof StoreClosedError;
}
