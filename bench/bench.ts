/**
 * `npm run bench`: every workload (W1–W9) against this store and its baselines (SQLite through
 * better-sqlite3, PostgreSQL through pg, Emmett's PostgreSQL event store) in one run, several
 * repetitions each, every repetition in a fresh child process; one table of medians, min–max,
 * ratios to each baseline and the targets, printed and written to bench/RESULTS.md.
 *
 *   npm run bench                        # the default set, 1M-event fixture, 5 repetitions
 *   npm run bench -- --quick             # 100k events, 2 repetitions, 0.6 s per append run (< 2 min)
 *   npm run bench -- --only engine       # the storage-engine diagnostics (SegmentLog appends, verification, raw fdatasync)
 *   npm run bench -- --only W1,W4 --reps 3
 *
 * See bench/README.md for every option and what each workload measures.
 */
import * as fs from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { w1FrameBytes } from './engine.bench';
import { DATA_BYTES, shapeOf } from './fixture';
import { databaseUrl, loadEmmett, loadPg } from './postgres';
import { format, mb, Options, parseOptions, Result, Row, Runner, System, Task, Workload } from './runner';
import { loadSqlite } from './sqlite';

interface Context {
  /** A fresh directory for this repetition (append workloads). */
  scratch: string;
  store: string;
  sqlitePath: string;
  verifyStore: string;
  pgUrl: string;
  pgFixtureUrl: string;
}

type W = Workload<Context> & { fixture?: boolean };

const appendTask = (module: string, kind: string, concurrency: number, eventsPerCommit: number) => (c: Context, o: Options): Task => ({
  module,
  kind,
  directory: c.scratch,
  path: join(c.scratch, 'events.sqlite'),
  url: c.pgUrl,
  concurrency,
  eventsPerCommit,
  rowsPerTransaction: eventsPerCommit,
  seconds: o.seconds,
  warmup: o.warmup,
});

const latency = (r: Result): string =>
  `commit latency p50 ${format((r.p50Ms ?? NaN) * 1000)} µs, p99 ${format((r.p99Ms ?? NaN) * 1000)} µs, CPU per commit ${format(r.processCpuUsPerCommit ?? NaN)} µs, event loop ${format(r.eventLoopCpuUsPerCommit ?? NaN)} µs${r.connections ? `, ${r.connections} connections` : ''}`;

const APPENDS: Array<[row: string, concurrency: number, eventsPerCommit: number, metric: string]> = [
  ['W1', 1, 1, 'commitsPerSecond'],
  ['W2', 16, 1, 'eventsPerSecond'],
  ['W3', 256, 1, 'eventsPerSecond'],
  ['W4', 1, 100, 'eventsPerSecond'],
];

