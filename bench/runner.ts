/**
 * The one benchmark runner that every workload module (engine.bench.ts, store.bench.ts, sqlite.ts,
 * postgres.ts) plugs into, and `bench/bench.ts` drives:
 *
 * - tasks run in child processes: every workload repetition is a fresh `node` process that runs one
 *   task (`{ module, kind, ... }`, dispatched to `TASKS[kind]` of bench/<module>.ts) and prints one
 *   `RESULT {json}` line;
 * - the children run plain JavaScript, compiled once per run into the run's temp directory: lib/ by
 *   TypeScript with the package's own compiler options (the code users run from dist/), bench/ with
 *   @swc/core (a child that loaded bench/register.js would keep @swc/core's native module
 *   resident, ~45–100 MB of RSS that the memory figures would count); bare imports resolve
 *   through NODE_PATH (the root's node_modules), the benchmark's own dependencies through
 *   `requireBench` (bench/node_modules);
 * - repetitions are interleaved (repetition 1 of every workload, then repetition 2, …) so that a
 *   burst of load from other processes spreads over the workloads instead of hitting all the runs
 *   of one;
 * - medians, min–max, ratios to each baseline, targets, and the tables (Markdown).
 *
 * Times are `process.hrtime` in the children, memory `process.memoryUsage()`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

// ---------------------------------------------------------------------------------------------
// Shared by parent and children.

export type Result = Record<string, number>;

/** A task for a child process: `module` is a file of bench/ (without .ts), `kind` a key of its TASKS. */
export interface Task {
  module: string;
  kind: string;
  [key: string]: unknown;
}

export type TaskFunction = (task: never) => Promise<Result>;

export function hrNow(): bigint {
  return process.hrtime.bigint();
}

export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** CPU time so far, µs: of the whole process (every thread), and of the calling thread alone. */
export interface CpuClock {
  processUs: number;
  threadUs: number;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const PROC_TICKS_PER_SECOND = 100;

/** The calling thread's CPU from /proc/thread-self/stat (Linux); NaN where there is none. */
function threadCpuUs(): number {
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15 of stat(5)
    return (ticks * 1e6) / PROC_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

export function cpuClock(): CpuClock {
  const usage = process.cpuUsage();
  return { processUs: usage.user + usage.system, threadUs: threadCpuUs() };
}

/**
 * CPU per commit since `start`: `processCpuUsPerCommit` counts every thread of this process (the
 * event loop, a sealing thread, the garbage collector's, the thread pool), not a database server's;
 * `eventLoopCpuUsPerCommit` the event loop's thread alone (10 ms ticks: ±0.3% over 3 s).
 */
export function cpuPerCommit(start: CpuClock, commits: number): Result {
  const end = cpuClock();
  return {
    processCpuUsPerCommit: (end.processUs - start.processUs) / commits,
    eventLoopCpuUsPerCommit: (end.threadUs - start.threadUs) / commits,
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))] as number;
}

export function latencySummary(latenciesMs: number[]): Result {
  latenciesMs.sort((a, b) => a - b);
  return {
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99),
    maxMs: latenciesMs[latenciesMs.length - 1] ?? NaN,
  };
}

export const mb = (bytes: number): number => bytes / (1024 * 1024);

/** bench/ itself (children run from a compiled copy elsewhere; the parent passes the real one). */
export const BENCH_DIR = process.env.CHAINSTORE_BENCH_DIR ?? __dirname;

/** A dependency of bench/package.json (better-sqlite3, pg, Emmett), from bench/node_modules. */
export function requireBench<T>(name: string): T {
  return createRequire(join(BENCH_DIR, 'package.json'))(name) as T;
}

/**
 * A timed loop for the append workloads: `workers` concurrent loops call `commit(worker)` (which
 * resolves when the commit is acknowledged durable) until `seconds` have been measured after
 * `warmup` seconds. Counts commits and events, and each commit's latency.
 */
