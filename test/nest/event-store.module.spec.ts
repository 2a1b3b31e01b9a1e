import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { lastValueFrom, toArray } from 'rxjs';
import { EventStore, EventStoreModule, InvalidOptionsError, StoreClosedError } from '../../lib';
import { silentLogger } from '../../lib/segment';
import { useTempDirectories } from '../support/temp-directory';

const tempDirectory = useTempDirectories();

@Injectable()
class AccountService {
  constructor(readonly events: EventStore) {}
}

describe('EventStoreModule', () => {
  test('forRoot provides the EventStore by its class; closing the app closes the store; a new app reads it back', async () => {
    const directory = tempDirectory();
    const first = await Test.createTestingModule({
      imports: [EventStoreModule.forRoot({ directory, logger: silentLogger })],
      providers: [AccountService],
    }).compile();
    const app = first;
    await app.init();
    const store = app.get(AccountService).events;
    await store.appendToStream('account-42', [{ type: 'MoneyDeposited', data: { amount: 10 } }], { expectedVersion: 'no-stream' });
    const head = await store.head();
    await app.close();
    await expect(store.appendToStream('account-42', [{ type: 'X', data: {} }])).rejects.toBeInstanceOf(StoreClosedError);

    const second = await Test.createTestingModule({
      imports: [EventStoreModule.forRootAsync({ useFactory: () => ({ directory, logger: silentLogger }) })],
    }).compile();
    const again = second;
    await again.init();
    const reopened = again.get(EventStore);
    await expect(reopened.head()).resolves.toEqual(head);
    const events = await lastValueFrom(reopened.readStream('account-42').pipe(toArray()));
    expect(events.map((e) => [e.type, e.data])).toEqual([['MoneyDeposited', { amount: 10 }]]);
    await again.close();
  });

  test('forRootAsync takes options from an injected provider', async () => {
    const directory = tempDirectory();
    @Module({ providers: [{ provide: 'STORE_DIRECTORY', useValue: directory }], exports: ['STORE_DIRECTORY'] })
    class ConfigModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventStoreModule.forRootAsync({
          imports: [ConfigModule],
          inject: ['STORE_DIRECTORY'],
          useFactory: (dir: string) => ({ directory: dir, logger: silentLogger }),
        }),
      ],
    }).compile();
    const app = moduleRef;
    await app.init();
    await app.get(EventStore).appendToStream('s', [{ type: 'A', data: 1 }]);
    await expect(app.get(EventStore).streamVersion('s')).resolves.toBe(0);
    await app.close();
  });

  test('the module is global: a feature module injects EventStore without importing it', async () => {
    const directory = tempDirectory();
    @Module({ providers: [AccountService], exports: [AccountService] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [EventStoreModule.forRoot({ directory, logger: silentLogger }), FeatureModule],
    }).compile();
    const app = moduleRef;
    await app.init();
    expect(app.get(AccountService).events).toBe(app.get(EventStore));
    await app.close();
  });

  test('a second forRoot with other options is a configuration error, not a second store', async () => {
    const build = Test.createTestingModule({
      imports: [
        EventStoreModule.forRoot({ directory: tempDirectory(), logger: silentLogger }),
        EventStoreModule.forRoot({ directory: tempDirectory(), logger: silentLogger }),
      ],
    }).compile();
    await expect(build).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(build).rejects.toThrow(/registered 2 times/);
  });

  test('a missing directory is a clear configuration error', async () => {
    const build = Test.createTestingModule({ imports: [EventStoreModule.forRoot({} as never)] }).compile();
    await expect(build).rejects.toThrow(/option directory is required/);
  });
});