const WORKLOADS: W[] = [
  // Appends: ours through the public EventStore; the baselines at their best durable settings.
  ...APPENDS.map(([row, concurrency, perCommit, metric]): W => ({
    id: `${row}-chainstore`,
    system: 'chainstore',
    groups: ['main', 'appends', 'store'],
    label: `${row} openEventStore + appendToStream`,
    needs: [],
    task: appendTask('store.bench', 'append', concurrency, perCommit),
    figures: [{ metric, row }, ...(row === 'W1' ? [{ metric: 'p50Ms', row: 'W1-latency' }] : [])],
    detail: latency,
  })),
  ...APPENDS.filter(([row]) => row === 'W1' || row === 'W4').map(([row, , perCommit, metric]): W => ({
    id: `${row}-sqlite`,
    system: 'sqlite',
    groups: ['main', 'appends'],
    label: `${row} SQLite ${perCommit === 1 ? 'autocommit INSERT' : '100-row transaction'}`,
    needs: ['sqlite'],
    task: appendTask('sqlite', 'append', 1, perCommit),
    figures: [{ metric, row }, ...(row === 'W1' ? [{ metric: 'p50Ms', row: 'W1-latency' }] : [])],
    detail: latency,
  })),
  ...APPENDS.map(([row, concurrency, perCommit, metric]): W => ({
    id: `${row}-postgres`,
    system: 'postgres',
    groups: ['main', 'appends'],
    label: `${row} PostgreSQL INSERT`,
    needs: ['postgres'],
    task: appendTask('postgres', 'append', concurrency, perCommit),
    figures: [{ metric, row }, ...(row === 'W1' ? [{ metric: 'p50Ms', row: 'W1-latency' }] : [])],
    detail: latency,
  })),
  ...APPENDS.map(([row, concurrency, perCommit, metric]): W => ({
    id: `${row}-emmett`,
    system: 'emmett',
    groups: ['main', 'appends'],
    label: `${row} Emmett appendToStream`,
    needs: ['emmett'],
    task: appendTask('postgres', 'emmettAppend', concurrency, perCommit),
    figures: [{ metric, row }, ...(row === 'W1' ? [{ metric: 'p50Ms', row: 'W1-latency' }] : [])],
    detail: latency,
  })),
  {
    id: 'raw-overwrite',
    system: 'fs',
    groups: ['main', 'engine'],
    label: 'node:fs overwrite of preallocated space + fdatasync, W1 frame size',
    needs: [],
    task: (c, o) => ({ module: 'engine.bench', kind: 'raw', directory: c.scratch, mode: 'overwrite', bytes: w1FrameBytes(), seconds: o.seconds, warmup: o.warmup }),
    figures: [{ metric: 'p50Us', row: 'fsync' }],
  },
  // Reads, over the fixture.
  {
    id: 'W5-readAll',
    system: 'chainstore',
    groups: ['main', 'reads', 'store'],
    label: 'W5 readAll() Observable',
    needs: ['fixture'],
    task: (c) => ({ module: 'store.bench', kind: 'readAll', directory: c.store, mode: 'observable' }),
    figures: [{ metric: 'eventsPerSecond', row: 'W5' }],
    detail: (r) => `open ${format((r.openSeconds ?? NaN) * 1000)} ms, peak RSS ${format(r.peakRssMb ?? NaN)} MB`,
  },
  {
    id: 'W5-iterateAll',
    system: 'chainstore',
    groups: ['main', 'reads', 'store'],
    label: 'W5 iterateAll() for await',
    needs: ['fixture'],
    task: (c) => ({ module: 'store.bench', kind: 'readAll', directory: c.store, mode: 'iterable' }),
    figures: [{ metric: 'eventsPerSecond', row: 'W5-iterate' }],
  },
  {
    id: 'W5-sqlite',
    system: 'sqlite',
    groups: ['main', 'reads'],
    label: 'W5 SQLite iterate()',
    needs: ['sqlite', 'fixture'],
    task: (c) => ({ module: 'sqlite', kind: 'iterate', path: c.sqlitePath }),
    figures: [
      { metric: 'eventsPerSecond', row: 'W5' },
      { metric: 'eventsPerSecond', row: 'W5-iterate' },
    ],
  },
  {
    id: 'W5-postgres',
    system: 'postgres',
    groups: ['main', 'reads'],
    label: 'W5 PostgreSQL keyset pages of 10,000 rows',
    needs: ['postgres', 'fixture'],
    task: (c) => ({ module: 'postgres', kind: 'iterate', url: c.pgFixtureUrl }),
    figures: [
      { metric: 'eventsPerSecond', row: 'W5' },
      { metric: 'eventsPerSecond', row: 'W5-iterate' },
    ],
  },
  {
    id: 'W5-emmett',
    system: 'emmett',
    groups: ['main', 'reads'],
    label: 'W5 Emmett readMessagesBatch, 10,000 per batch',
    needs: ['emmett', 'fixture'],
    task: (c) => ({ module: 'postgres', kind: 'emmettIterate', url: c.pgFixtureUrl }),
    figures: [
      { metric: 'eventsPerSecond', row: 'W5' },
      { metric: 'eventsPerSecond', row: 'W5-iterate' },
    ],
  },
  {
    id: 'W6',
    system: 'chainstore',
    groups: ['main', 'reads', 'store'],
    label: 'W6/W8 openEventStore in a new process (chain validated), RSS after',
    needs: ['fixture'],
    task: (c) => ({ module: 'store.bench', kind: 'open', directory: c.store }),
    figures: [
      { metric: 'ms', row: 'W6' },
      { metric: 'rssMb', row: 'W8' },
      { metric: 'rssAfterGcMb', row: 'W8-gc' },
    ],
    detail: (r) => `RSS before open ${format(r.rssBeforeMb ?? NaN)} MB, heap after gc ${format(r.heapUsedAfterGcMb ?? NaN)} MB`,
  },
  {
    id: 'W7-chainstore',
    system: 'chainstore',
    groups: ['main', 'reads', 'store'],
    label: 'W7 readStream of a 100-event stream',
    needs: ['fixture'],
    task: (c, o) => ({ module: 'store.bench', kind: 'readStream', directory: c.store, events: o.events, reads: o.reads }),
    figures: [
      { metric: 'p50Ms', row: 'W7-p50' },
      { metric: 'p99Ms', row: 'W7-p99' },
    ],
  },
  {
    id: 'W7-sqlite',
    system: 'sqlite',
    groups: ['main', 'reads'],
    label: 'W7 SQLite SELECT by (stream_id, version)',
    needs: ['sqlite', 'fixture'],
    task: (c, o) => ({ module: 'sqlite', kind: 'stream', path: c.sqlitePath, events: o.events, reads: o.reads }),
    figures: [
      { metric: 'p50Ms', row: 'W7-p50' },
      { metric: 'p99Ms', row: 'W7-p99' },
    ],
  },
  {
    id: 'W7-postgres',
    system: 'postgres',
    groups: ['main', 'reads'],
    label: 'W7 PostgreSQL SELECT by (stream_id, version)',
    needs: ['postgres', 'fixture'],
    task: (c, o) => ({ module: 'postgres', kind: 'stream', url: c.pgFixtureUrl, events: o.events, reads: o.reads }),
    figures: [
      { metric: 'p50Ms', row: 'W7-p50' },
      { metric: 'p99Ms', row: 'W7-p99' },
    ],
  },
  {
    id: 'W7-emmett',
    system: 'emmett',
    groups: ['main', 'reads'],
    label: 'W7 Emmett readStream',
    needs: ['emmett', 'fixture'],
    task: (c, o) => ({ module: 'postgres', kind: 'emmettStream', url: c.pgFixtureUrl, events: o.events, reads: o.reads }),
    figures: [
      { metric: 'p50Ms', row: 'W7-p50' },
      { metric: 'p99Ms', row: 'W7-p99' },
    ],
  },
  {
    id: 'W9',
    system: 'chainstore',
    groups: ['main', 'reads', 'store'],
    label: 'W9 Nest bootstrap with one @Projection rebuilt from the fixture',
    needs: ['fixture'],
    task: (c) => ({ module: 'store.bench', kind: 'projectionBootstrap', directory: c.store }),
    figures: [
      { metric: 'eventsPerSecond', row: 'W9' },
      { metric: 'ms', row: 'W9-ms' },
    ],
  },
  {
    id: 'slow-consumer',
    system: 'chainstore',
    groups: ['store'],
    label: 'iterateAll with a consumer that awaits setImmediate after every event',
    needs: ['fixture'],
    task: (c) => ({ module: 'store.bench', kind: 'readAll', directory: c.store, mode: 'iterable-slow' }),
    figures: [{ metric: 'peakRssMb', row: 'slow-rss' }],
  },
  // The storage engine alone (--only engine).
  ...APPENDS.map(([row, concurrency, perCommit, metric]): W => ({
    id: `engine-${row}`,
    system: 'chainstore-engine',
    groups: ['engine'],
    label: `${row} SegmentLog.appendCommit (durability fsync)`,
    needs: [],
    task: (c, o) => ({ module: 'engine.bench', kind: 'append', directory: c.scratch, concurrency, eventsPerCommit: perCommit, seconds: o.seconds, warmup: o.warmup }),
    figures: [{ metric, row: `${row}-engine` }],
    detail: (r) => `${latency(r)}, ${format(r.commitsPerFsync ?? NaN)} commits per fdatasync, ${r.sealedSegments} seals`,
  })),
  ...(['verify', 'validate', 'open'] as const).map((id): W => ({
    id,
    system: 'chainstore-engine',
    groups: ['engine'],
    label: { verify: 'verifyStore (full chain, deep)', validate: 'validateSegment (open-time check, bytes in memory)', open: 'SegmentLog.open read-only (read + validate)' }[id],
    needs: ['verify-store'],
    task: (c) => ({ module: 'engine.bench', kind: { verify: 'verifyStore', validate: 'validateSegments', open: 'openReadOnly' }[id], directory: c.verifyStore }),
    figures: [{ metric: 'mbPerSecond', row: id }],
  })),
  ...(['append', 'overwrite-dsync'] as const).map((mode): W => ({
    id: `raw-${mode === 'append' ? 'append' : 'dsync'}`,
    system: 'fs',
    groups: ['engine'],
    label: mode === 'append' ? 'node:fs append + fdatasync' : 'node:fs overwrite preallocated, O_DSYNC write',
    needs: [],
    task: (c, o) => ({ module: 'engine.bench', kind: 'raw', directory: c.scratch, mode, bytes: w1FrameBytes(), seconds: o.seconds, warmup: o.warmup }),
    figures: [{ metric: 'p50Us', row: `fsync-${mode}` }],
  })),
];

