export * from './chain-event-store';
