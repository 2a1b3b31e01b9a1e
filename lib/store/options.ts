import { InvalidOptionsError } from '../errors/invalid-options.error';
import { MAX_SEGMENT_BYTES } from '../format';
import { ChainstoreLogger, consoleLogger, Durability, FileSystem, JournalFlush } from '../segment';

export interface EventStoreOptions {
  /** Directory of the store; created when missing. */
  directory: string;
  /**
   * The open segment is sealed into a write-once segment file once its journal holds this many
   * bytes of commits. @default 67108864 (64 MiB)
   */
  segmentSizeBytes?: number;
  /**
   * 'fsync': an append resolves only after its commit is on disk. 'none': no fsync at all, for
   * tests and throwaway data only — a crash of the machine can lose acknowledged appends.
   * @default 'fsync'
   */
  durability?: Durability;
  /**
   * Where each group commit's fdatasync runs. 'blocking': on the event loop, which waits for the
   * disk — no thread-pool round trips, the lowest commit latency on a local disk (the event loop
   * is held for one fdatasync per group commit: ~0.1 ms on a local SSD). 'thread-pool': in libuv's
   * thread pool, the event loop serves other work meanwhile — for disks whose flush takes
   * milliseconds (network block storage), where holding the event loop that long would stall the
   * application. Durability is the same either way. @default 'blocking'
   */
  journalFlush?: JournalFlush;
  /**
   * Make journal space ahead of time, zero-filled and synced in the background: the next journal's
   * file (once the open journal holds 1 MiB), and the zeros ahead of the open journal's frames when
   * that journal was not made ahead (a new store's first, or one reopened). No commit then waits
   * for zeros to be written ahead of its frame (faster sustained appends, no latency spike every
   * 4 MiB). Costs a segment's size of disk while the store is open.
   * @default true (false when a `fileSystem` is given)
   */
  spareJournals?: boolean;
  /** Open without the lock: serve reads, refuse appends. @default false */
  readOnly?: boolean;
  /** Largest encoded event (data, metadata, type, stream id and header). @default 16777216 (16 MiB) */
  maxEventSizeBytes?: number;
  /** Where the store reports torn tails truncated at open, seals and failures. @default console */
  logger?: ChainstoreLogger;
  /** @internal the file-system interface, for fault-injection tests */
  fileSystem?: FileSystem;
}

export interface ResolvedOptions {
  directory: string;
  segmentSizeBytes: number;
  durability: Durability;
  journalFlush: JournalFlush;
  /** Undefined: the engine's default (on, unless a `fileSystem` is given). */
  spareJournals?: boolean;
  readOnly: boolean;
  maxEventSizeBytes: number;
  logger: ChainstoreLogger;
  fileSystem?: FileSystem;
}

export const DEFAULT_SEGMENT_SIZE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_EVENT_SIZE_BYTES = 16 * 1024 * 1024;
/** Most bytes one append may take, all its events together. */
export const MAX_APPEND_BYTES = 64 * 1024 * 1024;
const MIN_SEGMENT_SIZE_BYTES = 1024;

export function resolveOptions(options: EventStoreOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError('options', 'must be an object');
  if (typeof options.directory !== 'string' || options.directory.length === 0) {
    throw new InvalidOptionsError('directory', 'is required: the path of the store directory');
  }
  const segmentSizeBytes = options.segmentSizeBytes ?? DEFAULT_SEGMENT_SIZE_BYTES;
  checkInteger('segmentSizeBytes', segmentSizeBytes, MIN_SEGMENT_SIZE_BYTES, MAX_SEGMENT_BYTES / 2);
  const maxEventSizeBytes = options.maxEventSizeBytes ?? DEFAULT_MAX_EVENT_SIZE_BYTES;
  checkInteger('maxEventSizeBytes', maxEventSizeBytes, 128, MAX_APPEND_BYTES);
  const durability = options.durability ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'none') throw new InvalidOptionsError('durability', `must be 'fsync' or 'none', not ${JSON.stringify(durability)}`);
  const journalFlush = options.journalFlush ?? 'blocking';
  if (journalFlush !== 'blocking' && journalFlush !== 'thread-pool') {
    throw new InvalidOptionsError('journalFlush', `must be 'blocking' or 'thread-pool', not ${JSON.stringify(journalFlush)}`);
  }
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') throw new InvalidOptionsError('readOnly', 'must be a boolean');
  if (options.spareJournals !== undefined && typeof options.spareJournals !== 'boolean') throw new InvalidOptionsError('spareJournals', 'must be a boolean');
  return {
    directory: options.directory,
    segmentSizeBytes,
    durability,
    journalFlush,
    spareJournals: options.spareJournals,
    readOnly: options.readOnly ?? false,
    maxEventSizeBytes,
    logger: options.logger ?? consoleLogger,
    fileSystem: options.fileSystem,
  };
}

function checkInteger(option: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(option, `must be an integer from ${min} to ${max}, not ${String(value)}`);
  }
}
