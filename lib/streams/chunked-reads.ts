import { Observable } from 'rxjs';
import { Chunk, RecordedEvent, StoreCore } from '../store';
import { ResolvedRead } from './read-options';

export type ChunkSource = (read: ResolvedRead) => Iterable<Chunk>;

export type EventTransform = (event: RecordedEvent) => RecordedEvent;

export function logChunkSource(core: StoreCore, transform: EventTransform): ChunkSource {
  return (read) => transformChunks(core.logChunks(read.from, read.bound, read.direction, read.filter), transform);
}

export function streamChunkSource(core: StoreCore, streamId: string, transform: EventTransform): ChunkSource {
  return (read) => transformChunks(core.streamChunks(streamId, read.from, read.bound, read.direction, read.maxPosition, read.maxCount), transform);
}

/** Applies `transform` (the event-type registry) to each chunk in place: no operator per event. */
function* transformChunks(chunks: Iterable<Chunk>, transform: EventTransform): Generator<Chunk> {
  for (const chunk of chunks) {
    const events = chunk.events;
    for (let i = 0; i < events.length; i++) events[i] = transform(events[i] as RecordedEvent);
    yield chunk;
  }
}

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A read as an Observable: bounds are fixed when it is subscribed, chunks are read one at a time
 * with a turn of the event loop between them, and unsubscribing stops the reading.
 */
export function readAsObservable(resolve: () => ResolvedRead, source: ChunkSource): Observable<RecordedEvent> {
  return new Observable<RecordedEvent>((subscriber) => {
    let stopped = false;
    const run = async () => {
      const read = resolve();
      let remaining = read.maxCount;
      for (const chunk of source(read)) {
        for (const event of chunk.events) {
          if (stopped || remaining <= 0) break;
          subscriber.next(event);
          remaining--;
        }
        if (stopped || remaining <= 0) break;
        await yieldToEventLoop();
        if (stopped) return;
      }
      subscriber.complete();
    };
    run().catch((error: unknown) => subscriber.error(error));
    return () => {
      stopped = true;
    };
  });
}

/** A read as an AsyncIterable of whole chunks: one await per chunk of events, not per event. */
export async function* readAsChunkIterable(resolve: () => ResolvedRead, source: ChunkSource): AsyncGenerator<readonly RecordedEvent[]> {
  const read = resolve();
  let remaining = read.maxCount;
  for (const chunk of source(read)) {
    if (remaining <= 0) return;
    const events = chunk.events.length > remaining ? chunk.events.slice(0, remaining) : chunk.events;
    remaining -= events.length;
    if (events.length > 0) yield events;
  }
}

/** A read as an AsyncIterable: the next chunk is read only when the consumer asks for more. */
export async function* readAsIterable(resolve: () => ResolvedRead, source: ChunkSource): AsyncGenerator<RecordedEvent> {
  const read = resolve();
  let remaining = read.maxCount;
  for (const chunk of source(read)) {
    for (const event of chunk.events) {
      if (remaining <= 0) return;
      yield event;
      remaining--;
    }
  }
}