const ROWS: Row[] = [
  { key: 'W1', label: 'W1 serial 1-event commits, each awaited', unit: 'commits/s', targets: [{ ratio: { baseline: 'sqlite', factor: 1 }, text: '≥ 1.0× SQLite' }] },
  { key: 'W1-latency', label: 'W1 commit latency p50', unit: 'ms', lowerIsBetter: true },
  { key: 'W2', label: 'W2 16 concurrent appenders, 1-event commits', unit: 'events/s', targets: [{ ratio: { baseline: 'postgres', factor: 2.5 }, text: '≥ 2.5× PostgreSQL' }, { atLeast: 60_000, text: '≥ 60,000' }] },
  { key: 'W3', label: 'W3 256 concurrent appenders, 1-event commits', unit: 'events/s', targets: [{ atLeast: 200_000, text: '≥ 200,000' }] },
  { key: 'W4', label: 'W4 serial 100-event commits', unit: 'events/s', targets: [{ ratio: { baseline: 'sqlite', factor: 3 }, text: '≥ 3× SQLite' }] },
  { key: 'fsync', label: 'node:fs overwrite + fdatasync of a W1 frame, p50 (the disk floor under W1)', unit: 'µs' },
  { key: 'W5', label: 'W5 replay of the whole log, decoded, in order (ours: readAll)', unit: 'events/s', targets: [{ ratio: { baseline: 'sqlite', factor: 1 }, text: '≥ 1.0× SQLite iterate()' }] },
  { key: 'W5-iterate', label: 'W5 replay (ours: iterateAll, for await)', unit: 'events/s', targets: [{ ratio: { baseline: 'sqlite', factor: 1 }, text: '≥ 1.0× SQLite iterate()' }] },
  { key: 'W6', label: 'W6 open in a new process, full chain validation', unit: 'ms', lowerIsBetter: true, targets: [{ atMost: 1000, text: '≤ 1,000 ms' }] },
  { key: 'W7-p50', label: 'W7 read one 100-event stream, p50', unit: 'ms', lowerIsBetter: true },
  { key: 'W7-p99', label: 'W7 read one 100-event stream, p99', unit: 'ms', lowerIsBetter: true, targets: [{ atMost: 1, text: '≤ 1 ms' }] },
  { key: 'W8', label: 'W8 RSS right after open', unit: 'MB', lowerIsBetter: true, targets: [{ atMost: 200, text: '≤ 200 MB' }] },
  { key: 'W8-gc', label: 'W8 RSS after open and a forced gc()', unit: 'MB', lowerIsBetter: true },
  { key: 'W9', label: 'W9 projection rebuild at Nest bootstrap (create → init resolved)', unit: 'events/s', targets: [{ atLeast: 400_000, text: '≥ 400,000' }] },
  { key: 'W9-ms', label: 'W9 bootstrap time', unit: 'ms', lowerIsBetter: true },
  { key: 'slow-rss', label: 'iterateAll, slow consumer: peak RSS', unit: 'MB', lowerIsBetter: true, targets: [{ atMost: 250, text: '≤ 250 MB' }] },
  { key: 'W1-engine', label: 'engine: W1 SegmentLog serial 1-event commits', unit: 'commits/s' },
  { key: 'W2-engine', label: 'engine: W2 16 appenders', unit: 'events/s' },
  { key: 'W3-engine', label: 'engine: W3 256 appenders', unit: 'events/s' },
  { key: 'W4-engine', label: 'engine: W4 100-event commits', unit: 'events/s' },
  { key: 'verify', label: 'engine: verifyStore (full chain, deep)', unit: 'MB/s' },
  { key: 'validate', label: 'engine: validateSegment (in memory)', unit: 'MB/s' },
  { key: 'open', label: 'engine: SegmentLog.open read-only', unit: 'MB/s' },
  { key: 'fsync-append', label: 'node:fs append + fdatasync p50', unit: 'µs' },
  { key: 'fsync-overwrite-dsync', label: 'node:fs O_DSYNC overwrite p50', unit: 'µs' },
];

