import { Subscription } from 'rxjs';
import { StoreClosedError } from '../errors/store-closed.error';
import { ChainstoreLogger } from '../segment';
import { EventStore, RecordedEvent } from '../store';
import { ChainEventStore } from '../streams';
import { ProjectionCheckpointStore } from './checkpoint-store';

export type ProjectionState = 'rebuilding' | 'live' | 'stopped' | 'failed';

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  /** Position of the last event the projection applied; -1 before the first. */
  position: number;
  /** Durable events it has not applied yet. */
  lag: number;
  lastError?: { message: string; position: number };
}

type Handler = (event: RecordedEvent) => unknown;

/** The log from `from`: in the embedded store's chunks (one await per chunk), else event by event. */
async function* inChunks(store: EventStore, from: number): AsyncGenerator<readonly RecordedEvent[]> {
  if (store instanceof ChainEventStore) {
    yield* store.iterateAllChunks({ fromPosition: from });
    return;
  }
  for await (const event of store.iterateAll({ fromPosition: from })) yield [event];
}

/** Saves at most this often while live events trickle in, even below checkpointEveryEvents. */
const IDLE_CHECKPOINT_MS = 1000;

/**
 * Runs one projection: replays the validated log from its checkpoint (or from 0, after reset()),
 * then follows live commits. Its handlers are called directly, never through an event bus. A
 * handler that throws stops this projection only: state 'failed', with the event's position.
 */
export class ProjectionRunner {
  state: ProjectionState = 'stopped';
  position = -1;
  lastError: ProjectionStatus['lastError'];
  private generation = 0;
  private live: Subscription | undefined;
  private sinceCheckpoint = 0;
  private lastSaveMs = 0;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly instance: object,
    private readonly handlers: ReadonlyMap<string, Handler[]>,
    private readonly checkpoints: ProjectionCheckpointStore | undefined,
    private readonly store: EventStore,
    private readonly logger: ChainstoreLogger,
    private readonly checkpointEveryEvents: number,
  ) {}

  /**
   * Replays up to the head as it is now, then goes live. Resolves once caught up (or failed, or
   * stopped): what bootstrap waits for. `fromScratch` ignores the checkpoint.
   */
  async start(fromScratch = false): Promise<void> {
    const generation = ++this.generation;
    this.state = 'rebuilding';
    this.lastError = undefined;
    const from = await this.startPosition(fromScratch);
    if (generation !== this.generation) return;
    try {
      for await (const events of inChunks(this.store, from)) {
        for (const event of events) {
          if (generation !== this.generation) return;
          const applied = this.apply(event);
          if (!(applied === true || (await applied))) return;
        }
      }
    } catch (error) {
      return this.onStoreError(generation, error);
    }
    if (generation !== this.generation) return;
    this.state = 'live';
    await this.saveCheckpoint();
    this.followLive(generation);
  }

  async stop(): Promise<void> {
    this.generation++;
    this.live?.unsubscribe();
    this.live = undefined;
    if (this.state !== 'failed') this.state = 'stopped';
    await this.saveCheckpoint();
  }

  /** Stops, resets, and replays from position 0; resolves when caught up. */
  async rebuild(): Promise<void> {
    await this.stop();
    await this.start(true);
  }

  async status(): Promise<ProjectionStatus> {
    const head = await this.store.head().catch(() => ({ position: this.position }));
    return { name: this.name, state: this.state, position: this.position, lag: Math.max(0, head.position - this.position), lastError: this.lastError };
  }

  private async startPosition(fromScratch: boolean): Promise<number> {
    const saved = fromScratch ? undefined : await this.checkpoints?.loadCheckpoint(this.name);
    const head = (await this.store.head()).position;
    if (saved !== undefined && saved >= -1 && saved <= head) {
      this.position = saved;
      return saved + 1;
    }
    if (saved !== undefined) this.logger.warn(`projection ${this.name}: checkpoint ${saved} is past the head ${head}; rebuilding from 0`);
    await (this.instance as { reset?: () => unknown }).reset?.();
    this.position = -1;
    this.sinceCheckpoint = 1; // a rebuild from 0 saves its checkpoint even when the log is empty
    return 0;
  }

  /** Applies one event; returns true, false (failed) or a promise of that when a handler is async. */
  private apply(event: RecordedEvent): boolean | Promise<boolean> {
    const handlers = this.handlers.get(event.type);
    if (handlers) {
      for (let i = 0; i < handlers.length; i++) {
        let result: unknown;
        try {
          result = (handlers[i] as Handler).call(this.instance, event);
        } catch (error) {
          return this.fail(event, error);
        }
        if (result instanceof Promise) return this.finishAsync(result, event, handlers.slice(i + 1));
      }
    }
    return this.advance(event);
  }

  private async finishAsync(pending: Promise<unknown>, event: RecordedEvent, rest: Handler[]): Promise<boolean> {
    try {
      await pending;
      for (const handler of rest) await handler.call(this.instance, event);
    } catch (error) {
      return this.fail(event, error);
    }
    return this.advance(event);
  }

  private advance(event: RecordedEvent): boolean | Promise<boolean> {
    this.position = event.position;
    if (++this.sinceCheckpoint >= this.checkpointEveryEvents) return this.saveCheckpoint().then(() => true);
    return true;
  }

  private fail(event: RecordedEvent, error: unknown): false {
    const message = error instanceof Error ? error.message : String(error);
    this.state = 'failed';
    this.lastError = { message, position: event.position };
    this.generation++;
    this.live?.unsubscribe();
    this.logger.error(`projection ${this.name} failed at position ${event.position} (${event.type}): ${message}; the other projections go on`);
    return false;
  }

  private followLive(generation: number): void {
    const queue: RecordedEvent[] = [];
    let draining = false;
    const drain = async () => {
      draining = true;
      while (queue.length > 0 && generation === this.generation) {
        const applied = this.apply(queue.shift() as RecordedEvent);
        if (!(applied === true || (await applied))) break;
      }
      draining = false;
      if (generation === this.generation && Date.now() - this.lastSaveMs >= IDLE_CHECKPOINT_MS) await this.saveCheckpoint();
    };
    this.live = this.store.subscribeToAll({ fromPosition: this.position + 1 }).subscribe({
      next: (event) => {
        queue.push(event);
        if (!draining) drain().catch((error: unknown) => this.onStoreError(generation, error));
      },
      error: (error: unknown) => this.onStoreError(generation, error),
      complete: () => {
        if (generation === this.generation && this.state === 'live') this.state = 'stopped';
      },
    });
  }

  private onStoreError(generation: number, error: unknown): void {
    if (generation !== this.generation) return;
    if (error instanceof StoreClosedError) {
      this.state = 'stopped';
      return;
    }
    this.state = 'failed';
    this.lastError = { message: error instanceof Error ? error.message : String(error), position: this.position };
    this.logger.error(`projection ${this.name} stopped reading the store: ${this.lastError.message}`);
  }

  /** Saves the position if it moved since the last save; saves never overlap. */
  private saveCheckpoint(): Promise<void> {
    if (!this.checkpoints || this.sinceCheckpoint === 0) return this.saving;
    const checkpoints = this.checkpoints;
    const position = this.position;
    this.sinceCheckpoint = 0;
    this.lastSaveMs = Date.now();
    this.saving = this.saving
      .then(() => checkpoints.saveCheckpoint(this.name, position))
      .catch((error: unknown) => this.logger.error(`projection ${this.name}: checkpoint not saved: ${(error as Error).message}`));
    return this.saving;
  }
}
