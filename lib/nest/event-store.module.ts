import { Module, Provider } from '@nestjs/common';
import { DiscoveryModule, ModulesContainer } from '@nestjs/core';
import { InvalidOptionsError } from '../errors/invalid-options.error';
import { PROJECTIONS_OPTIONS, ProjectionsOptions, ProjectionsService } from '../projections';
import { EventStore } from '../store';
import { openEventStore } from '../streams';
import { ConfigurableModuleClass, EVENT_STORE_OPTIONS, EventStoreModuleOptions } from './event-store.module-definition';
import { EventStoreLifecycle, eventStoreLogger } from './event-store.providers';

/** Opens the store while the module initialises: the app does not start on a store that cannot open. */
const eventStoreProvider: Provider = {
  provide: EventStore,
  inject: [EVENT_STORE_OPTIONS, ModulesContainer],
  useFactory: async (options: EventStoreModuleOptions, modules: ModulesContainer): Promise<EventStore> => {
    assertSingleRegistration(modules);
    const { projections: _projections, ...storeOptions } = options;
    const store = await openEventStore({ logger: eventStoreLogger, ...storeOptions });
    const head = await store.head();
    eventStoreLogger.log(`opened ${options.directory} (${head.position + 1} events, head ${head.hash.slice(0, 16)}…)`);
    return store;
  },
};

const projectionsOptionsProvider: Provider = {
  provide: PROJECTIONS_OPTIONS,
  inject: [EVENT_STORE_OPTIONS],
  useFactory: (options: EventStoreModuleOptions): ProjectionsOptions => ({
    directory: options.directory,
    waitForCatchUp: options.projections?.waitForCatchUp ?? true,
  }),
};

/**
 * `EventStoreModule.forRoot({ directory })` or `.forRootAsync({ imports, useFactory, inject })`:
 * provides `EventStore`, opened as the module initialises and closed on application shutdown, and
 * `ProjectionsService`, which rebuilds every @Projection at bootstrap. Global by default
 * (`isGlobal: false` to scope it).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [eventStoreProvider, EventStoreLifecycle, projectionsOptionsProvider, ProjectionsService],
  exports: [EventStore, ProjectionsService],
})
export class EventStoreModule extends ConfigurableModuleClass {}

function assertSingleRegistration(modules: ModulesContainer): void {
  const registrations = [...modules.values()].filter((module) => module.metatype === EventStoreModule);
  if (registrations.length > 1) {
    throw new InvalidOptionsError(
      'EventStoreModule.forRoot',
      `is registered ${registrations.length} times with different options, but an application has one event store: ` +
        'call forRoot once (the module is global)',
    );
  }
}
