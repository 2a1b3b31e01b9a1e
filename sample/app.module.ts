import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { EventStoreModule } from '../lib';
import { AccountsModule } from './accounts/accounts.module';

@Module({})
export class AppModule {
  /** The embedded store lives in `directory`: nothing to install, nothing to run beside the app. */
  static forDirectory(directory: string): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot(), EventStoreModule.forRoot({ directory }), AccountsModule],
    };
  }
}
