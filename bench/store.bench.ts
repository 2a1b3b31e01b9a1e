/**
 * Workloads of the public EventStore (openEventStore) for the benchmark runner (bench/runner.ts,
 * driven by bench/bench.ts): W1–W4 appends through appendToStream, W5 replay (readAll and
 * iterateAll), W6/W8 open with chain validation and the RSS after it, W7 readStream latency, W9
 * projection rebuild at Nest bootstrap, and a slow consumer's RSS. The fixture (bench/fixture.ts) is
 * built once per run through openEventStore with durability 'none', 4,096 appends in flight.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { openEventStore } from '../lib';
import type { ChainstoreLogger, EventStore, NewEvent } from '../lib';
import { appendedEvents, commitOrder, eventData, EVENT_TYPE, LONG_STREAM_EVENTS, readPlan, shapeOf, streamName } from './fixture';
import { hrNow, latencySummary, mb, msSince, Result, rssSampler, secondsSince, timedAppends } from './runner';

const IN_FLIGHT = 4096;

const silent: ChainstoreLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

function open(directory: string): Promise<EventStore> {
  return openEventStore({ directory, durability: 'none', logger: silent });
}

/** W1–W4 through the public API: openEventStore (durability 'fsync', the default) and appendToStream with the expected version. */
async function append(task: { directory: string; concurrency: number; eventsPerCommit: number; seconds: number; warmup: number }): Promise<Result> {
  const store = await openEventStore({ directory: task.directory, durability: 'fsync', logger: silent });
  const versions = new Array<number>(task.concurrency).fill(0);
  const result = await timedAppends(task, async (w) => {
    const streamId = `account-${w}`;
    const first = versions[w] as number;
    const events: NewEvent[] = appendedEvents(streamId, first, task.eventsPerCommit);
    await store.appendToStream(streamId, events, { expectedVersion: first === 0 ? 'no-stream' : first - 1 });
    versions[w] = first + task.eventsPerCommit;
  });
  await store.close();
  return result;
}

