import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EventStore } from '../store';

export const eventStoreLogger = new Logger('EventStore');

/** The one owner of the store's lifetime: closes it when the application shuts down. */
@Injectable()
export class EventStoreLifecycle implements OnApplicationShutdown {
  constructor(private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.store.close();
      eventStoreLogger.log('closed: pending appends settled, lock released');
    } catch (error) {
      eventStoreLogger.error(`closing failed: ${(error as Error).message}`);
      throw error;
    }
  }
}
