export * from './event-sourced-repository';
export * from './event-type.decorator';
