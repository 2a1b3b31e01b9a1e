import { Injectable, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { AggregateRoot, EventPublisher, IEvent } from '@nestjs/cqrs';
import { InvalidEventError } from '../errors/invalid-event.error';
import { InvalidOptionsError } from '../errors/invalid-options.error';
import { AppendResult, EventStore, NewEvent } from '../store';
import { ChainEventStore, EventTypeRegistry, eventTypes as sharedEventTypes } from '../streams';

export interface SaveOptions {
  /** Stream to save to; needed only for an aggregate that was not loaded through this repository. */
  streamId?: string;
  /** Carried into every event's metadata: the id that ties a command to all it caused. */
  correlationId?: string;
  /** Carried into every event's metadata: the id of the message (command) that caused these events. */
  causationId?: string;
  /** More metadata for every event. */
  metadata?: Record<string, unknown>;
}

interface Tracked {
  streamId: string;
  /** The stream version the aggregate reflects; -1 for a new stream. */
  version: number;
}

/**
 * Stores @nestjs/cqrs AggregateRoots as event streams. `load` rehydrates from the stream, `save`
 * appends the uncommitted events with the loaded version as expectedVersion and only after the
 * append is durable publishes them on the EventBus (aggregate.commit()). A stale aggregate's save
 * fails with WrongExpectedVersionError and publishes nothing. Needs CqrsModule.
 */
@Injectable()
export class EventSourcedRepository {
  private readonly tracked = new WeakMap<AggregateRoot, Tracked>();
  private readonly eventTypes: EventTypeRegistry;
  private publisher: EventPublisher | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly moduleRef: ModuleRef,
  ) {
    this.eventTypes = store instanceof ChainEventStore ? store.eventTypes : sharedEventTypes;
  }

  /** The aggregate rehydrated from its stream, or a fresh one when the stream does not exist. `new AggregateClass(streamId)` makes it. */
  async load<T extends AggregateRoot>(aggregateClass: Type<T>, streamId: string): Promise<T> {
    const publisher = this.requirePublisher();
    const aggregate = publisher.mergeObjectContext(new aggregateClass(streamId));
    this.refuseAutoCommit(aggregate);
    let version = -1;
    const history: IEvent[] = [];
    for await (const event of this.store.iterateStream(streamId)) {
      history.push(event.data as IEvent);
      version = event.version;
    }
    aggregate.loadFromHistory(history);
    this.tracked.set(aggregate, { streamId, version });
    return aggregate;
  }

  /** Appends the uncommitted events durably, then publishes them. Returns undefined when there were none. */
  async save(aggregate: AggregateRoot, options: SaveOptions = {}): Promise<AppendResult | undefined> {
    const publisher = this.requirePublisher();
    this.refuseAutoCommit(aggregate);
    const tracked = this.trackingOf(aggregate, options.streamId);
    const events = aggregate.getUncommittedEvents();
    if (events.length === 0) return undefined;
    const metadata = { ...options.metadata, ...definedOnly({ correlationId: options.correlationId, causationId: options.causationId }) };
    const newEvents: NewEvent[] = events.map((event) => {
      this.eventTypes.registerIfAbsent(event.constructor as Type<IEvent>);
      return { type: this.eventTypes.nameOf(event), data: event, metadata };
    });
    const result = await this.store.appendToStream(tracked.streamId, newEvents, { expectedVersion: tracked.version === -1 ? 'no-stream' : tracked.version });
    tracked.version = result.lastVersion;
    if (!this.tracked.has(aggregate)) this.tracked.set(aggregate, tracked);
    publisher.mergeObjectContext(aggregate).commit();
    return result;
  }

  private trackingOf(aggregate: AggregateRoot, streamId: string | undefined): Tracked {
    const tracked = this.tracked.get(aggregate);
    if (tracked) {
      if (streamId !== undefined && streamId !== tracked.streamId) throw new InvalidEventError('streamId', `is ${JSON.stringify(streamId)}, but the aggregate was loaded from ${JSON.stringify(tracked.streamId)}`);
      return tracked;
    }
    if (streamId === undefined) throw new InvalidEventError('streamId', 'is required to save an aggregate that was not loaded through this repository');
    return { streamId, version: -1 };
  }

  /** @nestjs/cqrs is an optional peer: loaded on first use, so apps without it can import this package. */
  private requirePublisher(): EventPublisher {
    if (this.publisher) return this.publisher;
    let cqrs: typeof import('@nestjs/cqrs');
    try {
      cqrs = require('@nestjs/cqrs') as typeof import('@nestjs/cqrs');
    } catch {
      throw new InvalidOptionsError('@nestjs/cqrs', 'is not installed: EventSourcedRepository publishes on its EventBus; npm install @nestjs/cqrs');
    }
    let publisher: EventPublisher;
    try {
      publisher = this.moduleRef.get(cqrs.EventPublisher, { strict: false });
    } catch {
      throw new InvalidOptionsError('CqrsModule', 'is not imported: EventSourcedRepository publishes on the EventBus of @nestjs/cqrs; add CqrsModule.forRoot() to the imports');
    }
    this.publisher = publisher;
    return publisher;
  }

  private refuseAutoCommit(aggregate: AggregateRoot): void {
    if (aggregate.autoCommit) {
      throw new InvalidOptionsError('autoCommit', `is on for ${aggregate.constructor.name}: it would publish events before they are durable; leave it off with EventSourcedRepository`);
    }
  }
}

function definedOnly(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
