/**
 * Read-side benchmarks of the public EventStore (openEventStore): replay of the whole log, open
 * with chain validation, readStream latency, memory after open and under a slow consumer, with a
 * SQLite (better-sqlite3) baseline over the same rows. Benchmarks print figures; they never pass
 * or fail.
 *
 *   npm run bench:store                           # 1,000,000-event fixture, 5 repetitions
 *   npm run bench:store -- --quick                # 100,000 events, 3 repetitions
 *   BENCH_EVENTS=300000 npm run bench:store -- --reps 3 --only W5-readAll,W6
 *   npm run bench:store -- --only W5-readAll --cpu-prof /tmp/profiles
 *
 * Options: --reps N (5; 3 with --quick), --quick, --dir DIR parent of the temp directory
 * (os.tmpdir()), --only ids (see WORKLOADS), --fixture DIR (keep the fixture there and reuse it in
 * later runs when its parameters match), --json FILE, --cpu-prof [DIR]. BENCH_EVENTS sets the
 * fixture size (1,000,000; 100,000 with --quick).
 *
 * Same runner as bench/engine.bench.ts: each workload repetition is a fresh child process (this file
 * with `--child <task>`) that prints one `RESULT {json}` line; repetitions are interleaved.
 *
 * The fixture: `events` events (~300 B of JSON data each) in events/10 streams. One stream in 100
 * has 100 events (W7 reads those); the other streams share the rest (9 or 10 events each for the
 * default size). Every event is its own 1-event commit and the order of the commits is a seeded
 * shuffle of all the events, so a stream's events are spread through the whole log. Built once per
 * run through openEventStore with durability 'none', 4,096 appends in flight at a time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { openEventStore } from '../lib';
import type { ChainstoreLogger, EventStore } from '../lib';

const DATA_BYTES = 300;
const REFERENCE = 'x'.repeat(DATA_BYTES - 160);
const LONG_STREAM_EVENTS = 100;
const IN_FLIGHT = 4096;

const silent: ChainstoreLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

// ---------------------------------------------------------------------------------------------
// The fixture's shape, computed the same way in every process (a seeded PRNG, no state on disk).

interface Shape {
  events: number;
  streams: number;
  longStreams: number;
}

function shapeOf(events: number): Shape {
  const streams = Math.max(1, Math.floor(events / 10));
  const longStreams = Math.max(1, Math.round(streams / 100));
  if (longStreams * LONG_STREAM_EVENTS + (streams - longStreams) > events) throw new Error(`${events} events are too few for ${streams} streams`);
  return { events, streams, longStreams };
}

/** Stream i's name: the first `longStreams` are the 100-event streams. */
function streamName(shape: Shape, i: number): string {
  return i < shape.longStreams ? `long-${i}` : `account-${i}`;
}

/** Events of stream i. */
function streamLength(shape: Shape, i: number): number {
  if (i < shape.longStreams) return LONG_STREAM_EVENTS;
  const rest = shape.events - shape.longStreams * LONG_STREAM_EVENTS;
  const others = shape.streams - shape.longStreams;
  const base = Math.floor(rest / others);
  return i - shape.longStreams < rest - base * others ? base + 1 : base;
}

/** mulberry32: a small seeded PRNG, so that every run builds the same log. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The stream of each commit, in log order: every stream index repeated by its length, shuffled. */
function commitOrder(shape: Shape): Uint32Array {
  const order = new Uint32Array(shape.events);
  let at = 0;
  for (let i = 0; i < shape.streams; i++) for (let n = streamLength(shape, i); n > 0; n--) order[at++] = i;
  if (at !== shape.events) throw new Error(`shape adds up to ${at} events, not ${shape.events}`);
  const random = prng(42);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}

function eventData(streamId: string, version: number): Record<string, unknown> {
  return { streamId, version, accountId: streamId, amount: 1000 + (version % 977), currency: 'EUR', at: new Date(1795500000000 + version).toISOString(), reference: REFERENCE };
}

// ---------------------------------------------------------------------------------------------
// Tasks run in child processes.

