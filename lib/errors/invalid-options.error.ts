import { ChainstoreError } from './chainstore.error';

/** A store option is missing or out of range. */
export class InvalidOptionsError extends ChainstoreError {
  readonly code = 'INVALID_OPTIONS';

  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`option ${option} ${problem}`);
  }
}

export function isInvalidOptionsError(error: unknown): error is InvalidOptionsError {
  return error instanceof InvalidOptionsError;
}
