/** An event to append. */
export interface NewEvent<TData = unknown, TMetadata extends Record<string, unknown> = Record<string, unknown>> {
  /** Event type, e.g. 'MoneyDeposited': 1 to 1024 UTF-8 bytes. */
  type: string;
  /** Anything JSON can carry exactly (no functions, BigInt, Map, Set, NaN or cycles). */
  data: TData;
  /** A JSON object; `{}` when absent. */
  metadata?: TMetadata;
  /** A UUID; one is generated when absent. Giving ids makes retries idempotent. */
  id?: string;
}

/** An event as stored. */
export interface RecordedEvent<TData = unknown, TMetadata = Record<string, unknown>> {
  id: string;
  streamId: string;
  /** Version inside its stream, from 0, dense. */
  version: number;
  /** Position in the global log, from 0, dense. */
  position: number;
  type: string;
  data: TData;
  metadata: TMetadata;
  /** When the commit was recorded; never decreases along the log. */
  recordedAt: Date;
}

/** A version number, or: 'any' (no check), 'no-stream' (must not exist), 'stream-exists' (must exist). */
export type ExpectedVersion = number | 'any' | 'no-stream' | 'stream-exists';

export interface AppendOptions {
  /** @default 'any' */
  expectedVersion?: ExpectedVersion;
}

export interface AppendResult {
  streamId: string;
  firstVersion: number;
  lastVersion: number;
  firstPosition: number;
  lastPosition: number;
}

export type ReadDirection = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Inclusive. @default 0 forwards, the last version backwards */
  fromVersion?: number;
  /** @default 'forwards' */
  direction?: ReadDirection;
  /** @default unlimited */
  maxCount?: number;
  /** Only events recorded at or before this instant: the stream as it was then. */
  asOf?: Date;
}

export interface EventFilter {
  /** Only events of these types. */
  eventTypes?: readonly string[];
  /** Only events of streams whose id starts with this. */
  streamPrefix?: string;
}

export interface ReadAllOptions {
  /** Inclusive. @default 0 forwards, the last position backwards */
  fromPosition?: number;
  /** @default 'forwards' */
  direction?: ReadDirection;
  /** @default unlimited */
  maxCount?: number;
  filter?: EventFilter;
  /** Only events recorded at or before this instant. */
  asOf?: Date;
}

export interface SubscribeToAllOptions {
  /** Where history starts: a position (inclusive), 'start', or 'end' (live events only). @default 'start' */
  fromPosition?: number | 'start' | 'end';
  filter?: EventFilter;
}

export interface SubscribeToStreamOptions {
  /** Where history starts: a version (inclusive), 'start', or 'end' (live events only). @default 'start' */
  fromVersion?: number | 'start' | 'end';
}

export interface StoreHead {
  /** Position of the last durable event; -1 when the store is empty. */
  position: number;
  /** Number of the segment holding it; 0 when the store is empty. */
  segment: number;
  /** SHA-256 of the last durable commit, hex: keep it elsewhere to detect truncation or rollback. */
  hash: string;
}

export interface VerifyProgress {
  segmentsDone: number;
  segmentsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface VerifyResult {
  segments: number;
  events: number;
  bytes: number;
  head: StoreHead;
}
