import { ChainstoreError } from './chainstore.error';

/**
 * An append's event ids partly match the stream's last events: it is neither a new append nor an
 * exact retry of the last one, so it is refused rather than write duplicates. Nothing was written.
 */
export class IdempotencyConflictError extends ChainstoreError {
  readonly code = 'IDEMPOTENCY_CONFLICT';

  constructor(
    readonly streamId: string,
    /** The ids of the append that the stream already holds. */
    readonly duplicateIds: readonly string[],
  ) {
    super(
      `stream ${JSON.stringify(streamId)} already holds event ids ${duplicateIds.join(', ')}, ` +
        'but not as exactly its last events in this order: not a retry of its last append',
    );
  }
}

export function isIdempotencyConflictError(error: unknown): error is IdempotencyConflictError {
  return error instanceof IdempotencyConflictError;
}
