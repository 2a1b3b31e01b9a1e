export * from './event-store.module';
export { EVENT_STORE_OPTIONS, EventStoreModuleOptions } from './event-store.module-definition';
