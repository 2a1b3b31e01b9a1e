export * from './genesis';
export * from './hash-functions';
export * from './link';
export * from './merkle';
export * from './validate-segment';
export * from './verify-segment-contents';
export * from './steps';
