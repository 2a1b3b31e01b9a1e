export * from './bytes';
export * from './commit-block';
export * from './event-record';
export * from './index-block';
export * from './journal-frame';
export * from './journal-header';
export * from './segment-header';
export * from './segment-layout';