function selected(options: Options): W[] {
  if (!options.only) return WORKLOADS.filter((w) => w.groups.includes('main'));
  const tokens = new Set(options.only);
  return WORKLOADS.filter((w) => tokens.has(w.id) || tokens.has(w.system) || w.groups.some((g) => tokens.has(g)) || w.figures.some((f) => tokens.has(f.row) || tokens.has(f.row.split('-')[0] as string)));
}

/**
 * The run's own PostgreSQL databases, so that runs started at the same time on this shared server
 * (other sessions' benchmarks) never read or truncate each other's tables: `<prefix>_append` for the
 * append workloads and `<prefix>_fixture` for the read fixtures, dropped at the end of the run. With
 * --fixture they are `chainstore_bench_append` / `chainstore_bench_fixture`, kept for the next run.
 */
function databases(options: Options): { append: string; fixture: string; keep: boolean } {
  const prefix = options.fixture ? 'chainstore_bench' : `chainstore_bench_${process.pid}_${Date.now().toString(36)}`;
  return { append: `${prefix}_append`, fixture: `${prefix}_fixture`, keep: options.fixture !== undefined };
}

async function dropDatabases(options: Options, names: string[]): Promise<void> {
  const client = new (loadPg().Client)({ connectionString: options.pgUrl });
  await client.connect();
  for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}

