/**
 * The SQLite baseline, through better-sqlite3 (bench/node_modules; typed here by hand so that the
 * root type-check needs no bench install): one events table with the global position as primary
 * key and UNIQUE(stream_id, version), journal_mode=WAL, synchronous=FULL for every measured write
 * (every acknowledged commit fsynced, as ours). better-sqlite3 is synchronous: its loops pay no
 * event-loop or thread-pool hop; and one connection writes at a time, so SQLite has no W2/W3.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { commitOrder, eventData, EVENT_TYPE, LONG_STREAM_EVENTS, readPlan, shapeOf, streamName } from './fixture';
import { cpuClock, cpuPerCommit, hrNow, latencySummary, mb, msSince, Result, requireBench, rssSampler, secondsSince } from './runner';

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

type Database = new (path: string, options?: { readonly?: boolean }) => SqliteDatabase;

export function loadSqlite(): Database {
  return requireBench<Database>('better-sqlite3');
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  stream_id   TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  id          BLOB    NOT NULL,
  type        TEXT    NOT NULL,
  data        BLOB    NOT NULL,
  metadata    BLOB    NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (stream_id, version)
)`;
const INSERT = 'INSERT INTO events (position, stream_id, version, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
const EMPTY_METADATA = Buffer.from('{}');

function uuidBytes(): Buffer {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
}

function openWritable(path: string, synchronous: 'FULL' | 'OFF'): SqliteDatabase {
  const Database = loadSqlite();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  const mode = String(db.pragma('journal_mode', { simple: true }));
  const level = Number(db.pragma('synchronous', { simple: true }));
  if (mode !== 'wal' || level !== (synchronous === 'FULL' ? 2 : 0)) throw new Error(`SQLite is not in WAL + synchronous=${synchronous} (${mode}, ${level})`);
  db.exec(SCHEMA);
  return db;
}

/** W1 (rowsPerTransaction 1: autocommit) and W4 (100 rows per transaction), one connection. */
async function append(task: { path: string; rowsPerTransaction: number; seconds: number; warmup: number }): Promise<Result> {
  const db = openWritable(task.path, 'FULL');
  const insert = db.prepare(INSERT);
  let position = 0;
  let version = 0;
  const streamId = 'account-0';
  const insertOne = (): void => {
    const v = version++;
    insert.run(position++, streamId, v, uuidBytes(), EVENT_TYPE, Buffer.from(JSON.stringify(eventData(streamId, v))), EMPTY_METADATA, Date.now());
  };
  const insertMany = db.transaction((count: number) => {
    for (let i = 0; i < count; i++) insertOne();
  });
  const commit = task.rowsPerTransaction === 1 ? insertOne : () => insertMany(task.rowsPerTransaction);
  const latencies: number[] = [];
  const run = (seconds: number, record: boolean): number => {
    const started = hrNow();
    let commits = 0;
    while (secondsSince(started) < seconds) {
      const t = hrNow();
      commit();
      if (record) {
        latencies.push(msSince(t));
        commits++;
      }
    }
    return commits;
  };
  run(task.warmup, false);
  const started = hrNow();
  const cpuStart = cpuClock();
  const commits = run(task.seconds, true);
  const cpu = cpuPerCommit(cpuStart, commits);
  const elapsed = secondsSince(started);
  db.close();
  return { commitsPerSecond: commits / elapsed, eventsPerSecond: (commits * task.rowsPerTransaction) / elapsed, commits, ...cpu, ...latencySummary(latencies) };
}

/** The read fixture: the same shape and commit order as ours (synchronous=OFF: setup, not measured). */
async function build(task: { path: string; events: number }): Promise<Result> {
  const started = hrNow();
  fs.rmSync(task.path, { force: true });
  const db = openWritable(task.path, 'OFF');
  const insert = db.prepare(INSERT);
  const shape = shapeOf(task.events);
  const order = commitOrder(shape);
  const versions = new Uint32Array(shape.streams);
  const now = Date.now();
  const chunk = db.transaction((from: number, to: number) => {
    for (let at = from; at < to; at++) {
      const s = order[at] as number;
      const streamId = streamName(shape, s);
      const version = versions[s] as number;
      versions[s] = version + 1;
      insert.run(at, streamId, version, uuidBytes(), EVENT_TYPE, Buffer.from(JSON.stringify(eventData(streamId, version))), EMPTY_METADATA, now + at);
    }
  });
  for (let from = 0; from < order.length; from += 50_000) chunk(from, Math.min(order.length, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { seconds: secondsSince(started), rows: order.length, mb: mb(fs.statSync(task.path).size) };
}

function toEvent(row: SqliteRow): Record<string, unknown> {
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

/** W5: `SELECT * … ORDER BY position` with iterate(), each row decoded into an event object. */
async function iterate(task: { path: string }): Promise<Result> {
  const db = new (loadSqlite())(task.path, { readonly: true });
  const sampler = rssSampler();
  const started = hrNow();
  let count = 0;
  let checksum = 0;
  for (const row of db.prepare('SELECT * FROM events ORDER BY position').iterate()) {
    const event = toEvent(row as SqliteRow);
    count++;
    checksum += event.version as number;
    if ((count & 0x3fff) === 0) sampler.sample();
  }
  const seconds = secondsSince(started);
  const peakRss = sampler.stop();
  db.close();
  return { eventsPerSecond: count / seconds, seconds, events: count, peakRssMb: mb(peakRss), checksum };
}

/** W7: one 100-event stream by (stream_id, version) with .all(), rows decoded. */
async function stream(task: { path: string; events: number; reads: number }): Promise<Result> {
  const shape = shapeOf(task.events);
  const db = new (loadSqlite())(task.path, { readonly: true });
  const select = db.prepare('SELECT * FROM events WHERE stream_id = ? AND version >= ? ORDER BY version');
  const plan = readPlan(shape, task.reads, Date.now() & 0xffffffff);
  for (const streamId of plan.warmup) select.all(streamId, 0).map((row) => toEvent(row as SqliteRow));
  const latencies: number[] = [];
  for (const streamId of plan.measured) {
    const started = hrNow();
    const read = select.all(streamId, 0).map((row) => toEvent(row as SqliteRow));
    latencies.push(msSince(started));
    if (read.length !== LONG_STREAM_EVENTS) throw new Error(`${streamId}: read ${read.length} rows`);
  }
  db.close();
  return { ...latencySummary(latencies), reads: latencies.length };
}

export const TASKS = { append, build, iterate, stream };
