/** Where a command writes; main.ts wires the process's streams, tests collect strings. */
export interface CliIo {
  /** Returns false when the text was buffered (a slow pipe): wait for `drained` before writing more. */
  stdout: (text: string) => boolean | void;
  drained?: () => Promise<void>;
  stderr: (text: string) => void;
  /** The terminal to draw progress on, when stdout is one; undefined otherwise (no progress bar). */
  terminal?: NodeJS.WriteStream;
  /** Aborted to stop `tail` (main.ts aborts it on SIGINT and SIGTERM). */
  signal?: AbortSignal;
}

/** Exit codes: 0 success; 1 the store failed a check; 2 the command line or the directory cannot be used. */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * An error the user can fix (a bad flag value, a directory that does not exist or is not a store):
 * printed as one line, no stack trace, exit code 2.
 */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
}
