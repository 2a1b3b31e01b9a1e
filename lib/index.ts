// The public API of nestjs-chainstore. Everything not exported here is internal.
export { EventStore } from './store/event-store';
export type {
  AppendOptions,
  AppendResult,
  EventFilter,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadDirection,
  ReadStreamOptions,
  RecordedEvent,
  StoreHead,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  VerifyProgress,
  VerifyResult,
} from './store/types';
export type { EventStoreOptions } from './store/options';
export { openEventStore } from './streams/chain-event-store';
export type { ChainEventStoreOptions } from './streams/chain-event-store';
export { EventTypeRegistry, eventTypes } from './streams/event-type-registry';
export type { EventClass, Upcaster } from './streams/event-type-registry';
export { Projection, projectionDefinitionOf } from './projections/projection.decorator';
export type { ProjectionOptions } from './projections/projection.decorator';
export { ProjectionHandler } from './projections/projection-handler.decorator';
export { ProjectionsService } from './projections/projections.service';
export type { ProjectionCheckpointStore } from './projections/checkpoint-store';
export type { ProjectionState, ProjectionStatus } from './projections/projection-runner';
export { EventSourcedRepository } from './cqrs/event-sourced-repository';
export type { SaveOptions } from './cqrs/event-sourced-repository';
export { EventType } from './cqrs/event-type.decorator';
export { EventStoreModule } from './nest/event-store.module';
export type { EventStoreModuleOptions } from './nest/event-store.module-definition';
export type { ChainstoreLogger } from './segment/logger';
export * from './errors';
