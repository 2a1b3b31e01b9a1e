import { RecordedEvent, StoreCore } from '../store';

/** What `read` and `tail` select: all optional, all combined with "and". */
export interface EventQuery {
  stream?: string;
  types?: string[];
  fromPosition?: number;
  toPosition?: number;
  since?: Date;
  until?: Date;
}

/** The inclusive range of positions the query can match in the store as it is now; low > high when none. */
export function positionRange(core: StoreCore, query: EventQuery): { low: number; high: number } {
  let low = query.fromPosition ?? 0;
  let high = Math.min(query.toPosition ?? Number.MAX_SAFE_INTEGER, core.durableNextPosition - 1);
  if (query.since) low = Math.max(low, core.lastPositionAtOrBefore(new Date(query.since.getTime() - 1)) + 1);
  if (query.until) high = Math.min(high, core.lastPositionAtOrBefore(query.until));
  return { low, high };
}

export function matches(event: RecordedEvent, query: EventQuery): boolean {
  if (query.stream !== undefined && event.streamId !== query.stream) return false;
  if (query.types !== undefined && !query.types.includes(event.type)) return false;
  return true;
}

/**
 * Batches of matching events between `low` and `high`, in the direction asked: a stream is read
 * through its own index (by version), the whole log by position with the type filter applied while
 * decoding.
 */
export function* queryBatches(core: StoreCore, query: EventQuery, low: number, high: number, direction: 'forwards' | 'backwards'): Generator<RecordedEvent[]> {
  if (low > high) return;
  const forwards = direction === 'forwards';
  if (query.stream !== undefined) {
    const last = core.durableStreamVersion(query.stream);
    const [from, bound] = forwards ? [0, last] : [last, 0];
    if (last < 0) return;
    for (const chunk of core.streamChunks(query.stream, from, bound, direction, high, Number.POSITIVE_INFINITY)) {
      yield chunk.events.filter((event) => event.position >= low && matches(event, query));
      if (!forwards && chunk.events.some((event) => event.position < low)) return;
    }
    return;
  }
  const filter = query.types ? { eventTypes: query.types } : undefined;
  const [from, bound] = forwards ? [low, high] : [high, low];
  for (const chunk of core.logChunks(from, bound, direction, filter)) yield chunk.events;
}
