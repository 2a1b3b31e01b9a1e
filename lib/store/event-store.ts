import type { Observable } from 'rxjs';
import type {
  AppendOptions,
  AppendResult,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreHead,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  VerifyProgress,
  VerifyResult,
} from './types';

/**
 * The event store: the injection token and the interface (inject it by its class). Every
 * implementation passes the same contract suite (test/contract).
 */
export abstract class EventStore {
  /**
   * Appends events to a stream as one atomic commit; resolves once the commit is durable (fsynced).
   * Fails with WrongExpectedVersionError when the stream is not at `expectedVersion`, with
   * InvalidEventError for bad input (nothing written). A retry of the stream's last append, with
   * the same event ids, writes nothing and resolves to the original result.
   */
  abstract appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;

  /** The stream's events; completes (empty for a missing stream). */
  abstract readStream(streamId: string, options?: ReadStreamOptions): Observable<RecordedEvent>;

  /** All events in global order; completes. */
  abstract readAll(options?: ReadAllOptions): Observable<RecordedEvent>;

  /** History from a position, then live events: every event exactly once, in order. */
  abstract subscribeToAll(options?: SubscribeToAllOptions): Observable<RecordedEvent>;

  /** One stream's history from a version, then its live events: every event exactly once, in order. */
  abstract subscribeToStream(streamId: string, options?: SubscribeToStreamOptions): Observable<RecordedEvent>;

  /** readStream as an AsyncIterable that reads in chunks as it is consumed (backpressure). */
  abstract iterateStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;

  /** readAll as an AsyncIterable that reads in chunks as it is consumed (backpressure). */
  abstract iterateAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;

  /** The stream's last durable version; -1 when it does not exist. */
  abstract streamVersion(streamId: string): Promise<number>;

  /** The last durable commit: position, segment and hash (hex). */
  abstract head(): Promise<StoreHead>;

  /** Re-validates the whole chain from genesis; throws CorruptionError at the first break. */
  abstract verify(options?: { onProgress?: (progress: VerifyProgress) => void }): Promise<VerifyResult>;

  /** Settles pending appends, completes subscriptions, releases the lock. */
  abstract close(): Promise<void>;
}
