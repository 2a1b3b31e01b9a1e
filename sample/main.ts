import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { lastValueFrom, toArray } from 'rxjs';
import { EventStore } from '../lib';
import { AppModule, DATA_DIRECTORY } from './app.module';

/** A scripted session on the embedded store: append, read, subscribe, restart, verify. */
async function main(): Promise<void> {
  const accountId = `account-${randomUUID().slice(0, 8)}`;
  let app = await NestFactory.createApplicationContext(AppModule, { logger: ['log', 'warn', 'error'] });
  let store = app.get(EventStore);

  const live = store.subscribeToStream(accountId).subscribe((event) => console.log(`  live  ${event.type} v${event.version} ${JSON.stringify(event.data)}`));
  await store.appendToStream(accountId, [{ type: 'AccountOpened', data: { owner: 'Ada' } }], { expectedVersion: 'no-stream' });
  await store.appendToStream(accountId, [{ type: 'MoneyDeposited', data: { amount: 100 } }, { type: 'MoneyWithdrawn', data: { amount: 30 } }], { expectedVersion: 0 });
  live.unsubscribe();
  const headBefore = await store.head();
  console.log(`appended to ${accountId}; head is position ${headBefore.position}, hash ${headBefore.hash}`);
  await app.close();

  console.log('restarting on the same directory...');
  app = await NestFactory.createApplicationContext(AppModule, { logger: ['log', 'warn', 'error'] });
  store = app.get(EventStore);
  const history = await lastValueFrom(store.readStream(accountId).pipe(toArray()));
  const balance = history.reduce((sum, event) => {
    const amount = (event.data as { amount?: number }).amount ?? 0;
    return event.type === 'MoneyDeposited' ? sum + amount : event.type === 'MoneyWithdrawn' ? sum - amount : sum;
  }, 0);
  console.log(`${accountId} read back: ${history.map((event) => event.type).join(', ')}; balance ${balance}`);
  const report = await store.verify();
  console.log(`verify: ${report.segments} sealed segments, ${report.events} events, ${report.bytes} bytes, chain valid`);
  console.log(`head after restart: ${report.head.hash} (${report.head.hash === headBefore.hash ? 'unchanged' : 'CHANGED'})`);
  console.log(`store directory: ${DATA_DIRECTORY}`);
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
