import { ChainstoreError } from './chainstore.error';

/**
 * A byte string is not a well-formed structure. Decoders return (never throw) this; the layers
 * above turn it into a CorruptionError that names the file.
 */
export class FormatError extends ChainstoreError {
  readonly code = 'FORMAT';

  constructor(
    /** Which structure was being decoded. */
    readonly structure: string,
    /** Offset, relative to the start of the decoded bytes, where the problem is. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${structure} at offset ${offset}: ${reason}`);
  }
}

export function isFormatError(error: unknown): error is FormatError {
  return error instanceof FormatError;
}
