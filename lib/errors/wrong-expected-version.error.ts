import { ChainstoreError } from './chainstore.error';

/** The stream was not at the version the append expected; nothing was written. */
export class WrongExpectedVersionError extends ChainstoreError {
  readonly code = 'WRONG_EXPECTED_VERSION';

  constructor(
    readonly streamId: string,
    /** What the append expected: a version, 'no-stream' or 'stream-exists'. */
    readonly expectedVersion: number | 'no-stream' | 'stream-exists',
    /** The stream's version when the append was checked; -1 when it does not exist. */
    readonly actualVersion: number,
  ) {
    super(`stream ${JSON.stringify(streamId)}: expected version ${expectedVersion}, but it is at ${actualVersion}`);
  }
}

export function isWrongExpectedVersionError(error: unknown): error is WrongExpectedVersionError {
  return error instanceof WrongExpectedVersionError;
}
