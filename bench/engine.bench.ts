/**
 * Storage-engine workloads (lib/segment, lib/chain) for the benchmark runner (bench/runner.ts,
 * driven by bench/bench.ts): W1–W4 appends straight into SegmentLog.appendCommit, chain
 * verification over a store of sealed 64 MiB segments, and the raw node:fs write + fdatasync
 * latency of a W1-sized frame. `npm run bench -- --only engine` runs them all.
 */
import * as fs from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { genesisHash } from '../lib/chain/genesis';
import { validateSegment } from '../lib/chain/validate-segment';
import { CorruptionError } from '../lib/errors/corruption.error';
import { FormatError } from '../lib/errors/format.error';
import { decodeSegmentHeader, encodeCommitBlock, encodeJournalFrame } from '../lib/format';
import { CommitEvent, SegmentLog, silentLogger, StoreLayout, verifyStore } from '../lib/segment';
import { percentile, Result, sleep } from './runner';

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
  | { kind: 'buildStore'; directory: string; segments: number }
  | { kind: 'verifyStore' | 'validateSegments' | 'openReadOnly'; directory: string };

const SEGMENT_SIZE_BYTES = 64 * 1024 * 1024;

/** Milliseconds, from process.hrtime. */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
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

async function buildStore(task: Extract<Task, { kind: 'buildStore' }>): Promise<Result> {
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

/** Bytes of one W1 journal frame: one 1-event commit, as the raw baselines write it. */
export function w1FrameBytes(): number {
  const block = encodeCommitBlock({ firstPosition: 0, recordedAtMs: Date.now(), parentHash: Buffer.alloc(32), events: [makeEvent('account-0', 0)] });
  return encodeJournalFrame(Buffer.alloc(8), 0, [block]).length;
}

export const TASKS = {
  append: runAppend,
  raw: runRaw,
  buildStore,
  verifyStore: (task: { directory: string }) => runVerifyStore(task.directory),
  validateSegments: (task: { directory: string }) => runValidateSegments(task.directory),
  openReadOnly: (task: { directory: string }) => runOpenReadOnly(task.directory),
};

export { SEGMENT_SIZE_BYTES };
