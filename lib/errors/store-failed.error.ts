import { ChainstoreError } from './chainstore.error';

/**
 * A write or fsync failed, so the store stopped writing (fail-stop). Whether the failed data reached
 * the disk is unknown, and an fsync is never retried: reopen the store and recovery decides from
 * what is on disk. `cause` holds the original I/O error.
 */
export class StoreFailedError extends ChainstoreError {
  readonly code = 'STORE_FAILED';

  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    super(
      `the store stopped writing after ${operation} failed (${describe(cause)}); reopen it to recover`,
      { cause },
    );
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

export function isStoreFailedError(error: unknown): error is StoreFailedError {
  return error instanceof StoreFailedError;
}
