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
export { EventStoreModule } from './nest/event-store.module';
export type { EventStoreModuleOptions } from './nest/event-store.module-definition';
export type { ChainstoreLogger } from './segment/logger';
export * from './errors';
