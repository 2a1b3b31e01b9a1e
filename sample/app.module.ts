import { Module } from '@nestjs/common';
import { EventStoreModule } from '../lib';

export const DATA_DIRECTORY = process.env.CHAINSTORE_SAMPLE_DIR ?? './data/events';

@Module({
  imports: [EventStoreModule.forRoot({ directory: DATA_DIRECTORY })],
})
export class AppModule {}
