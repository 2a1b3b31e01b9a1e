/** Base class of every error the store throws on purpose. `code` is stable across versions. */
export abstract class ChainstoreError extends Error {
  abstract readonly code: string;

  protected constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isChainstoreError(error: unknown): error is ChainstoreError {
  return error instanceof ChainstoreError;
}
