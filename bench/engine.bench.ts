/**
 * Storage-engine benchmarks: the SegmentLog write path, chain verification, and baselines measured
 * in the same run (plain node:fs append/overwrite + fdatasync, SQLite through better-sqlite3).
 * Benchmarks print figures; they never pass or fail.
 *
 *   npm run bench:engine                         # everything, 5 repetitions
 *   npm run bench:engine -- --reps 3 --seconds 2 --only W1,W2,sqlite-serial
 *   npm run bench:engine -- --cpu-prof           # also writes a .cpuprofile per child process
 *
 * Options: --reps N (5), --seconds S measured per append workload (3), --warmup S (0.5),
 * --store-mb MB for the verification store (320), --dir DIR parent of the temp directory (os.tmpdir()),
 * --only a,b (workload ids, see WORKLOADS), --json FILE (raw results), --cpu-prof [DIR].
 *
 * Each workload repetition runs in a fresh child process (this file with `--child <task>`), which
 * prints one `RESULT {json}` line. Repetitions are interleaved (rep 1 of every workload, then rep 2…)
 * so that a burst of load from other processes on the machine spreads over the workloads.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { genesisHash } from '../lib/chain/genesis';
import { validateSegment } from '../lib/chain/validate-segment';
import { CorruptionError } from '../lib/errors/corruption.error';
import { FormatError } from '../lib/errors/format.error';
import { decodeSegmentHeader, encodeCommitBlock, encodeJournalFrame } from '../lib/format';
import { CommitEvent, SegmentLog, silentLogger, StoreLayout, verifyStore } from '../lib/segment';

// ---------------------------------------------------------------------------------------------
// Events: ~300-byte JSON payloads, as an application would append them.

const EVENT_TYPE = Buffer.from('MoneyDeposited');
const NO_METADATA = Buffer.alloc(0);
/** Target size of an event's JSON data. */
const DATA_BYTES = 300;

const REFERENCE = 'x'.repeat(DATA_BYTES - 160);

function eventData(streamId: string, version: number): Buffer {
  return Buffer.from(JSON.stringify({ streamId, version, accountId: streamId, amount: 1000 + (version % 977), currency: 'EUR', at: new Date(1795500000000 + version).toISOString(), reference: REFERENCE }));
}

/** An event id as an app makes one: a random UUID (randomUUID draws from a pool: cheap). */
function eventId(): Buffer {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
}

function makeEvent(streamId: string, version: number): CommitEvent {
  return { version, id: eventId(), streamId: Buffer.from(streamId), type: EVENT_TYPE, data: eventData(streamId, version), metadata: NO_METADATA };
}

// ---------------------------------------------------------------------------------------------
// Tasks run in child processes.

type Task =
  | { kind: 'append'; directory: string; concurrency: number; eventsPerCommit: number; seconds: number; warmup: number }
  | { kind: 'raw'; directory: string; mode: 'append' | 'overwrite' | 'overwrite-dsync'; bytes: number; seconds: number; warmup: number }
  | { kind: 'sqlite'; directory: string; rowsPerTransaction: number; seconds: number; warmup: number }
  | { kind: 'build-store'; directory: string; segments: number }
  | { kind: 'verify-store' | 'validate-segments' | 'open-read-only'; directory: string };

type Result = Record<string, number>;

const SEGMENT_SIZE_BYTES = 64 * 1024 * 1024;

function now(): number {
  return performance.now();
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] as number;
}

async function runAppend(task: Extract<Task, { kind: 'append' }>): Promise<Result> {
  const log = await SegmentLog.open({ directory: task.directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: false, logger: silentLogger });
  let measuring = false;
  let stop = false;
  let events = 0;
  let commits = 0;
  // One onDurable call per group-commit write (one frame, one fdatasync): how well commits are batched.
  let flushes = 0;
  let flushedCommits = 0;
  log.onDurable((batch) => {
    if (!measuring) return;
    flushes++;
    flushedCommits += batch.length;
  });
  const latencies: number[] = [];
  const worker = async (w: number): Promise<void> => {
    const streamId = `account-${w}`;
    let version = 0;
    while (!stop) {
      const batch: CommitEvent[] = [];
      for (let i = 0; i < task.eventsPerCommit; i++) batch.push(makeEvent(streamId, version++));
      const started = now();
      await log.appendCommit(batch).durable;
      if (measuring) {
        latencies.push(now() - started);
        events += batch.length;
        commits++;
      }
    }
  };
  const workers = Array.from({ length: task.concurrency }, (_, w) => worker(w));
  await sleep(task.warmup * 1000);
  measuring = true;
  const started = now();
  await sleep(task.seconds * 1000);
  stop = true;
  await Promise.all(workers);
  const elapsed = (now() - started) / 1000;
  const sealed = log.sealedSegments.length;
  await log.close();
  latencies.sort((a, b) => a - b);
  return {
    eventsPerSecond: events / elapsed,
    commitsPerSecond: commits / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? NaN,
    fsyncsPerSecond: flushes / elapsed,
    commitsPerFsync: flushedCommits / flushes,
    events,
    sealedSegments: sealed,
  };
}