async function buildStore(task: { directory: string; events: number }): Promise<Result> {
  const shape = shapeOf(task.events);
  const order = commitOrder(shape);
  const names = Array.from({ length: shape.streams }, (_, i) => streamName(shape, i));
  const versions = new Uint32Array(shape.streams);
  const started = process.hrtime.bigint();
  const store = await openEventStore({ directory: task.directory, durability: 'none', logger: silent });
  let pending: Promise<unknown>[] = [];
  for (let at = 0; at < order.length; at++) {
    const s = order[at] as number;
    const streamId = names[s] as string;
    const version = (versions[s] as number) + 0;
    versions[s] = version + 1;
    // No expectedVersion: appends to one stream in flight together take versions in call order.
    pending.push(store.appendToStream(streamId, [{ type: 'MoneyDeposited', data: eventData(streamId, version) }]));
    if (pending.length >= IN_FLIGHT) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  const head = await store.head();
  await store.close();
  const seconds = secondsSince(started);
  const segmentsDirectory = join(task.directory, 'segments');
  const segmentNames = fs.readdirSync(segmentsDirectory).filter((name) => name.endsWith('.edb'));
  const bytes = segmentNames.reduce((sum, name) => sum + fs.statSync(join(segmentsDirectory, name)).size, 0);
  const journalDirectory = join(task.directory, 'journal');
  const journalBytes = fs.readdirSync(journalDirectory).reduce((sum, name) => sum + fs.statSync(join(journalDirectory, name)).size, 0);
  return { seconds, events: head.position + 1, segments: segmentNames.length, segmentBytes: bytes, journalBytes, eventsPerSecond: shape.events / seconds };
}

async function runReadAll(task: { directory: string; mode: 'observable' | 'iterable' | 'iterable-slow' }): Promise<Result> {
  const openStarted = process.hrtime.bigint();
  const store = await open(task.directory);
  const openSeconds = secondsSince(openStarted);
  const rssAfterOpen = process.memoryUsage.rss();
  const sampler = rssSampler();
  let count = 0;
  let checksum = 0;
  const started = process.hrtime.bigint();
  if (task.mode === 'observable') {
    await new Promise<void>((done, fail) => {
      store.readAll().subscribe({
        next: (event) => {
          count++;
          checksum += event.version;
          if ((count & 0x3fff) === 0) sampler.sample();
        },
        error: fail,
        complete: done,
      });
    });
  } else {
    for await (const event of store.iterateAll()) {
      count++;
      checksum += event.version;
      if ((count & 0x3fff) === 0) sampler.sample();
      if (task.mode === 'iterable-slow') await new Promise<void>((next) => setImmediate(next));
    }
  }
  const seconds = secondsSince(started);
  const peakRss = sampler.stop();
  const expected = (await store.head()).position + 1;
  await store.close();
  if (count !== expected) throw new Error(`read ${count} events, the store holds ${expected}`);
  return { eventsPerSecond: count / seconds, seconds, events: count, openSeconds, rssAfterOpenMb: mb(rssAfterOpen), peakRssMb: mb(peakRss), checksum };
}

async function runOpen(task: { directory: string }): Promise<Result> {
  const rssBefore = process.memoryUsage.rss();
  const started = process.hrtime.bigint();
  const store = await open(task.directory);
  const seconds = secondsSince(started);
  const memory = process.memoryUsage();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const afterGc = process.memoryUsage();
  await store.close();
  return {
    seconds,
    ms: seconds * 1000,
    rssIncreaseMb: mb(memory.rss - rssBefore),
    rssBeforeMb: mb(rssBefore),
    rssMb: mb(memory.rss),
    heapUsedMb: mb(memory.heapUsed),
    externalMb: mb(memory.external + memory.arrayBuffers),
    rssAfterGcMb: gc ? mb(afterGc.rss) : NaN,
    heapUsedAfterGcMb: gc ? mb(afterGc.heapUsed) : NaN,
  };
}

/** W7: `reads` random 100-event streams (with replacement), after 200 reads of short streams as warm-up. */
async function runReadStream(task: { directory: string; events: number; reads: number }): Promise<Result> {
  const shape = shapeOf(task.events);
  const store = await open(task.directory);
  const plan = readPlan(shape, task.reads, Date.now() & 0xffffffff);
  for (const streamId of plan.warmup) await lastValueFrom(store.readStream(streamId).pipe(toArray()));
  const latencies: number[] = [];
  let events = 0;
  for (const streamId of plan.measured) {
    const started = hrNow();
    const read = await lastValueFrom(store.readStream(streamId).pipe(toArray()));
    latencies.push(msSince(started));
    if (read.length !== LONG_STREAM_EVENTS) throw new Error(`${streamId}: read ${read.length} events`);
    events += read.length;
  }
  await store.close();
  return { ...latencySummary(latencies), meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length, reads: latencies.length, events };
}


/**
 * W9: a Nest application context with EventStoreModule.forRoot and one @Projection whose handler
 * counts events; the time from NestFactory.createApplicationContext to init() resolved (the store
 * opened with its chain validated, and the projection rebuilt from position 0: bootstrap waits for
 * it), and the events per second of that whole bootstrap.
 */
async function projectionBootstrap(task: { directory: string }): Promise<Result> {
  // Loaded here, not at the top: the other tasks (W8's RSS) do not pay for Nest.
  require('reflect-metadata');
  const { Module } = require('@nestjs/common') as typeof import('@nestjs/common');
  const { NestFactory } = require('@nestjs/core') as typeof import('@nestjs/core');
  const { EventStoreModule, Projection, ProjectionHandler, ProjectionsService } = require('../lib') as typeof import('../lib');
  class Counter {
    count = 0;
    checksum = 0;
    reset(): void {
      this.count = 0;
      this.checksum = 0;
    }
    deposited(event: { version: number }): void {
      this.count++;
      this.checksum += event.version;
    }
  }
  ProjectionHandler(EVENT_TYPE)(Counter.prototype, 'deposited', Object.getOwnPropertyDescriptor(Counter.prototype, 'deposited') as PropertyDescriptor);
  Projection('counter')(Counter);
  class AppModule {}
  Module({ imports: [EventStoreModule.forRoot({ directory: task.directory, logger: silent })], providers: [Counter] })(AppModule);
  const started = hrNow();
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  await app.init();
  const seconds = secondsSince(started);
  const counter = app.get(Counter);
  const status = await app.get(ProjectionsService).status();
  const rss = process.memoryUsage.rss();
  await app.close();
  if (counter.count === 0) throw new Error(`the projection saw no event: ${JSON.stringify(status)}`);
  return { eventsPerSecond: counter.count / seconds, ms: seconds * 1000, events: counter.count, rssMb: mb(rss), checksum: counter.checksum };
}

export const TASKS = { append, build: buildStore, readAll: runReadAll, open: runOpen, readStream: runReadStream, projectionBootstrap };
