export * from './checkpoint-store';
export * from './projection-handler.decorator';
export * from './projection-runner';
export * from './projection.decorator';
export * from './projections.service';
