import { Observable } from 'rxjs';
import { InvalidOptionsError } from '../errors/invalid-options.error';
import {
  AppendOptions,
  AppendResult,
  checkStreamId,
  EventStore,
  EventStoreOptions,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreCore,
  StoreHead,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  VerifyProgress,
  VerifyResult,
} from '../store';
import { subscribeToAll, subscribeToStream } from './catch-up';
import { EventTypeRegistry, eventTypes } from './event-type-registry';
import { logChunkSource, readAsChunkIterable, readAsIterable, readAsObservable, streamChunkSource } from './chunked-reads';
import { checkFilter, checkNonNegative, checkReadAllOptions, checkReadStreamOptions, resolveAllRead, resolveStreamRead } from './read-options';

/** The embedded EventStore: hash-chained segment files in a local directory. */
export class ChainEventStore extends EventStore {
  private readonly decode: (event: RecordedEvent) => RecordedEvent;

  private constructor(
    private readonly core: StoreCore,
    readonly eventTypes: EventTypeRegistry,
  ) {
    super();
    this.decode = (event) => eventTypes.decode(event);
  }

  static async open(options: ChainEventStoreOptions): Promise<ChainEventStore> {
    return new ChainEventStore(await StoreCore.open(options), options.eventTypes ?? eventTypes);
  }

  /** The directory the store lives in. */
  get directory(): string {
    return this.core.options.directory;
  }

  appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return this.core.append(streamId, events, options);
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Observable<RecordedEvent> {
    checkReadStreamOptions(streamId, options);
    return readAsObservable(() => resolveStreamRead(this.core, streamId, options), streamChunkSource(this.core, streamId, this.decode));
  }

  readAll(options: ReadAllOptions = {}): Observable<RecordedEvent> {
    checkReadAllOptions(options);
    return readAsObservable(() => resolveAllRead(this.core, options), logChunkSource(this.core, this.decode));
  }

  iterateStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    checkReadStreamOptions(streamId, options);
    return readAsIterable(() => resolveStreamRead(this.core, streamId, options), streamChunkSource(this.core, streamId, this.decode));
  }

  iterateAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    checkReadAllOptions(options);
    return readAsIterable(() => resolveAllRead(this.core, options), logChunkSource(this.core, this.decode));
  }

  /**
   * @internal iterateAll in the store's read chunks (up to 256 KiB of events each): one await per
   * chunk rather than per event, for consumers such as the projection runner that go through the
   * whole log.
   */
  iterateAllChunks(options: ReadAllOptions = {}): AsyncIterable<readonly RecordedEvent[]> {
    checkReadAllOptions(options);
    return readAsChunkIterable(() => resolveAllRead(this.core, options), logChunkSource(this.core, this.decode));
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Observable<RecordedEvent> {
    checkStart('fromPosition', options.fromPosition);
    checkFilter(options.filter);
    return subscribeToAll(this.core, this.decode, options.fromPosition, options.filter);
  }

  subscribeToStream(streamId: string, options: SubscribeToStreamOptions = {}): Observable<RecordedEvent> {
    checkStreamId(streamId);
    checkStart('fromVersion', options.fromVersion);
    return subscribeToStream(this.core, this.decode, streamId, options.fromVersion);
  }

  async streamVersion(streamId: string): Promise<number> {
    return this.core.streamVersion(streamId);
  }

  async head(): Promise<StoreHead> {
    this.core.assertOpen('read the head');
    return this.core.head();
  }

  verify(options: { onProgress?: (progress: VerifyProgress) => void } = {}): Promise<VerifyResult> {
    return this.core.verify(options.onProgress);
  }

  close(): Promise<void> {
    return this.core.close();
  }
}

function checkStart(option: string, value: unknown): void {
  if (value === 'start' || value === 'end') return;
  checkNonNegative(option, value);
  if (value !== undefined && typeof value !== 'number') throw new InvalidOptionsError(option, "must be a number, 'start' or 'end'");
}

export interface ChainEventStoreOptions extends EventStoreOptions {
  /** Event classes and upcasters applied to every read. @default the shared registry `eventTypes` */
  eventTypes?: EventTypeRegistry;
}

/** Opens (or creates) the embedded store in `options.directory`, without Nest. */
export function openEventStore(options: ChainEventStoreOptions): Promise<EventStore> {
  return ChainEventStore.open(options);
}
