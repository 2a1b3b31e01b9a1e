export * from './encode-events';
export * from './event-store';
export * from './expected-version';
export * from './log-reader';
export * from './options';
export * from './recorded-event';
export * from './store-core';
export * from './types';