const writeAsync = promisify(fs.write);
const fdatasyncAsync = promisify(fs.fdatasync);
const openAsync = promisify(fs.open);
const closeAsync = promisify(fs.close);

/**
 * Plain node:fs, the same callback API the engine uses: one write of `bytes` then one fdatasync, at the
 * end of the file (append: the size changes) or into zero-filled preallocated space (overwrite);
 * overwrite-dsync opens the file O_DSYNC and makes no separate fdatasync call.
 */
async function runRaw(task: Extract<Task, { kind: 'raw' }>): Promise<Result> {
  const path = join(task.directory, `raw-${task.mode}.dat`);
  const preallocated = 256 * 1024 * 1024;
  const overwrite = task.mode !== 'append';
  if (overwrite) {
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    const fd = fs.openSync(path, 'w');
    for (let offset = 0; offset < preallocated; offset += zeros.length) fs.writeSync(fd, zeros, 0, zeros.length, offset);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  const flags = task.mode === 'append' ? 'w' : task.mode === 'overwrite' ? 'r+' : fs.constants.O_RDWR | fs.constants.O_DSYNC;
  const fd = await openAsync(path, flags);
  const payload = randomBytes(task.bytes);
  let offset = 0;
  const latencies: number[] = [];
  const run = async (seconds: number, record: boolean): Promise<void> => {
    const end = now() + seconds * 1000;
    while (now() < end) {
      if (overwrite && offset + payload.length > preallocated) offset = 0;
      const started = now();
      await writeAsync(fd, payload, 0, payload.length, offset);
      // O_DSYNC: the write itself returns once the data is durable (one syscall, one thread-pool hop).
      if (task.mode !== 'overwrite-dsync') await fdatasyncAsync(fd);
      if (record) latencies.push(now() - started);
      offset += payload.length;
    }
  };
  await run(task.warmup, false);
  const started = now();
  await run(task.seconds, true);
  const elapsed = (now() - started) / 1000;
  await closeAsync(fd);
  latencies.sort((a, b) => a - b);
  return { p50Us: percentile(latencies, 0.5) * 1000, p99Us: percentile(latencies, 0.99) * 1000, opsPerSecond: latencies.length / elapsed };
}

interface SqliteStatement {
  run(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(source: string): void;
  prepare(source: string): SqliteStatement;
  transaction<T extends (...args: never[]) => unknown>(fn: T): T;
  close(): void;
}

/** better-sqlite3 from bench/node_modules (typed here by hand so the root type-check needs no bench install). */
function loadSqlite(): new (path: string) => SqliteDatabase {
  return createRequire(join(__dirname, 'package.json'))('better-sqlite3');
}

async function runSqlite(task: Extract<Task, { kind: 'sqlite' }>): Promise<Result> {
  const Database = loadSqlite();
  const db = new Database(join(task.directory, 'events.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const mode = String(db.pragma('journal_mode', { simple: true }));
  const synchronous = Number(db.pragma('synchronous', { simple: true }));
  if (mode !== 'wal' || synchronous !== 2) throw new Error(`SQLite is not in WAL + synchronous=FULL (${mode}, ${synchronous})`);
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
  let position = 0;
  let version = 0;
  const streamId = 'account-0';
  const insertOne = (): void => {
    const event = makeEvent(streamId, version++);
    insert.run(position++, streamId, event.version, event.id, 'MoneyDeposited', event.data, event.metadata, Date.now());
  };
  const insertMany = db.transaction((count: number) => {
    for (let i = 0; i < count; i++) insertOne();
  });
  const commit = task.rowsPerTransaction === 1 ? insertOne : () => insertMany(task.rowsPerTransaction);
  let commits = 0;
  const run = async (seconds: number, record: boolean): Promise<void> => {
    const end = now() + seconds * 1000;
    while (now() < end) {
      commit();
      if (record) commits++;
    }
  };
  await run(task.warmup, false);
  const started = now();
  await run(task.seconds, true);
  const elapsed = (now() - started) / 1000;
  db.close();
  return { commitsPerSecond: commits / elapsed, eventsPerSecond: (commits * task.rowsPerTransaction) / elapsed };
}

/** A store of `segments` sealed 64 MiB segments of 100-event commits (durability 'none': setup, not measured). */
async function buildStore(task: Extract<Task, { kind: 'build-store' }>): Promise<Result> {
  const log = await SegmentLog.open({ directory: task.directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'none', readOnly: false, logger: silentLogger });
  const started = now();
  const streams = 1000;
  const versions = new Array<number>(streams).fill(0);
  let commit = 0;
  // Several commits in flight so that group commit batches them, as under load.
  const pending: Promise<void>[] = [];
  while (log.sealedSegments.length < task.segments) {
    const s = commit++ % streams;
    const streamId = `account-${s}`;
    const batch: CommitEvent[] = [];
    let version = versions[s] ?? 0;
    for (let i = 0; i < 100; i++) batch.push(makeEvent(streamId, version++));
    versions[s] = version;
    pending.push(log.appendCommit(batch).durable);
    if (pending.length >= 16) await Promise.all(pending.splice(0));
    // Wait for pending seals now and then, so the store ends with little left in journals.
    if (commit % 50 === 0) await log.settle();
  }
  await Promise.all(pending);
  await log.close();
  return { seconds: (now() - started) / 1000, events: log.durableNextPosition };
}

function segmentFiles(directory: string): string[] {
  const layout = new StoreLayout(directory);
  return fs.readdirSync(layout.segmentsDirectory).filter((name) => name.endsWith('.edb')).sort().map((name) => join(layout.segmentsDirectory, name));
}

function journalBytes(directory: string): number {
  const layout = new StoreLayout(directory);
  return fs.readdirSync(layout.journalDirectory).reduce((sum, name) => sum + fs.statSync(join(layout.journalDirectory, name)).size, 0);
}

async function runVerifyStore(directory: string): Promise<Result> {
  const started = now();
  const report = await verifyStore(directory);
  const seconds = (now() - started) / 1000;
  return { mbPerSecond: report.bytes / 1e6 / seconds, bytes: report.bytes, seconds, events: report.events };
}

/** The open-time check: validateSegment over each sealed segment, chained, with the bytes already in memory. */
async function runValidateSegments(directory: string): Promise<Result> {
  const files = segmentFiles(directory).map((path) => fs.readFileSync(path));
  const first = files[0];
  if (!first) throw new Error('no sealed segment');
  const header = decodeSegmentHeader(first);
  if (header instanceof FormatError) throw header;
  const storeId = header.storeId;
  const genesis = genesisHash(storeId);
  let previousEndMarker = genesis;
  let previousCommitHash = genesis;
  let previousRecordedAtMs = 0;
  let firstPosition = 0;
  let bytes = 0;
  const started = now();
  files.forEach((file, i) => {
    const valid = validateSegment(file, { name: StoreLayout.segmentName(i + 1), storeId, segmentNumber: i + 1, firstPosition, previousEndMarker, previousCommitHash, previousRecordedAtMs });
    if (valid instanceof CorruptionError) throw valid;
    previousEndMarker = valid.endMarker;
    previousCommitHash = valid.header.lastCommitHash;
    previousRecordedAtMs = valid.header.lastRecordedAtMs;
    firstPosition = valid.header.firstPosition + valid.header.eventCount;
    bytes += file.length;
  });
  const seconds = (now() - started) / 1000;
  return { mbPerSecond: bytes / 1e6 / seconds, bytes, seconds };
}

/** SegmentLog.open read-only, end to end: read every file, validate every segment, scan the journal. */
async function runOpenReadOnly(directory: string): Promise<Result> {
  const bytes = segmentFiles(directory).reduce((sum, path) => sum + fs.statSync(path).size, 0) + journalBytes(directory);
  const started = now();
  const log = await SegmentLog.open({ directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: true, logger: silentLogger });
  const seconds = (now() - started) / 1000;
  await log.close();
  return { mbPerSecond: bytes / 1e6 / seconds, bytes, seconds };
}

async function runTask(task: Task): Promise<Result> {
  switch (task.kind) {
    case 'append':
      return runAppend(task);
    case 'raw':
      return runRaw(task);
    case 'sqlite':
      return runSqlite(task);
    case 'build-store':
      return buildStore(task);
    case 'verify-store':
      return runVerifyStore(task.directory);
    case 'validate-segments':
      return runValidateSegments(task.directory);
    case 'open-read-only':
      return runOpenReadOnly(task.directory);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// The parent: spawns the children, aggregates, prints the table.

interface Options {
  reps: number;
  seconds: number;
  warmup: number;
  storeMb: number;
  dir: string;
  only: Set<string> | undefined;
  json: string | undefined;
  cpuProf: string | undefined;
}

interface Workload {
  id: string;
  label: string;
  metric: string;
  unit: string;
  /** A fresh directory per repetition (append workloads), or the shared verification store. */
  task: (directory: string, options: Options) => Task;
  usesStore?: boolean;
  needsSqlite?: boolean;
}

/** Bytes of one W1 journal frame: one 1-event commit, as the raw baselines write it. */
function w1FrameBytes(): number {
  const block = encodeCommitBlock({ firstPosition: 0, recordedAtMs: Date.now(), parentHash: Buffer.alloc(32), events: [makeEvent('account-0', 0)] });
  return encodeJournalFrame(Buffer.alloc(8), 0, [block]).length;
}

const append = (concurrency: number, eventsPerCommit: number) => (directory: string, o: Options): Task => ({ kind: 'append', directory, concurrency, eventsPerCommit, seconds: o.seconds, warmup: o.warmup });

const WORKLOADS: Workload[] = [
  { id: 'W1', label: 'W1 serial 1-event commits', metric: 'commitsPerSecond', unit: 'commits/s', task: append(1, 1) },
  { id: 'W2', label: 'W2 16 concurrent appenders, 1-event commits', metric: 'eventsPerSecond', unit: 'events/s', task: append(16, 1) },
  { id: 'W3', label: 'W3 256 concurrent appenders, 1-event commits', metric: 'eventsPerSecond', unit: 'events/s', task: append(256, 1) },
  { id: 'W4', label: 'W4 serial 100-event commits', metric: 'eventsPerSecond', unit: 'events/s', task: append(1, 100) },
  { id: 'verify', label: 'verifyStore (full chain, deep)', metric: 'mbPerSecond', unit: 'MB/s', task: (directory) => ({ kind: 'verify-store', directory }), usesStore: true },
  { id: 'validate', label: 'validateSegment (open-time check, in memory)', metric: 'mbPerSecond', unit: 'MB/s', task: (directory) => ({ kind: 'validate-segments', directory }), usesStore: true },
  { id: 'open', label: 'SegmentLog.open read-only (read + validate)', metric: 'mbPerSecond', unit: 'MB/s', task: (directory) => ({ kind: 'open-read-only', directory }), usesStore: true },
  { id: 'raw-append', label: 'node:fs append + fdatasync', metric: 'p50Us', unit: 'µs (p50)', task: (directory, o) => ({ kind: 'raw', directory, mode: 'append', bytes: w1FrameBytes(), seconds: o.seconds, warmup: o.warmup }) },
  { id: 'raw-overwrite', label: 'node:fs overwrite preallocated + fdatasync', metric: 'p50Us', unit: 'µs (p50)', task: (directory, o) => ({ kind: 'raw', directory, mode: 'overwrite', bytes: w1FrameBytes(), seconds: o.seconds, warmup: o.warmup }) },
  { id: 'raw-dsync', label: 'node:fs overwrite preallocated, O_DSYNC write', metric: 'p50Us', unit: 'µs (p50)', task: (directory, o) => ({ kind: 'raw', directory, mode: 'overwrite-dsync', bytes: w1FrameBytes(), seconds: o.seconds, warmup: o.warmup }) },
  { id: 'sqlite-serial', label: 'SQLite WAL+FULL, serial 1-row commits', metric: 'commitsPerSecond', unit: 'commits/s', task: (directory, o) => ({ kind: 'sqlite', directory, rowsPerTransaction: 1, seconds: o.seconds, warmup: o.warmup }), needsSqlite: true },
  { id: 'sqlite-100', label: 'SQLite WAL+FULL, 100-row transactions', metric: 'eventsPerSecond', unit: 'events/s', task: (directory, o) => ({ kind: 'sqlite', directory, rowsPerTransaction: 100, seconds: o.seconds, warmup: o.warmup }), needsSqlite: true },
];

function parseOptions(argv: string[]): Options {
  const options: Options = { reps: 5, seconds: 3, warmup: 0.5, storeMb: 320, dir: tmpdir(), only: undefined, json: undefined, cpuProf: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--reps') options.reps = Number(value());
    else if (arg === '--seconds') options.seconds = Number(value());
    else if (arg === '--warmup') options.warmup = Number(value());
    else if (arg === '--store-mb') options.storeMb = Number(value());
    else if (arg === '--dir') options.dir = resolve(value());
    else if (arg === '--only') options.only = new Set(value().split(','));
    else if (arg === '--json') options.json = resolve(value());
    else if (arg === '--cpu-prof') options.cpuProf = argv[i + 1] && !argv[i + 1]?.startsWith('--') ? resolve(value()) : resolve('bench/profiles');
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

function spawnChild(task: Task, label: string, options: Options): Result | Error {
  const execArgv = ['-r', require.resolve('./register.js')];
  if (options.cpuProf) {
    fs.mkdirSync(options.cpuProf, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`, `--cpu-prof-name=${label.replace(/[^A-Za-z0-9-]+/g, '_')}-${Date.now()}.cpuprofile`);
  }
  const child = spawnSync(process.execPath, [...execArgv, __filename, '--child', JSON.stringify(task)], { encoding: 'utf8', timeout: 15 * 60 * 1000, maxBuffer: 64 * 1024 * 1024 });
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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workloads = WORKLOADS.filter((w) => !options.only || options.only.has(w.id));
  const root = fs.mkdtempSync(join(options.dir, 'chainstore-bench-'));
  const sqliteAvailable = (() => {
    try {
      loadSqlite();
      return true;
    } catch (error) {
      return error as Error;
    }
  })();
  console.log(`# chainstore engine benchmarks — ${new Date().toISOString()}`);
  console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), file system of ${root}: ${fileSystemType(root)}`);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine is shared: other processes' CPU and fsyncs show up in these figures)`);
  console.log(`${options.reps} repetitions, ${options.seconds} s measured (+${options.warmup} s warm-up) per append run, each in a fresh child process; 1 event ≈ ${DATA_BYTES} B of JSON data, W1 frame ${w1FrameBytes()} B`);
  if (sqliteAvailable !== true) console.log(`SQLite baseline skipped: better-sqlite3 is not installed in bench/ (npm ci --prefix bench): ${sqliteAvailable.message.split('\n')[0]}`);
  const results = new Map<string, Result[]>();
  const errors: string[] = [];
  try {
    const storeDirectory = join(root, 'verify-store');
    if (workloads.some((w) => w.usesStore)) {
      const segments = Math.max(1, Math.ceil((options.storeMb * 1e6) / SEGMENT_SIZE_BYTES));
      process.stdout.write(`building a store of ${segments} sealed 64 MiB segments for verification… `);
      const built = spawnChild({ kind: 'build-store', directory: storeDirectory, segments }, 'build-store', { ...options, cpuProf: undefined });
      if (built instanceof Error) throw built;
      console.log(`${format(built.events ?? NaN)} events in ${format(built.seconds ?? NaN)} s`);
    }
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const workload of workloads) {
        if (workload.needsSqlite && sqliteAvailable !== true) continue;
        const directory = workload.usesStore ? storeDirectory : fs.mkdtempSync(join(root, `${workload.id}-`));
        const load = loadavg()[0] ?? NaN;
        const result = spawnChild(workload.task(directory, options), `${workload.id}-rep${rep}`, options);
        if (!workload.usesStore) fs.rmSync(directory, { recursive: true, force: true });
        if (result instanceof Error) {
          errors.push(result.message);
          console.log(`  rep ${rep} ${workload.id}: FAILED ${result.message}`);
          continue;
        }
        results.set(workload.id, [...(results.get(workload.id) ?? []), result]);
        const extra = result.p50Ms !== undefined ? ` (commit latency p50 ${format(result.p50Ms * 1000)} µs, p99 ${format((result.p99Ms ?? NaN) * 1000)} µs, max ${format(result.maxMs ?? NaN)} ms, ${format(result.commitsPerFsync ?? NaN)} commits per fdatasync, ${result.sealedSegments} seals)` : '';
        console.log(`  rep ${rep} ${workload.id}: ${format(result[workload.metric] ?? NaN)} ${workload.unit}${extra} [load ${load.toFixed(1)}]`);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const summary = new Map<string, { median: number; min: number; max: number; n: number }>();
  for (const workload of workloads) {
    const values = (results.get(workload.id) ?? []).map((r) => r[workload.metric] ?? NaN);
    if (values.length > 0) summary.set(workload.id, { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length });
  }
  const med = (id: string): number => summary.get(id)?.median ?? NaN;
  const medOf = (id: string, metric: string): number => median((results.get(id) ?? []).map((r) => r[metric] ?? NaN));

  console.log('\n| workload | median | min–max | unit | n |');
  console.log('|---|---:|---:|---|---:|');
  for (const workload of workloads) {
    const s = summary.get(workload.id);
    if (s) console.log(`| ${workload.label} | ${format(s.median)} | ${format(s.min)}–${format(s.max)} | ${workload.unit} | ${s.n} |`);
  }
  const latencyRows = ['W1', 'W2', 'W3', 'W4'].filter((id) => summary.has(id));
  if (latencyRows.length > 0) {
    console.log('\n| workload (medians of the runs) | commit latency p50 (µs) | p99 (µs) | commits/s | events/s | fdatasyncs/s | commits per fdatasync |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const id of latencyRows) {
      console.log(`| ${id} | ${format(medOf(id, 'p50Ms') * 1000)} | ${format(medOf(id, 'p99Ms') * 1000)} | ${format(medOf(id, 'commitsPerSecond'))} | ${format(medOf(id, 'eventsPerSecond'))} | ${format(medOf(id, 'fsyncsPerSecond'))} | ${format(medOf(id, 'commitsPerFsync'))} |`);
    }
  }

  const ratios: Array<[string, number, number, string]> = [
    ['W1 commits/s ÷ SQLite serial commits/s', med('W1'), med('sqlite-serial'), '×'],
    ['W4 events/s ÷ SQLite 100-row transactions events/s', med('W4'), med('sqlite-100'), '×'],
    ['W2 events/s ÷ SQLite serial commits/s (one connection serialises 16 appenders)', med('W2'), med('sqlite-serial'), '×'],
    ['W1 time per commit (1e6 ÷ commits/s) ÷ append+fdatasync p50', 1e6 / med('W1'), med('raw-append'), '×'],
    ['W1 time per commit ÷ overwrite+fdatasync p50', 1e6 / med('W1'), med('raw-overwrite'), '×'],
    ['W1 commit latency p50 ÷ overwrite+fdatasync p50', medOf('W1', 'p50Ms') * 1000, med('raw-overwrite'), '×'],
    ['W1 commit latency p50 ÷ O_DSYNC overwrite p50', medOf('W1', 'p50Ms') * 1000, med('raw-dsync'), '×'],
  ];
  const shown = ratios.filter(([, a, b]) => Number.isFinite(a) && Number.isFinite(b) && b > 0);
  if (shown.length > 0) {
    console.log('\n| ratio (our store ÷ baseline) | value |');
    console.log('|---|---:|');
    for (const [label, a, b] of shown) console.log(`| ${label} | ${(a / b).toFixed(2)}× |`);
  }

  const targets: Array<[string, number, number, string]> = [
    ['serial 1-event appends (W1)', med('W1'), 10_000, 'commits/s'],
    ['16 concurrent appenders (W2)', med('W2'), 60_000, 'events/s'],
    ['full chain verification (verifyStore)', med('verify'), 500, 'MB/s'],
    ['open-time validation (validateSegment)', med('validate'), 500, 'MB/s'],
  ];
  const known = targets.filter(([, value]) => Number.isFinite(value));
  if (known.length > 0) {
    console.log('\n| target | wanted | median here | |');
    console.log('|---|---:|---:|---|');
    for (const [label, value, wanted, unit] of known) console.log(`| ${label} | ≥ ${format(wanted)} ${unit} | ${format(value)} | ${value >= wanted ? 'met' : 'missed'} |`);
  }
  console.log(`\nload average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('MB = 10^6 bytes. Verification reads a store that was just written (page cache warm): it measures CPU, not the disk.');
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