export async function timedAppends(options: { concurrency: number; eventsPerCommit: number; seconds: number; warmup: number }, commit: (worker: number) => Promise<unknown>): Promise<Result> {
  let measuring = false;
  let stop = false;
  let commits = 0;
  const latencies: number[] = [];
  const worker = async (w: number): Promise<void> => {
    while (!stop) {
      const started = hrNow();
      await commit(w);
      if (measuring && !stop) {
        latencies.push(msSince(started));
        commits++;
      }
    }
  };
  const workers = Array.from({ length: options.concurrency }, (_, w) => worker(w));
  const failed = Promise.race(workers.map((p) => p.then(() => new Promise<void>(() => undefined))));
  await Promise.race([sleep(options.warmup * 1000), failed]);
  measuring = true;
  const started = hrNow();
  const cpuStart = cpuClock();
  await Promise.race([sleep(options.seconds * 1000), failed]);
  stop = true;
  const elapsed = secondsSince(started);
  const cpu = cpuPerCommit(cpuStart, commits);
  await Promise.all(workers);
  return {
    commitsPerSecond: commits / elapsed,
    eventsPerSecond: (commits * options.eventsPerCommit) / elapsed,
    commits,
    ...cpu,
    ...latencySummary(latencies),
  };
}

/** Peak RSS, sampled by a timer (every 20 ms) and by the caller (`sample()`), whichever sees more. */
export function rssSampler(): { sample: () => void; stop: () => number } {
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

/** The child side: run one task and print its result. Called from bench/child.ts. */
export function runChild(argv: string[]): void {
  const task = JSON.parse(argv[0] as string) as Task;
  const module = require(join(__dirname, task.module)) as { TASKS: Record<string, TaskFunction> };
  const run = module.TASKS[task.kind];
  if (!run) throw new Error(`no task ${task.kind} in ${task.module}`);
  run(task as never).then(
    (result) => {
      process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
      // pg pools, timers of libraries: a finished task does not wait for them.
      setTimeout(() => process.exit(0), 50).unref();
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// The parent.

export type System = 'chainstore' | 'chainstore-engine' | 'sqlite' | 'postgres' | 'emmett' | 'fs';

export const SYSTEM_NAMES: Record<System, string> = {
  chainstore: 'chainstore',
  'chainstore-engine': 'chainstore engine (SegmentLog)',
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  emmett: 'Emmett (PostgreSQL)',
  fs: 'node:fs',
};

export interface Options {
  reps: number;
  quick: boolean;
  /** Measured seconds per append run, and warm-up before. */
  seconds: number;
  warmup: number;
  /** Events in the read fixture (W5–W9). */
  events: number;
  /** readStream calls per W7 repetition. */
  reads: number;
  /** Size of the engine's verification store. */
  storeMb: number;
  dir: string;
  /** Keep the fixtures here (and in the PostgreSQL database chainstore_bench_fixture) and reuse them. */
  fixture: string | undefined;
  only: string[] | undefined;
  json: string | undefined;
  results: string | undefined;
  cpuProf: string | undefined;
  pgUrl: string;
  /** Measure lib/ as committed at this git revision instead of the work tree. */
  lib: string | undefined;
  argv: string[];
}

export function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const fromEnv = process.env.BENCH_EVENTS ? Number(process.env.BENCH_EVENTS.replace(/_/g, '')) : undefined;
  const options: Options = {
    reps: quick ? 2 : 5,
    quick,
    seconds: quick ? 0.6 : 3,
    warmup: quick ? 0.2 : 0.5,
    events: fromEnv ?? (quick ? 100_000 : 1_000_000),
    reads: quick ? 300 : 1000,
    storeMb: quick ? 64 : 320,
    dir: process.env.TMPDIR ?? '/tmp',
    fixture: undefined,
    only: undefined,
    json: undefined,
    results: undefined,
    cpuProf: undefined,
    pgUrl: process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
    lib: undefined,
    argv,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') continue;
    else if (arg === '--reps') options.reps = Number(value());
    else if (arg === '--seconds') options.seconds = Number(value());
    else if (arg === '--warmup') options.warmup = Number(value());
    else if (arg === '--events') options.events = Number(value().replace(/_/g, ''));
    else if (arg === '--reads') options.reads = Number(value());
    else if (arg === '--store-mb') options.storeMb = Number(value());
    else if (arg === '--dir') options.dir = resolve(value());
    else if (arg === '--fixture') options.fixture = resolve(value());
    else if (arg === '--only') options.only = value().split(',').filter(Boolean);
    else if (arg === '--json') options.json = resolve(value());
    else if (arg === '--results') options.results = resolve(value());
    else if (arg === '--pg') options.pgUrl = value();
    else if (arg === '--lib') options.lib = value();
    else if (arg === '--cpu-prof') options.cpuProf = argv[i + 1] && !argv[i + 1]?.startsWith('--') ? resolve(value()) : resolve('bench/profiles');
    else throw new Error(`unknown option ${arg} (see bench/README.md)`);
  }
  if (!(Number.isInteger(options.events) && options.events >= 1000)) throw new Error(`the fixture needs an integer ≥ 1000 events, not ${options.events}`);
  return options;
}

/** What a workload needs before it can run; the parent checks each once and skips what is missing. */
export type Need = 'sqlite' | 'postgres' | 'emmett' | 'fixture' | 'verify-store';

export interface Workload<Context> {
  id: string;
  system: System;
  /** Selected by `--only <group>`; 'main' workloads make up the default run. */
  groups: string[];
  label: string;
  needs: Need[];
  task: (context: Context, options: Options) => Task;
  /** The metrics that feed rows of the comparison table: `row` is a Row key. */
  figures: Array<{ metric: string; row: string }>;
  /** Shown after the figure on each repetition's progress line. */
  detail?: (result: Result) => string;
}

export interface Target {
  /** At least / at most this value of the row's metric. */
  atLeast?: number;
  atMost?: number;
  /** At least `factor` × the baseline's median in the same row. */
  ratio?: { baseline: System; factor: number };
  text: string;
}

export interface Row {
  key: string;
  label: string;
  unit: string;
  lowerIsBetter?: boolean;
  targets?: Target[];
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(values: readonly number[]): Summary | undefined {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

export function format(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function fileSystemType(directory: string): string {
  try {
    const device = execFileSync('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', '-T', directory], { encoding: 'utf8' }).trim().split(/\s+/);
    return `${device[1] ?? '?'} (${device[0] ?? '?'})`;
  } catch {
    try {
      return execFileSync('stat', ['-f', '-c', '%T', directory], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  }
}

function gitCommit(libRevision: string | undefined): string {
  try {
    if (libRevision) {
      const git = (...args: string[]): string => execFileSync('git', args, { cwd: resolve(__dirname, '..'), encoding: 'utf8' }).trim();
      return `lib/ as committed in ${git('log', '-1', '--format=%h %s', libRevision)} (--lib ${libRevision}; the last commit that changed lib/: ${git('log', '-1', '--format=%h %s', libRevision, '--', 'lib')}); bench/ from the work tree`;
    }
    const head = execFileSync('git', ['log', '-1', '--format=%h %s'], { cwd: resolve(__dirname, '..'), encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'lib'], { cwd: resolve(__dirname, '..'), encoding: 'utf8' }).trim();
    return dirty ? `work tree at ${head}, with uncommitted changes in lib/: ${dirty.split('\n').map((l) => l.trim().split(/\s+/)[1]).join(', ')}` : `work tree at ${head}`;
  } catch {
    return 'unknown';
  }
}

const loads = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/**
 * The compiler options of the published package (tsconfig.build.json), as one file at a time is
 * compiled: what `npm run build` emits into dist/. swc's CommonJS differs where it matters here:
 * its re-exports (lib/format/index.ts and the like) are getters that cost ~3% of a replay.
 */
function packageCompilerOptions(repo: string): import('typescript').CompilerOptions {
  const ts = require('typescript') as typeof import('typescript');
  const configPath = join(repo, 'tsconfig.build.json');
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, repo, undefined, configPath);
  return { ...config.options, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, declaration: false, sourceMap: false, inlineSourceMap: true };
}

/**
 * Compiles lib/**.ts with TypeScript and bench/*.ts with @swc/core (not specs) into `out`; returns
 * the child entry. With `libRevision`, lib/ is taken from that git commit (`git show REV:lib/…`)
 * instead of the work tree.
 */
function compileForChildren(out: string, libRevision: string | undefined): string {
  const { transformSync } = require('@swc/core') as typeof import('@swc/core');
  const { swcOptions } = require('./register.js') as { swcOptions: import('@swc/core').Options };
  const ts = require('typescript') as typeof import('typescript');
  const repo = resolve(__dirname, '..');
  const libOptions = packageCompilerOptions(repo);
  const libDirectory = join(repo, 'lib');
  const files: string[] = [];
  const sources = new Map<string, string>();
  if (libRevision) {
    const listed = execFileSync('git', ['ls-tree', '-r', '--name-only', libRevision, '--', 'lib'], { cwd: repo, encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const path of listed) {
      if (!path.endsWith('.ts') || path.endsWith('.spec.ts') || path.endsWith('.d.ts')) continue;
      const file = join(repo, path);
      files.push(file);
      sources.set(file, execFileSync('git', ['show', `${libRevision}:${path}`], { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
    }
  }
  const walk = (directory: string): void => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  if (!libRevision) walk(join(repo, 'lib'));
  walk(join(repo, 'bench'));
  // The seeded PRNG the fixtures are drawn from is the tests' (one mulberry32 for the project).
  files.push(join(repo, 'test', 'support', 'seeded-random.ts'));
  for (const file of files) {
    const source = sources.get(file) ?? fs.readFileSync(file, 'utf8');
    const code = file.startsWith(libDirectory + '/') ? ts.transpileModule(source, { compilerOptions: libOptions, fileName: file }).outputText : transformSync(source, { ...swcOptions, filename: file }).code;
    const target = join(out, file.slice(repo.length + 1)).replace(/\.ts$/, '.js');
    fs.mkdirSync(join(target, '..'), { recursive: true });
    fs.writeFileSync(target, code);
  }
  return join(out, 'bench', 'child.js');
}

export class Runner<Context> {
  readonly root: string;
  private childEntry = '';
  private readonly childEnv: NodeJS.ProcessEnv;
  readonly results = new Map<string, Result[]>();
  readonly errors: string[] = [];
  readonly log: string[] = [];

  constructor(readonly options: Options) {
    fs.mkdirSync(options.dir, { recursive: true });
    this.root = fs.mkdtempSync(join(options.dir, 'chainstore-bench-'));
    const repo = resolve(__dirname, '..');
    this.childEnv = { ...process.env, CHAINSTORE_BENCH_DIR: __dirname, NODE_PATH: [join(repo, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(':') };
  }

  say(line: string): void {
    console.log(line);
    this.log.push(line);
  }

  compile(): void {
    this.childEntry = compileForChildren(join(this.root, 'js'), this.options.lib);
  }

  spawn(task: Task, label: string, profile = true): Result | Error {
    const execArgv = ['--expose-gc', '--max-old-space-size=8192'];
    if (profile && this.options.cpuProf) {
      fs.mkdirSync(this.options.cpuProf, { recursive: true });
      execArgv.push('--cpu-prof', `--cpu-prof-dir=${this.options.cpuProf}`, `--cpu-prof-name=${label.replace(/[^A-Za-z0-9-]+/g, '_')}-${Date.now()}.cpuprofile`);
    }
    const child = spawnSync(process.execPath, [...execArgv, this.childEntry, JSON.stringify(task)], { env: this.childEnv, encoding: 'utf8', timeout: 30 * 60 * 1000, maxBuffer: 64 * 1024 * 1024 });
    const line = child.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
    if (child.status !== 0 || !line) return new Error(`${label}: exit ${child.status ?? child.signal}: ${(child.stderr || child.stdout || '').trim().split('\n').slice(-4).join(' | ')}`);
    return JSON.parse(line.slice('RESULT '.length)) as Result;
  }

  /** Runs `reps` interleaved repetitions of each workload, each in a fresh child. */
  run(workloads: Array<Workload<Context>>, context: Context, scratch: (workload: Workload<Context>) => { context: Context; cleanup: () => void }): void {
    for (let rep = 1; rep <= this.options.reps; rep++) {
      for (const workload of workloads) {
        const { context: local, cleanup } = scratch(workload);
        // The previous child's dirty pages written back now, not during this child's measurement.
        spawnSync('sync');
        const load = loadavg()[0] ?? NaN;
        const started = Date.now();
        const result = this.spawn(workload.task(local ?? context, this.options), `${workload.id}-rep${rep}`);
        cleanup();
        if (result instanceof Error) {
          this.errors.push(result.message);
          console.log(`  rep ${rep} ${workload.id}: FAILED ${result.message}`);
          continue;
        }
        this.results.set(workload.id, [...(this.results.get(workload.id) ?? []), result]);
        const shown = workload.figures.map((f) => `${f.row} ${f.metric}=${format(result[f.metric] ?? NaN)}`).join(', ');
        console.log(`  rep ${rep} ${workload.id}: ${shown}${workload.detail ? ` (${workload.detail(result)})` : ''} [${((Date.now() - started) / 1000).toFixed(1)} s, load ${load.toFixed(1)}]`);
      }
    }
  }

  /** The comparison table: one line per row, a column per system, ratios to each baseline, targets. */
  comparisonTable(workloads: Array<Workload<Context>>, rows: Row[]): string {
    const cell = new Map<string, Map<System, Summary>>();
    for (const workload of workloads) {
      const runs = this.results.get(workload.id) ?? [];
      for (const figure of workload.figures) {
        const s = summarize(runs.map((r) => r[figure.metric] ?? NaN));
        if (!s) continue;
        const bySystem = cell.get(figure.row) ?? new Map<System, Summary>();
        bySystem.set(workload.system, s);
        cell.set(figure.row, bySystem);
      }
    }
    const baselines: System[] = ['sqlite', 'postgres', 'emmett'];
    const ours: System[] = ['chainstore', 'chainstore-engine'];
    const shown = (s: Summary | undefined): string => (s ? `**${format(s.median)}** (${format(s.min)}–${format(s.max)})` : '—');
    const lines = [
      `| workload | unit | ${SYSTEM_NAMES.chainstore} | ${SYSTEM_NAMES.sqlite} | ${SYSTEM_NAMES.postgres} | ${SYSTEM_NAMES.emmett} | × SQLite | × PostgreSQL | × Emmett | target | |`,
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ];
    for (const row of rows) {
      const bySystem = cell.get(row.key);
      if (!bySystem) continue;
      const mine = ours.map((s) => bySystem.get(s)).find(Boolean);
      const ratioTo = (baseline: System): number => {
        const b = bySystem.get(baseline);
        if (!mine || !b) return NaN;
        return row.lowerIsBetter ? b.median / mine.median : mine.median / b.median;
      };
      const ratios = baselines.map((b) => {
        const r = ratioTo(b);
        return Number.isFinite(r) ? `${r.toFixed(2)}×` : '—';
      });
      let targetText = '';
      let verdict = '';
      if (row.targets && row.targets.length > 0) {
        targetText = row.targets.map((t) => t.text).join('; ');
        const checks = row.targets.map((t): boolean | undefined => {
          if (!mine) return undefined;
          if (t.atLeast !== undefined) return mine.median >= t.atLeast;
          if (t.atMost !== undefined) return mine.median <= t.atMost;
          if (t.ratio) {
            const r = ratioTo(t.ratio.baseline);
            return Number.isFinite(r) ? r >= t.ratio.factor : undefined;
          }
          return undefined;
        });
        verdict = checks.some((c) => c === false) ? 'missed' : checks.every((c) => c === true) ? 'met' : 'not measured';
        if (verdict === 'missed' && checks.some((c) => c === true)) verdict = `missed (${checks.map((c) => (c === true ? 'met' : c === false ? 'missed' : '?')).join(', ')})`;
      }
      const firstCell = bySystem.get('chainstore') ? shown(bySystem.get('chainstore')) : bySystem.get('chainstore-engine') ? shown(bySystem.get('chainstore-engine')) : bySystem.get('fs') ? shown(bySystem.get('fs')) : '—';
      lines.push(`| ${row.label} | ${row.unit} | ${firstCell} | ${shown(bySystem.get('sqlite'))} | ${shown(bySystem.get('postgres'))} | ${shown(bySystem.get('emmett'))} | ${ratios.join(' | ')} | ${targetText} | ${verdict} |`);
    }
    return lines.join('\n');
  }

  /** Every metric of every workload: median and min–max over the repetitions. */
  detailTable(workloads: Array<Workload<Context>>): string {
    const lines = ['| workload | metric | median | min–max | n |', '|---|---|---:|---:|---:|'];
    for (const workload of workloads) {
      const runs = this.results.get(workload.id) ?? [];
      if (runs.length === 0) continue;
      const metrics = Object.keys(runs[0] as Result);
      for (const metric of metrics) {
        const s = summarize(runs.map((r) => r[metric] ?? NaN));
        if (!s) continue;
        lines.push(`| ${workload.id} (${SYSTEM_NAMES[workload.system]}) | ${metric} | ${format(s.median)} | ${format(s.min)}–${format(s.max)} | ${s.n} |`);
      }
    }
    return lines.join('\n');
  }

  machine(): { text: string; commit: string } {
    const fsType = fileSystemType(this.options.fixture && fs.existsSync(this.options.fixture) ? this.options.fixture : this.root);
    const commit = gitCommit(this.options.lib);
    const text = [
      `- machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, file system of the stores: ${fsType}`,
      `- commit measured: ${commit}`,
    ].join('\n');
    return { text, commit };
  }

  static loads = loads;

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  writeJson(path: string): void {
    fs.writeFileSync(path, JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, options: this.options, results: Object.fromEntries(this.results), errors: this.errors }, null, 2));
  }
}
