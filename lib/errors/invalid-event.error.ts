import { ChainstoreError } from './chainstore.error';

/** Bad input to an append or a read: the message names the field (and the event index). Nothing was written. */
export class InvalidEventError extends ChainstoreError {
  readonly code = 'INVALID_EVENT';

  constructor(
    /** The offending field, e.g. `events[2].type` or `streamId`. */
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

export function isInvalidEventError(error: unknown): error is InvalidEventError {
  return error instanceof InvalidEventError;
}
