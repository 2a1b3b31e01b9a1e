import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ChainEventStoreOptions } from '../streams';

export interface EventStoreModuleOptions extends ChainEventStoreOptions {
  projections?: {
    /**
     * Bootstrap completes only when every @Projection has caught up with the head as it was when
     * bootstrap began; false lets the app start while projections rebuild. @default true
     */
    waitForCatchUp?: boolean;
  };
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: EVENT_STORE_OPTIONS, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<EventStoreModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
