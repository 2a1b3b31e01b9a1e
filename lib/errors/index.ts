export * from './chainstore.error';
export * from './corruption.error';
export * from './format.error';
export * from './invalid-event.error';
export * from './invalid-options.error';
export * from './store-closed.error';
export * from './store-failed.error';
export * from './store-locked.error';