type Task =
  | { kind: 'build-store'; directory: string; events: number }
  | { kind: 'build-sqlite'; directory: string; sqlitePath: string }
  | { kind: 'read-all'; directory: string; mode: 'observable' | 'iterable' | 'iterable-slow' }
  | { kind: 'open'; directory: string }
  | { kind: 'read-stream'; directory: string; events: number; reads: number }
  | { kind: 'sqlite-iterate'; sqlitePath: string }
  | { kind: 'sqlite-stream'; sqlitePath: string; events: number; reads: number };

type Result = Record<string, number>;

const now = (): number => performance.now();
const mb = (bytes: number): number => bytes / (1024 * 1024);

function hrSeconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] as number;
}

function open(directory: string): Promise<EventStore> {
  return openEventStore({ directory, durability: 'none', logger: silent });
}

/** Peak RSS, sampled by a timer (every 20 ms) and by the caller (`sample()`), whichever sees more. */
function rssSampler(): { sample: () => void; stop: () => number } {
  let peak = process.memoryUsage.rss();
  const sample = (): void => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  };
  const timer = setInterval(sample, 20);
  return {
    sample,
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

async function buildStore(task: Extract<Task, { kind: 'build-store' }>): Promise<Result> {
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
  const seconds = hrSeconds(started);
  const segmentsDirectory = join(task.directory, 'segments');
  const segmentNames = fs.readdirSync(segmentsDirectory).filter((name) => name.endsWith('.edb'));
  const bytes = segmentNames.reduce((sum, name) => sum + fs.statSync(join(segmentsDirectory, name)).size, 0);
  const journalDirectory = join(task.directory, 'journal');
  const journalBytes = fs.readdirSync(journalDirectory).reduce((sum, name) => sum + fs.statSync(join(journalDirectory, name)).size, 0);
  return { seconds, events: head.position + 1, segments: segmentNames.length, segmentBytes: bytes, journalBytes, eventsPerSecond: shape.events / seconds };
}

async function runReadAll(task: Extract<Task, { kind: 'read-all' }>): Promise<Result> {
  const openStarted = process.hrtime.bigint();
  const store = await open(task.directory);
  const openSeconds = hrSeconds(openStarted);
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
  const seconds = hrSeconds(started);
  const peakRss = sampler.stop();
  const expected = (await store.head()).position + 1;
  await store.close();
  if (count !== expected) throw new Error(`read ${count} events, the store holds ${expected}`);
  return { eventsPerSecond: count / seconds, seconds, events: count, openSeconds, rssAfterOpenMb: mb(rssAfterOpen), peakRssMb: mb(peakRss), checksum };
}

async function runOpen(task: Extract<Task, { kind: 'open' }>): Promise<Result> {
  const rssBefore = process.memoryUsage.rss();
  const started = process.hrtime.bigint();
  const store = await open(task.directory);
  const seconds = hrSeconds(started);
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

/** `reads` random 100-event streams (with replacement), after 200 reads of short streams as warm-up. */
async function runReadStream(task: Extract<Task, { kind: 'read-stream' }>): Promise<Result> {
  const shape = shapeOf(task.events);
  const store = await open(task.directory);
  const random = prng(Date.now() & 0xffffffff);
  for (let i = 0; i < 200; i++) {
    const s = shape.longStreams + Math.floor(random() * (shape.streams - shape.longStreams));
    await lastValueFrom(store.readStream(streamName(shape, s)).pipe(toArray()));
  }
  const latencies: number[] = [];
  let events = 0;
  for (let i = 0; i < task.reads; i++) {
    const streamId = streamName(shape, Math.floor(random() * shape.longStreams));
    const started = process.hrtime.bigint();
    const read = await lastValueFrom(store.readStream(streamId).pipe(toArray()));
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (read.length !== LONG_STREAM_EVENTS) throw new Error(`${streamId}: read ${read.length} events`);
    events += read.length;
  }
  await store.close();
  latencies.sort((a, b) => a - b);
  return { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), maxMs: latencies[latencies.length - 1] as number, meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length, reads: latencies.length, events };
}

// ---------------------------------------------------------------------------------------------
// SQLite baseline (better-sqlite3 from bench/node_modules, typed by hand as engine.bench.ts does).

interface SqliteStatement {
  run(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}
interface SqliteDatabase {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(source: string): void;
  prepare(source: string): SqliteStatement;
  transaction<T extends (...args: never[]) => unknown>(fn: T): T;
  close(): void;
}
interface SqliteRow {
  position: number;
  stream_id: string;
  version: number;
  id: Buffer;
  type: string;
  data: Buffer;
  metadata: Buffer;
  recorded_at: number;
}

/** bench/: children run from a compiled copy elsewhere (see compileForChildren). */
const BENCH_DIR = process.env.CHAINSTORE_BENCH_DIR ?? __dirname;

function loadSqlite(): new (path: string, options?: { readonly?: boolean }) => SqliteDatabase {
  return createRequire(join(BENCH_DIR, 'package.json'))('better-sqlite3');
}

/** The same rows as the store, copied from it in log order (ids, JSON and times identical). */
async function buildSqlite(task: Extract<Task, { kind: 'build-sqlite' }>): Promise<Result> {
  const Database = loadSqlite();
  const db = new Database(task.sqlitePath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec(`CREATE TABLE events (
    position    INTEGER PRIMARY KEY,
    stream_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    id          BLOB    NOT NULL,
    type        TEXT    NOT NULL,
    data        BLOB    NOT NULL,
    metadata    BLOB    NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (stream_id, version)
  )`);
  const insert = db.prepare('INSERT INTO events (position, stream_id, version, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const store = await open(task.directory);
  const started = process.hrtime.bigint();
  let batch: SqliteRow[] = [];
  const flush = db.transaction((rows: SqliteRow[]) => {
    for (const r of rows) insert.run(r.position, r.stream_id, r.version, r.id, r.type, r.data, r.metadata, r.recorded_at);
  });
  let rows = 0;
  for await (const event of store.iterateAll()) {
    batch.push({
      position: event.position,
      stream_id: event.streamId,
      version: event.version,
      id: Buffer.from(event.id.replace(/-/g, ''), 'hex'),
      type: event.type,
      data: Buffer.from(JSON.stringify(event.data)),
      metadata: Buffer.from(JSON.stringify(event.metadata)),
      recorded_at: event.recordedAt.getTime(),
    });
    if (batch.length >= 50_000) {
      flush(batch);
      rows += batch.length;
      batch = [];
    }
  }
  flush(batch);
  rows += batch.length;
  await store.close();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { seconds: hrSeconds(started), rows, bytes: fs.statSync(task.sqlitePath).size };
}

function sqliteEvent(row: SqliteRow): Record<string, unknown> {
  return {
    id: row.id,
    streamId: row.stream_id,
    version: row.version,
    position: row.position,
    type: row.type,
    data: JSON.parse(row.data.toString('utf8')) as unknown,
    metadata: JSON.parse(row.metadata.toString('utf8')) as unknown,
    recordedAt: new Date(row.recorded_at),
  };
}

async function runSqliteIterate(task: Extract<Task, { kind: 'sqlite-iterate' }>): Promise<Result> {
  const Database = loadSqlite();
  const db = new Database(task.sqlitePath, { readonly: true });
  const sampler = rssSampler();
  const started = process.hrtime.bigint();
  let count = 0;
  let checksum = 0;
  for (const row of db.prepare('SELECT * FROM events ORDER BY position').iterate()) {
    const event = sqliteEvent(row as SqliteRow);
    count++;
    checksum += event.version as number;
    if ((count & 0x3fff) === 0) sampler.sample();
  }
  const seconds = hrSeconds(started);
  const peakRss = sampler.stop();
  db.close();
  return { eventsPerSecond: count / seconds, seconds, events: count, peakRssMb: mb(peakRss), checksum };
}

async function runSqliteStream(task: Extract<Task, { kind: 'sqlite-stream' }>): Promise<Result> {
  const shape = shapeOf(task.events);
  const Database = loadSqlite();
  const db = new Database(task.sqlitePath, { readonly: true });
  const select = db.prepare('SELECT * FROM events WHERE stream_id = ? AND version >= ? ORDER BY version');
  const random = prng(Date.now() & 0xffffffff);
  for (let i = 0; i < 200; i++) {
    const s = shape.longStreams + Math.floor(random() * (shape.streams - shape.longStreams));
    select.all(streamName(shape, s), 0).map((row) => sqliteEvent(row as SqliteRow));
  }
  const latencies: number[] = [];
  for (let i = 0; i < task.reads; i++) {
    const streamId = streamName(shape, Math.floor(random() * shape.longStreams));
    const started = process.hrtime.bigint();
    const read = select.all(streamId, 0).map((row) => sqliteEvent(row as SqliteRow));
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (read.length !== LONG_STREAM_EVENTS) throw new Error(`${streamId}: read ${read.length} rows`);
  }
  db.close();
  latencies.sort((a, b) => a - b);
  return { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), maxMs: latencies[latencies.length - 1] as number, reads: latencies.length };
}

async function runTask(task: Task): Promise<Result> {
  switch (task.kind) {
    case 'build-store':
      return buildStore(task);
    case 'build-sqlite':
      return buildSqlite(task);
    case 'read-all':
      return runReadAll(task);
    case 'open':
      return runOpen(task);
    case 'read-stream':
      return runReadStream(task);
    case 'sqlite-iterate':
      return runSqliteIterate(task);
    case 'sqlite-stream':
      return runSqliteStream(task);
  }
}

// ---------------------------------------------------------------------------------------------
// The parent: builds the fixture, spawns the children, aggregates, prints the tables.

interface Options {
  reps: number;
  quick: boolean;
  events: number;
  reads: number;
  dir: string;
  fixture: string | undefined;
  only: Set<string> | undefined;
  json: string | undefined;
  cpuProf: string | undefined;
}

interface Figure {
  metric: string;
  label: string;
  unit: string;
  /** The project's target: at least (≥) or at most (≤) this value. */
  target?: { value: number; atMost: boolean };
}

interface Workload {
  id: string;
  label: string;
  task: (fixture: Fixture, options: Options) => Task;
  figures: Figure[];
  needsSqlite?: boolean;
}

interface Fixture {
  directory: string;
  sqlitePath: string;
}

const WORKLOADS: Workload[] = [
  {
    id: 'W5-readAll',
    label: 'W5 readAll() Observable, count every decoded event',
    task: (f) => ({ kind: 'read-all', directory: f.directory, mode: 'observable' }),
    figures: [
      { metric: 'eventsPerSecond', label: 'W5 readAll replay (Observable)', unit: 'events/s', target: { value: 700_000, atMost: false } },
      { metric: 'peakRssMb', label: 'W5 readAll: peak RSS during the replay', unit: 'MB' },
    ],
  },
  {
    id: 'W5-iterateAll',
    label: 'W5 iterateAll() for-await, count every decoded event',
    task: (f) => ({ kind: 'read-all', directory: f.directory, mode: 'iterable' }),
    figures: [
      { metric: 'eventsPerSecond', label: 'W5 iterateAll replay (for await)', unit: 'events/s', target: { value: 700_000, atMost: false } },
      { metric: 'peakRssMb', label: 'W5 iterateAll: peak RSS during the replay', unit: 'MB' },
    ],
  },
  {
    id: 'W6',
    label: 'W6/W8 openEventStore in a new process (chain validated), RSS after',
    task: (f) => ({ kind: 'open', directory: f.directory }),
    figures: [
      { metric: 'ms', label: 'W6 openEventStore (full chain validation)', unit: 'ms', target: { value: 1000, atMost: true } },
      { metric: 'rssMb', label: 'W8 RSS right after open', unit: 'MB', target: { value: 200, atMost: true } },
      { metric: 'rssBeforeMb', label: 'W8 RSS of the process before open (node + lib loaded)', unit: 'MB' },
      { metric: 'rssAfterGcMb', label: 'W8 RSS after open and a forced gc()', unit: 'MB' },
      { metric: 'heapUsedAfterGcMb', label: 'W8 JS heap used after open and gc()', unit: 'MB' },
    ],
  },
  {
    id: 'W7',
    label: 'W7 readStream of a 100-event stream (toArray), random streams',
    task: (f, o) => ({ kind: 'read-stream', directory: f.directory, events: o.events, reads: o.reads }),
    figures: [
      { metric: 'p50Ms', label: 'W7 readStream 100 events, p50', unit: 'ms' },
      { metric: 'p99Ms', label: 'W7 readStream 100 events, p99', unit: 'ms', target: { value: 1, atMost: true } },
      { metric: 'maxMs', label: 'W7 readStream 100 events, max', unit: 'ms' },
    ],
  },
  {
    id: 'slow-consumer',
    label: 'iterateAll with a consumer that awaits setImmediate after every event',
    task: (f) => ({ kind: 'read-all', directory: f.directory, mode: 'iterable-slow' }),
    figures: [
      { metric: 'peakRssMb', label: 'iterateAll, slow consumer: peak RSS', unit: 'MB', target: { value: 250, atMost: true } },
      { metric: 'eventsPerSecond', label: 'iterateAll, slow consumer: rate', unit: 'events/s' },
    ],
  },
  {
    id: 'sqlite-iterate',
    label: 'SQLite iterate() in position order, row → object with JSON.parse',
    task: (f) => ({ kind: 'sqlite-iterate', sqlitePath: f.sqlitePath }),
    figures: [
      { metric: 'eventsPerSecond', label: 'SQLite iterate() replay', unit: 'events/s' },
      { metric: 'peakRssMb', label: 'SQLite iterate(): peak RSS', unit: 'MB' },
    ],
    needsSqlite: true,
  },
  {
    id: 'sqlite-stream',
    label: 'SQLite 100-row stream read by (stream_id, version), .all() + JSON.parse',
    task: (f, o) => ({ kind: 'sqlite-stream', sqlitePath: f.sqlitePath, events: o.events, reads: o.reads }),
    figures: [
      { metric: 'p50Ms', label: 'SQLite 100-row stream read, p50', unit: 'ms' },
      { metric: 'p99Ms', label: 'SQLite 100-row stream read, p99', unit: 'ms' },
    ],
    needsSqlite: true,
  },
];

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const fromEnv = process.env.BENCH_EVENTS ? Number(process.env.BENCH_EVENTS.replace(/_/g, '')) : undefined;
  if (fromEnv !== undefined && !(Number.isInteger(fromEnv) && fromEnv >= 1000)) throw new Error(`BENCH_EVENTS must be an integer ≥ 1000, not ${process.env.BENCH_EVENTS}`);
  const options: Options = { reps: quick ? 3 : 5, quick, events: fromEnv ?? (quick ? 100_000 : 1_000_000), reads: 1000, dir: tmpdir(), fixture: undefined, only: undefined, json: undefined, cpuProf: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') continue;
    else if (arg === '--reps') options.reps = Number(value());
    else if (arg === '--reads') options.reads = Number(value());
    else if (arg === '--dir') options.dir = resolve(value());
    else if (arg === '--fixture') options.fixture = resolve(value());
    else if (arg === '--only') options.only = new Set(value().split(','));
    else if (arg === '--json') options.json = resolve(value());
    else if (arg === '--cpu-prof') options.cpuProf = argv[i + 1] && !argv[i + 1]?.startsWith('--') ? resolve(value()) : resolve('bench/profiles');
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/**
 * Children run plain JavaScript: this file and lib/ compiled once with @swc/core (the options of
 * bench/register.js) into the run's temp directory. Loading the register hook in every child would
 * keep @swc/core's native module resident (~100 MB of RSS before the store is opened), which W8 and
 * the RSS figures would count. Bare imports (rxjs, @noble/hashes) resolve through NODE_PATH.
 */
let childEntry = __filename;
const childEnv: NodeJS.ProcessEnv = { ...process.env, CHAINSTORE_BENCH_DIR: __dirname };

function compileForChildren(root: string): void {
  const { transformSync } = require('@swc/core') as typeof import('@swc/core');
  const repo = resolve(__dirname, '..');
  const out = join(root, 'js');
  const files = [join(repo, 'bench', 'store.bench.ts')];
  const walk = (directory: string): void => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) files.push(path);
    }
  };
  walk(join(repo, 'lib'));
  for (const file of files) {
    const { code } = transformSync(fs.readFileSync(file, 'utf8'), {
      filename: file,
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    });
    const target = join(out, file.slice(repo.length + 1)).replace(/\.ts$/, '.js');
    fs.mkdirSync(join(target, '..'), { recursive: true });
    fs.writeFileSync(target, code);
  }
  childEntry = join(out, 'bench', 'store.bench.js');
  childEnv.NODE_PATH = [join(repo, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(':');
}

function spawnChild(task: Task, label: string, options: Options): Result | Error {
  const execArgv = ['--expose-gc'];
  if (options.cpuProf) {
    fs.mkdirSync(options.cpuProf, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`, `--cpu-prof-name=${label.replace(/[^A-Za-z0-9-]+/g, '_')}-${Date.now()}.cpuprofile`);
  }
  const child = spawnSync(process.execPath, [...execArgv, childEntry, '--child', JSON.stringify(task)], { env: childEnv, encoding: 'utf8', timeout: 30 * 60 * 1000, maxBuffer: 64 * 1024 * 1024 });
  const line = child.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || !line) return new Error(`${label}: exit ${child.status ?? child.signal}: ${(child.stderr || child.stdout || '').trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(line.slice('RESULT '.length)) as Result;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function fileSystemType(directory: string): string {
  try {
    return execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', directory], { encoding: 'utf8' }).trim();
  } catch {
    try {
      return execFileSync('stat', ['-f', '-c', '%T', directory], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  }
}

/** Builds the fixture (or reuses the one in --fixture when it was built with the same size). */
function prepareFixture(options: Options, root: string, sqliteAvailable: boolean, needSqlite: boolean): Fixture {
  const base = options.fixture ?? join(root, 'fixture');
  const fixture: Fixture = { directory: join(base, 'store'), sqlitePath: join(base, 'events.sqlite') };
  const marker = join(base, 'fixture.json');
  const wanted = JSON.stringify({ events: options.events, version: 1 });
  const reusable = fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === wanted;
  if (!reusable) {
    fs.rmSync(base, { recursive: true, force: true });
    fs.mkdirSync(base, { recursive: true });
    const shape = shapeOf(options.events);
    process.stdout.write(`building the fixture: ${format(shape.events)} events in ${format(shape.streams)} streams (${format(shape.longStreams)} of ${LONG_STREAM_EVENTS} events), 1-event commits in shuffled order, durability 'none'… `);
    const built = spawnChild({ kind: 'build-store', directory: fixture.directory, events: options.events }, 'build-store', { ...options, cpuProf: undefined });
    if (built instanceof Error) throw built;
    console.log(`${format(built.seconds ?? NaN)} s (${format(built.eventsPerSecond ?? NaN)} events/s), ${built.segments} sealed segments (${format(mb(built.segmentBytes ?? NaN))} MiB) + ${format(mb(built.journalBytes ?? NaN))} MiB of journal`);
    fs.writeFileSync(marker, wanted);
  } else {
    console.log(`reusing the fixture in ${base}`);
  }
  if (needSqlite && sqliteAvailable && !fs.existsSync(fixture.sqlitePath)) {
    process.stdout.write('copying the same rows into SQLite (WAL, synchronous=OFF, 50,000-row transactions)… ');
    const built = spawnChild({ kind: 'build-sqlite', directory: fixture.directory, sqlitePath: fixture.sqlitePath }, 'build-sqlite', { ...options, cpuProf: undefined });
    if (built instanceof Error) throw built;
    console.log(`${format(built.rows ?? NaN)} rows in ${format(built.seconds ?? NaN)} s, ${format(mb(built.bytes ?? NaN))} MiB`);
  }
  return fixture;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workloads = WORKLOADS.filter((w) => !options.only || options.only.has(w.id));
  fs.mkdirSync(options.dir, { recursive: true });
  const root = fs.mkdtempSync(join(options.dir, 'chainstore-store-bench-'));
  const sqliteAvailable = (() => {
    try {
      loadSqlite();
      return true;
    } catch (error) {
      return error as Error;
    }
  })();
  const shape = shapeOf(options.events);
  console.log(`# chainstore read-side benchmarks — ${new Date().toISOString()}`);
  console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), file system of ${options.fixture ?? root}: ${fileSystemType(options.fixture && fs.existsSync(options.fixture) ? options.fixture : root)}`);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine is shared: other processes' CPU shows up in these figures)`);
  console.log(`${options.reps} repetitions, each in a fresh child process; fixture ${format(shape.events)} events, ${format(shape.streams)} streams; W7 ${options.reads} reads per repetition`);
  if (sqliteAvailable !== true) console.log(`SQLite baseline skipped: better-sqlite3 is not installed in bench/ (npm ci --prefix bench): ${sqliteAvailable.message.split('\n')[0]}`);
  const results = new Map<string, Result[]>();
  const errors: string[] = [];
  try {
    compileForChildren(root);
    const fixture = prepareFixture(options, root, sqliteAvailable === true, workloads.some((w) => w.needsSqlite));
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const workload of workloads) {
        if (workload.needsSqlite && sqliteAvailable !== true) continue;
        const load = loadavg()[0] ?? NaN;
        const result = spawnChild(workload.task(fixture, options), `${workload.id}-rep${rep}`, options);
        if (result instanceof Error) {
          errors.push(result.message);
          console.log(`  rep ${rep} ${workload.id}: FAILED ${result.message}`);
          continue;
        }
        results.set(workload.id, [...(results.get(workload.id) ?? []), result]);
        const shown = workload.figures.map((f) => `${format(result[f.metric] ?? NaN)} ${f.unit}`).join(', ');
        const open = result.openSeconds !== undefined ? ` (open ${format(result.openSeconds * 1000)} ms, RSS after open ${format(result.rssAfterOpenMb ?? NaN)} MB)` : '';
        console.log(`  rep ${rep} ${workload.id}: ${shown}${open} [load ${load.toFixed(1)}]`);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }

  console.log('\n| figure | median | min–max | unit | target | |');
  console.log('|---|---:|---:|---|---:|---|');
  for (const workload of workloads) {
    const runs = results.get(workload.id) ?? [];
    if (runs.length === 0) continue;
    for (const figure of workload.figures) {
      const values = runs.map((r) => r[figure.metric] ?? NaN).filter(Number.isFinite);
      if (values.length === 0) continue;
      const m = median(values);
      const target = figure.target ? `${figure.target.atMost ? '≤' : '≥'} ${format(figure.target.value)}` : '';
      const verdict = figure.target ? ((figure.target.atMost ? m <= figure.target.value : m >= figure.target.value) ? 'met' : 'missed') : '';
      console.log(`| ${figure.label} | ${format(m)} | ${format(Math.min(...values))}–${format(Math.max(...values))} | ${figure.unit} | ${target} | ${verdict} |`);
    }
  }
  const ratio = (a: string, b: string): number => median((results.get(a) ?? []).map((r) => r.eventsPerSecond ?? NaN)) / median((results.get(b) ?? []).map((r) => r.eventsPerSecond ?? NaN));
  const ratios: Array<[string, number]> = [
    ['W5 readAll events/s ÷ SQLite iterate() events/s', ratio('W5-readAll', 'sqlite-iterate')],
    ['W5 iterateAll events/s ÷ SQLite iterate() events/s', ratio('W5-iterateAll', 'sqlite-iterate')],
    [
      'W7 readStream p99 ÷ SQLite stream read p99',
      median((results.get('W7') ?? []).map((r) => r.p99Ms ?? NaN)) / median((results.get('sqlite-stream') ?? []).map((r) => r.p99Ms ?? NaN)),
    ],
  ];
  const shownRatios = ratios.filter(([, v]) => Number.isFinite(v));
  if (shownRatios.length > 0) {
    console.log('\n| ratio (our store ÷ SQLite) | value |');
    console.log('|---|---:|');
    for (const [label, v] of shownRatios) console.log(`| ${label} | ${v.toFixed(2)}× |`);
  }
  console.log(`\nload average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('MB = 2^20 bytes. The fixture was just written: its files are in the page cache, so these figures measure CPU, not the disk.');
  if (errors.length > 0) console.log(`\n${errors.length} run(s) failed:\n${errors.join('\n')}`);
  if (options.json) fs.writeFileSync(options.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, options: { ...options, only: options.only && [...options.only] }, results: Object.fromEntries(results) }, null, 2));
}

if (process.argv[2] === '--child') {
  runTask(JSON.parse(process.argv[3] as string) as Task).then(
    (result) => {
      process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    },
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
