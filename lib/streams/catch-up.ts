import { Observable, Subscriber } from 'rxjs';
import { EventFilter, passes, RecordedEvent, StoreCore } from '../store';
import { EventTransform, yieldToEventLoop } from './chunked-reads';

/**
 * The catch-up pattern shared by both subscriptions: read history in chunks until the reader's
 * cursor reaches the durable head, then — in the same tick as that check, so no commit can fall
 * between — register for live commits. Live commits arrive in order; the cursor drops any that
 * history already delivered. Every event exactly once, in order.
 */
interface CatchUp {
  /** Reads history from the cursor to the head known now; returns the new cursor. */
  readHistory(subscriber: Subscriber<RecordedEvent>, isStopped: () => boolean): Promise<void>;
  /** True when the cursor has reached the durable head. */
  caughtUp(): boolean;
  /** Handles a live event: delivers it when it is the next one. */
  onLive(subscriber: Subscriber<RecordedEvent>, event: RecordedEvent): void;
}

function catchUpObservable(core: StoreCore, createCatchUp: () => CatchUp): Observable<RecordedEvent> {
  return new Observable<RecordedEvent>((subscriber) => {
    let stopped = false;
    let stopLive: (() => void) | undefined;
    const stopOnClose = core.onClose(() => subscriber.complete());
    const run = async () => {
      core.assertOpen('subscribe');
      const catchUp = createCatchUp();
      while (!stopped) {
        if (catchUp.caughtUp()) {
          stopLive = core.onCommits((events) => {
            for (const event of events) if (!stopped) catchUp.onLive(subscriber, event);
          });
          return;
        }
        await catchUp.readHistory(subscriber, () => stopped);
      }
    };
    run().catch((error: unknown) => subscriber.error(error));
    return () => {
      stopped = true;
      stopLive?.();
      stopOnClose();
    };
  });
}

export function subscribeToAll(core: StoreCore, transform: EventTransform, fromPosition: number | 'start' | 'end' | undefined, filter?: EventFilter): Observable<RecordedEvent> {
  return catchUpObservable(core, () => {
    let cursor = fromPosition === 'end' ? core.durableNextPosition : fromPosition === 'start' || fromPosition === undefined ? 0 : fromPosition;
    return {
      caughtUp: () => cursor >= core.durableNextPosition,
      readHistory: async (subscriber, isStopped) => {
        const head = core.durableNextPosition;
        for (const chunk of core.logChunks(cursor, head - 1, 'forwards', filter)) {
          for (const event of chunk.events) subscriber.next(transform(event));
          cursor = chunk.next < 0 ? head : chunk.next;
          await yieldToEventLoop();
          if (isStopped()) return;
        }
        cursor = Math.max(cursor, head);
      },
      onLive: (subscriber, event) => {
        if (event.position < cursor) return;
        cursor = event.position + 1;
        if (passes(event, filter)) subscriber.next(transform(event));
      },
    };
  });
}

export function subscribeToStream(core: StoreCore, transform: EventTransform, streamId: string, fromVersion: number | 'start' | 'end' | undefined): Observable<RecordedEvent> {
  return catchUpObservable(core, () => {
    let cursor = fromVersion === 'end' ? core.durableStreamVersion(streamId) + 1 : fromVersion === 'start' || fromVersion === undefined ? 0 : fromVersion;
    return {
      caughtUp: () => cursor > core.durableStreamVersion(streamId),
      readHistory: async (subscriber, isStopped) => {
        const last = core.durableStreamVersion(streamId);
        for (const chunk of core.streamChunks(streamId, cursor, last, 'forwards', Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)) {
          for (const event of chunk.events) subscriber.next(transform(event));
          cursor = chunk.next < 0 ? last + 1 : chunk.next;
          await yieldToEventLoop();
          if (isStopped()) return;
        }
        cursor = Math.max(cursor, last + 1);
      },
      onLive: (subscriber, event) => {
        if (event.streamId !== streamId || event.version < cursor) return;
        cursor = event.version + 1;
        subscriber.next(transform(event));
      },
    };
  });
}
