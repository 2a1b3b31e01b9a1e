import { ChainstoreError } from './chainstore.error';

/**
 * Bytes on disk are not what the store wrote. Names the file, the byte offset inside it and the
 * check that failed. Never a torn write of an unacknowledged commit: those are truncated silently.
 */
export class CorruptionError extends ChainstoreError {
  readonly code = 'CORRUPTION';

  constructor(
    /** Path of the damaged file (segment or journal), relative to the store directory. */
    readonly segment: string,
    /** Byte offset inside that file where the failed check applies. */
    readonly offset: number,
    /** Which check failed, in words. */
    readonly reason: string,
  ) {
    super(`corruption in ${segment} at offset ${offset}: ${reason}`);
  }
}

export function isCorruptionError(error: unknown): error is CorruptionError {
  return error instanceof CorruptionError;
}
