export * from './chain-event-store';
export * from './event-type-registry';
