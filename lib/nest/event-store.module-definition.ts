import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EventStoreOptions } from '../store';

export type EventStoreModuleOptions = EventStoreOptions;

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: EVENT_STORE_OPTIONS, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<EventStoreModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
