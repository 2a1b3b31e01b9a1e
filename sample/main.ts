import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { INestApplicationContext, LoggerService, LogLevel } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NestFactory } from '@nestjs/core';
import { filter, firstValueFrom } from 'rxjs';
import { EventStore, ProjectionsService, StoreHead, VerifyResult } from '../lib';
import { Deposit, OpenAccount, Transfer, Withdraw } from './accounts/account.commands';
import { AuditLogProjection } from './accounts/audit-log.projection';
import { BalanceRow, BalancesProjection } from './accounts/balances.projection';
import { AppModule } from './app.module';

export interface SessionResult {
  balancesBefore: Record<string, BalanceRow>;
  balancesAfterRestart: Record<string, BalanceRow>;
  headBeforeRestart: StoreHead;
  verify: VerifyResult;
}

/**
 * The scripted session `npm start` runs: commands against two accounts, the projections, a restart
 * on the same directory (projections rebuilt from the validated chain before bootstrap completes),
 * a full chain verification and the head hash.
 */
export async function runSession(directory: string, print: (line: string) => void, logger: LoggerService | LogLevel[] | false = false): Promise<SessionResult> {
  const run = randomUUID().slice(0, 6);
  const ada = `account-ada-${run}`;
  const grace = `account-grace-${run}`;

  print(`— session 1: commands on the store in ${directory}`);
  let app = await start(directory, logger);
  const commands = app.get(CommandBus);
  const store = app.get(EventStore);
  await commands.execute(new OpenAccount(ada, 'Ada'));
  await commands.execute(new OpenAccount(grace, 'Grace'));
  await commands.execute(new Deposit(ada, 500));
  await commands.execute(new Withdraw(ada, 120));
  const received = firstValueFrom(store.subscribeToStream(grace, { fromVersion: 'end' }).pipe(filter((event) => event.type === 'TransferReceived')));
  await commands.execute(new Transfer(`transfer-${run}`, ada, grace, 200));
  await received; // the saga completed the transfer on Grace's account
  await commands.execute(new Deposit(grace, 50));
  await caughtUp(app.get(ProjectionsService));
  const balancesBefore = balancesOf(app, [ada, grace]);
  printBalances(print, balancesBefore);
  print('audit log (last 6 lines):');
  for (const line of app.get(AuditLogProjection).lines.slice(-6)) print(`  ${line}`);
  const headBeforeRestart = await store.head();
  print(`head before restart: position ${headBeforeRestart.position}, hash ${headBeforeRestart.hash}`);
  await app.close();

  print('— session 2: the same directory, a new application');
  app = await start(directory, logger);
  for (const status of await app.get(ProjectionsService).status()) {
    print(`projection ${status.name}: ${status.state} at position ${status.position}, lag ${status.lag}`);
  }
  const balancesAfterRestart = balancesOf(app, [ada, grace]);
  printBalances(print, balancesAfterRestart);
  const verify = await app.get(EventStore).verify();
  print(`verify: the chain is valid from genesis — ${verify.segments} sealed segment(s), ${verify.events} events, ${verify.bytes} bytes`);
  print(`head after restart: ${verify.head.hash} (${verify.head.hash === headBeforeRestart.hash ? 'unchanged' : 'CHANGED'})`);
  print('keep that hash elsewhere: `npx chainstore verify <dir> --expect-head <hash>` detects a truncated or rolled-back store');
  await app.close();
  return { balancesBefore, balancesAfterRestart, headBeforeRestart, verify };
}

function start(directory: string, logger: LoggerService | LogLevel[] | false): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(AppModule.forDirectory(directory), { logger });
}

/** Projections follow live commits asynchronously; wait until none lags behind the head. */
async function caughtUp(projections: ProjectionsService): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const statuses = await projections.status();
    if (statuses.every((status) => status.lag === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('projections did not catch up within 5 s');
}

function balancesOf(app: INestApplicationContext, accounts: string[]): Record<string, BalanceRow> {
  const rows = app.get(BalancesProjection).rows;
  return Object.fromEntries(accounts.map((id) => [id, rows.get(id) as BalanceRow]));
}

function printBalances(print: (line: string) => void, balances: Record<string, BalanceRow>): void {
  print('balances projection:');
  for (const [id, row] of Object.entries(balances)) print(`  ${id.padEnd(26)} ${row.owner.padEnd(6)} ${String(row.balance).padStart(6)}  (stream version ${row.version})`);
}

if (require.main === module) {
  const directory = process.env.CHAINSTORE_SAMPLE_DIR ?? './data';
  runSession(directory, (line) => console.log(line), ['warn', 'error']).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