/** Why each optional system cannot run here (undefined: it can). */
async function availability(options: Options, dbs: { append: string; fixture: string }): Promise<Partial<Record<'sqlite' | 'postgres' | 'emmett', string>>> {
  const missing: Partial<Record<'sqlite' | 'postgres' | 'emmett', string>> = {};
  try {
    loadSqlite();
  } catch (error) {
    missing.sqlite = `better-sqlite3 is not installed in bench/ (npm ci --prefix bench): ${(error as Error).message.split('\n')[0]}`;
  }
  try {
    const client = new (loadPg().Client)({ connectionString: options.pgUrl });
    await client.connect();
    for (const name of [dbs.append, dbs.fixture]) {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rows.length === 0) await client.query(`CREATE DATABASE ${name}`);
    }
    await client.end();
  } catch (error) {
    missing.postgres = `no PostgreSQL at ${options.pgUrl}: ${(error as Error).message.split('\n')[0]} (start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)`;
  }
  try {
    loadEmmett();
    if (missing.postgres) missing.emmett = missing.postgres;
  } catch (error) {
    missing.emmett = `@event-driven-io/emmett-postgresql does not load: ${(error as Error).message.split('\n')[0]}`;
  }
  return missing;
}

/** What the table does not say by itself. */
function notes(runner: Runner<Context>, workloads: W[]): string[] {
  const connections = (id: string): string => {
    const runs = runner.results.get(id) ?? [];
    return runs.length > 0 ? String(Math.min(...runs.map((r) => r.connections ?? NaN))) : '?';
  };
  const ran = new Set(workloads.map((w) => w.id));
  const lines = [
    '- Durability is the same everywhere: ours `durability: \'fsync\'` (an append resolves after fdatasync); SQLite `journal_mode=WAL`, `synchronous=FULL`; PostgreSQL `synchronous_commit=on`, `fsync=on` (checked by the runs), for plain PostgreSQL and Emmett alike. All on the same virtual disk.',
    '- SQLite has no W2/W3 figure: one better-sqlite3 connection writes at a time (a second writer waits on the database lock), so 16 or 256 appenders are W1 serialised; the targets compare W2 with PostgreSQL instead.',
    '- W9 (projection rebuild at Nest bootstrap) is this store\'s own feature: no baseline. Its time includes opening the store with the chain validated (W6).',
  ];
  if (ran.has('W3-postgres') || ran.has('W3-emmett'))
    lines.push(`- W3 on PostgreSQL: the server allows max_connections=100, so the 256 appenders share ${connections('W3-postgres')} connections (plain) / ${connections('W3-emmett')} (Emmett), what is left below max_connections less a margin of 10; W2 has its 16.`);
  if (ran.has('W7-emmett'))
    lines.push('- Emmett\'s fixture was appended one stream at a time (one appendToStream with all of a stream\'s events), because a million 1-event appends take far too long through it; so a stream\'s events sit together in its table, which favours Emmett\'s W7 over the others, whose streams are spread through the log in a shuffled order.');
  if (ran.has('W5-emmett'))
    lines.push('- Emmett\'s event store API has no read-all call: W5 pages through `readMessagesBatch` (10,000 messages a batch, what its consumers pull with), over a dumbo pool. Plain PostgreSQL pages with keyset queries of 10,000 rows; jsonb is parsed by pg.');
  lines.push('- Reads (W5–W9) run over fixtures just written, in the page cache: they measure CPU, not the disk.');
  return lines;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const command = `npm run bench${options.argv.length > 0 ? ` -- ${options.argv.join(' ')}` : ''}`;
  const resultsPath = options.results ?? (options.only || options.quick ? undefined : resolve(__dirname, 'RESULTS.md'));
  const runner = new Runner<Context>(options);
  const startedAt = new Date();
  const loadsSeen: number[] = [];
  const dbs = databases(options);
  const missing = await availability(options, dbs);
  let workloads = selected(options);
  const skipped = workloads.filter((w) => w.needs.some((n) => (n === 'sqlite' || n === 'postgres' || n === 'emmett') && missing[n]));
  workloads = workloads.filter((w) => !skipped.includes(w));
  const shape = shapeOf(options.events);
  const loadStart = Runner.loads();
  runner.say(`# chainstore benchmarks — ${startedAt.toISOString()}`);
  runner.say(`command: ${command}`);
  runner.say(`load average at start: ${loadStart} (the machine is shared: other processes' CPU and fsyncs show up in these figures)`);
  runner.say(`${options.reps} repetitions of ${workloads.length} workloads, interleaved, each in a fresh child process; appends ${options.seconds} s measured after ${options.warmup} s of warm-up; events ≈ ${DATA_BYTES} B of JSON; fixture ${format(shape.events)} events in ${format(shape.streams)} streams (${format(shape.longStreams)} of 100 events)`);
  for (const [system, why] of Object.entries(missing)) runner.say(`skipped ${system}: ${why}`);
  const fixtureNotes: string[] = [];
  const context: Context = {
    scratch: '',
    store: '',
    sqlitePath: '',
    verifyStore: join(runner.root, 'verify-store'),
    pgUrl: databaseUrl(options.pgUrl, dbs.append),
    pgFixtureUrl: databaseUrl(options.pgUrl, dbs.fixture),
  };
  let machine: { text: string; commit: string };
  try {
    runner.compile();
    // Fixtures: built once per run (or reused from --fixture when built with the same size).
    const base = options.fixture ?? join(runner.root, 'fixture');
    fs.mkdirSync(base, { recursive: true });
    context.store = join(base, 'store');
    context.sqlitePath = join(base, 'events.sqlite');
    const markerPath = join(base, 'fixture.json');
    const marker = fs.existsSync(markerPath) ? (JSON.parse(fs.readFileSync(markerPath, 'utf8')) as Record<string, number>) : {};
    const systemsNeedingFixture = new Set(workloads.filter((w) => w.needs.includes('fixture')).map((w) => w.system));
    const fixtureBuilds: Array<[System, Task, string]> = [
      ['chainstore', { module: 'store.bench', kind: 'build', directory: context.store, events: options.events }, "chainstore: openEventStore, durability 'none', 4,096 1-event appends in flight, shuffled order"],
      ['sqlite', { module: 'sqlite', kind: 'build', path: context.sqlitePath, events: options.events }, 'SQLite: the same rows in the same order, synchronous=OFF, 50,000-row transactions'],
      ['postgres', { module: 'postgres', kind: 'build', url: context.pgFixtureUrl, events: options.events }, `PostgreSQL (database ${dbs.fixture}): the same rows in the same order, 5,000-row INSERT … unnest, synchronous_commit=off`],
      ['emmett', { module: 'postgres', kind: 'emmettBuild', url: context.pgFixtureUrl, events: options.events }, `Emmett (database ${dbs.fixture}): one appendToStream per stream with all its events, 32 in flight, synchronous_commit=off`],
    ];
    for (const [system, task, description] of fixtureBuilds) {
      if (!systemsNeedingFixture.has(system)) continue;
      if (options.fixture && marker[system] === options.events) {
        runner.say(`fixture ${system}: reused from ${base}`);
        continue;
      }
      if (system === 'chainstore') fs.rmSync(context.store, { recursive: true, force: true });
      process.stdout.write(`building the fixture for ${description}… `);
      const built = runner.spawn(task, `build-${system}`, false);
      if (built instanceof Error) {
        console.log('FAILED');
        runner.errors.push(`fixture ${system}: ${built.message}`);
        workloads = workloads.filter((w) => !(w.system === system && w.needs.includes('fixture')));
        continue;
      }
      const note = `${description}: ${format(built.seconds ?? NaN)} s${built.segments !== undefined ? `, ${built.segments} sealed segments (${format(mb(built.segmentBytes ?? NaN))} MiB) + ${format(mb(built.journalBytes ?? NaN))} MiB of journal` : ''}${built.mb !== undefined ? `, ${format(built.mb)} MiB` : ''}`;
      console.log(`${format(built.seconds ?? NaN)} s`);
      fixtureNotes.push(note);
      marker[system] = options.events;
      fs.writeFileSync(markerPath, JSON.stringify(marker));
    }
    if (workloads.some((w) => w.needs.includes('verify-store'))) {
      const segments = Math.max(1, Math.ceil((options.storeMb * 1e6) / (64 * 1024 * 1024)));
      process.stdout.write(`building a store of ${segments} sealed 64 MiB segments for the engine's verification workloads… `);
      const built = runner.spawn({ module: 'engine.bench', kind: 'buildStore', directory: context.verifyStore, segments }, 'build-verify-store', false);
      if (built instanceof Error) throw built;
      console.log(`${format(built.seconds ?? NaN)} s`);
      fixtureNotes.push(`engine verification store: ${segments} sealed 64 MiB segments of 100-event commits, ${format(built.seconds ?? NaN)} s`);
    }
    runner.run(workloads, context, () => {
      loadsSeen.push(Number(Runner.loads().split(' ')[0]));
      const scratch = fs.mkdtempSync(join(runner.root, 'run-'));
      return { context: { ...context, scratch }, cleanup: () => fs.rmSync(scratch, { recursive: true, force: true }) };
    });
  } finally {
    machine = runner.machine();
    runner.cleanup();
    if (!missing.postgres && !dbs.keep) await dropDatabases(options, [dbs.append, dbs.fixture]).catch((error: unknown) => console.log(`could not drop the run's databases: ${(error as Error).message}`));
  }
  const loadEnd = Runner.loads();
  const table = runner.comparisonTable(workloads, ROWS);
  const details = runner.detailTable(workloads);
  const minutes = (Date.now() - startedAt.getTime()) / 60000;
  const loadRange = loadsSeen.length > 0 ? `${Math.min(...loadsSeen).toFixed(1)}–${Math.max(...loadsSeen).toFixed(1)}` : 'n/a';
  console.log(`\n${table}\n`);
  console.log(`load average (1 min) at start ${loadStart.split(' ')[0]}, during the runs ${loadRange}, at end ${loadEnd.split(' ')[0]}; ${minutes.toFixed(1)} min`);
  if (runner.errors.length > 0) console.log(`\n${runner.errors.length} run(s) failed:\n${runner.errors.join('\n')}`);
  if (options.json) runner.writeJson(options.json);
  if (resultsPath) {
    const text = [
      `# Benchmark results`,
      '',
      `Run of ${startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC, ${minutes.toFixed(1)} minutes. Written by \`npm run bench\` (bench/bench.ts); bench/README.md says what each workload measures.`,
      '',
      `- command: \`${command}\``,
      machine.text,
      `- ${options.reps} repetitions of each workload, interleaved, each in a fresh child process; appends: ${options.seconds} s measured after ${options.warmup} s of warm-up; fixture for W5–W9: ${format(shape.events)} events (~${DATA_BYTES} B of JSON data each) in ${format(shape.streams)} streams, ${format(shape.longStreams)} of them of 100 events (what W7 reads)`,
      `- load average (1 min) at start ${loadStart.split(' ')[0]}, before each repetition ${loadRange}, at end ${loadEnd.split(' ')[0]} on ${machine.text.match(/(\d+) cores/)?.[1] ?? '?'} cores: **the machine is shared and noisy** (other sessions' builds and test suites, and their fsyncs on the same virtual disk); compare the ratios of one run more than the absolute figures`,
      ...Object.entries(missing).map(([system, why]) => `- **${system} not run**: ${why}`),
      '',
      'Each cell: **median** (min–max) over the repetitions. "× baseline" = how many times better ours is (ours ÷ baseline for rates, baseline ÷ ours for times and memory). Targets from issue 6, judged on the medians.',
      '',
      table,
      '',
      '## Notes',
      '',
      ...notes(runner, workloads),
      '',
      '## Fixtures',
      '',
      ...fixtureNotes.map((n) => `- ${n}`),
      '',
      '## Every figure',
      '',
      details,
      ...(runner.errors.length > 0 ? ['', '## Failed runs', '', ...runner.errors.map((e) => `- ${e}`)] : []),
      '',
    ].join('\n');
    fs.writeFileSync(resultsPath, text);
    console.log(`\nwritten to ${relative(process.cwd(), resultsPath)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
