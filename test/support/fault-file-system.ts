import * as fs from 'node:fs';
import { relative } from 'node:path';
import { FileSystem, NodeFileSystem } from '../../lib/segment';

/** The calls a FaultFileSystem counts, logs and can fault: every one that changes the disk, plus open. */
export type CountedOperation =
  | 'open'
  | 'write'
  | 'fsync'
  | 'fdatasync'
  | 'ftruncate'
  | 'writeFile'
  | 'link'
  | 'rename'
  | 'unlink'
  | 'chmod'
  | 'mkdir'
  | 'syncDirectory';

export type InjectedErrno = 'EIO' | 'ENOSPC';

/** Which call(s) fail, and how. */
export interface FaultRule {
  /** Only calls of this kind match; any counted call when absent. */
  operation?: CountedOperation;
  /** Only calls on this path (relative to the root, as in the log) match. */
  path?: string;
  /** Only calls on a path that contains this (relative to the root, as in the log) match. */
  pathIncludes?: string;
  /** The nth matching call (1-based) fails; with `persistent`, it and every later matching call do. */
  nth: number;
  errno: InjectedErrno;
  persistent?: boolean;
}

export interface FaultFileSystemOptions {
  /**
   * The file system the calls go to; by default node:fs run synchronously, with flushes counted but
   * not sent to the device (see SynchronousNodeFileSystem: a simulated death keeps the page cache).
   */
  inner?: FileSystem;
  /** Paths in the log are shown relative to this directory. */
  root?: string;
  /**
   * Short writes: each write writes only the first half of what it was asked and reports that
   * count; the caller's next call, for the rest, is served whole. A crash between the two leaves a
   * torn write on disk.
   */
  splitWrites?: boolean;
  /** Called with each counted call's log line just before the call runs (or crashes, or fails). */
  beforeOperation?: (line: string) => void;
}

/** Thrown by every call from the crash on: the process is dead and nothing more reaches the disk. */
export class SimulatedCrash extends Error {
  readonly code = 'ESIMULATEDCRASH';
  constructor(readonly step: string) {
    super(`simulated crash at ${step}`);
  }
}

/**
 * node:fs behind the FileSystem interface, with each call run synchronously. The engine then sees
 * every result in an order that depends on its own code only, not on when the thread pool finishes
 * a call, so "the Nth counted operation" names the same operation on every run: a crash case
 * found once replays exactly.
 */
export class SynchronousNodeFileSystem extends NodeFileSystem {
  /**
   * @param flushToDevice when false, fsync, fdatasync and syncDirectory return without asking the
   *   device: a simulated process death keeps the page cache, so a real flush would change nothing
   *   the crash tests can observe, and on a shared CI disk it costs most of their time.
   */
  constructor(private readonly flushToDevice = true) {
    super();
  }

  override async open(path: string, flags: 'r' | 'r+' | 'wx'): Promise<number> {
    return fs.openSync(path, flags, 0o644);
  }
  override async close(fd: number): Promise<void> {
    fs.closeSync(fd);
  }
  override async read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return fs.readSync(fd, buffer, offset, length, position);
  }
  override async write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return fs.writeSync(fd, buffer, offset, length, position);
  }
  override async fsync(fd: number): Promise<void> {
    if (this.flushToDevice) fs.fsyncSync(fd);
  }
  override async fdatasync(fd: number): Promise<void> {
    this.fdatasyncSync(fd);
  }
  override fdatasyncSync(fd: number): void {
    if (this.flushToDevice) fs.fdatasyncSync(fd);
  }
  override async ftruncate(fd: number, length: number): Promise<void> {
    fs.ftruncateSync(fd, length);
  }
  override async fileSize(fd: number): Promise<number> {
    return fs.fstatSync(fd).size;
  }
  override async sizeOf(path: string): Promise<number> {
    return fs.statSync(path).size;
  }
  override async readFile(path: string): Promise<Buffer> {
    return fs.readFileSync(path);
  }
  override async writeFile(path: string, data: Buffer | string, flags: 'w' | 'wx'): Promise<void> {
    fs.writeFileSync(path, data, { flag: flags });
  }
  override async readdir(path: string): Promise<string[]> {
    return fs.readdirSync(path);
  }
  override async mkdir(path: string): Promise<void> {
    fs.mkdirSync(path, { recursive: true });
  }
  override async link(from: string, to: string): Promise<void> {
    fs.linkSync(from, to);
  }
  override async rename(from: string, to: string): Promise<void> {
    fs.renameSync(from, to);
  }
  override async unlink(path: string): Promise<void> {
    fs.unlinkSync(path);
  }
  override async chmod(path: string, mode: number): Promise<void> {
    fs.chmodSync(path, mode);
  }
  override async syncDirectory(path: string): Promise<void> {
    if (!this.flushToDevice) return;
    const fd = fs.openSync(path, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  override async exists(path: string): Promise<boolean> {
    return fs.existsSync(path);
  }
}

/**
 * A FileSystem that counts and logs every call that changes the disk (and every open), and can
 * (a) crash at call N: that call and every later call of any kind throw SimulatedCrash, as if the
 * process died just before it; (b) fail chosen calls with EIO or ENOSPC, once or from then on;
 * (c) make every write short (split in two). Deterministic: no clock, no randomness, synchronous I/O by default.
 */
export class FaultFileSystem implements FileSystem {
  /** One line per counted call, `#N operation path detail`, in order; a failed or crashed call is marked. */
  readonly log: string[] = [];
  private count = 0;
  private crashAtStep: number | undefined;
  private crashedAt: string | undefined;
  private readonly rules: FaultRule[] = [];
  private readonly matches = new Map<FaultRule, number>();
  private readonly paths = new Map<number, string>();
  private readonly inner: FileSystem;
  private readonly root: string | undefined;
  private readonly splitWrites: boolean;
  /** Where the rest of a split write starts, per descriptor. */
  private readonly splitRest = new Map<number, number>();
  private readonly beforeOperation: ((line: string) => void) | undefined;

  constructor(options: FaultFileSystemOptions = {}) {
    this.inner = options.inner ?? new SynchronousNodeFileSystem(false);
    this.root = options.root;
    this.splitWrites = options.splitWrites ?? false;
    this.beforeOperation = options.beforeOperation;
  }

  /** Counted calls so far. */
  get operationCount(): number {
    return this.count;
  }

  /** The log line of the call that crashed, once one has. */
  get crash(): string | undefined {
    return this.crashedAt;
  }

  /** Call `step` (1-based, over counted calls) and every call after it throw SimulatedCrash. */
  crashAt(step: number): this {
    this.crashAtStep = step;
    return this;
  }

  /** Adds a rule that makes matching calls fail with an I/O error, as the kernel reports it. */
  inject(rule: FaultRule): this {
    this.rules.push(rule);
    this.matches.set(rule, 0);
    return this;
  }

  /** Log lines of the counted calls of one kind. */
  operations(operation: CountedOperation): string[] {
    return this.log.filter((line) => line.split(' ')[1] === operation);
  }

  /** Closes what the engine left open when it "died": the test process lives on, its descriptors too. */
  closeLeftovers(): void {
    for (const fd of this.paths.keys()) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed by the engine before the crash
      }
    }
    this.paths.clear();
    this.splitRest.clear();
  }

  async open(path: string, flags: 'r' | 'r+' | 'wx'): Promise<number> {
    this.step('open', path, flags);
    const fd = await this.inner.open(path, flags);
    this.paths.set(fd, path);
    return fd;
  }
  async close(fd: number): Promise<void> {
    this.assertAlive();
    this.paths.delete(fd);
    this.splitRest.delete(fd);
    return this.inner.close(fd);
  }
  async read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.assertAlive();
    return this.inner.read(fd, buffer, offset, length, position);
  }
  async write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const count = this.writeStep(fd, length, position);
    return this.afterWrite(fd, length, position, await this.inner.write(fd, buffer, offset, count, position));
  }
  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const count = this.writeStep(fd, length, position);
    return this.afterWrite(fd, length, position, this.inner.writeSync(fd, buffer, offset, count, position));
  }
  async fsync(fd: number): Promise<void> {
    this.step('fsync', this.pathOf(fd));
    return this.inner.fsync(fd);
  }
  async fdatasync(fd: number): Promise<void> {
    this.step('fdatasync', this.pathOf(fd));
    return this.inner.fdatasync(fd);
  }
  fdatasyncSync(fd: number): void {
    this.step('fdatasync', this.pathOf(fd));
    this.inner.fdatasyncSync(fd);
  }
  async ftruncate(fd: number, length: number): Promise<void> {
    this.step('ftruncate', this.pathOf(fd), `to ${length}`);
    return this.inner.ftruncate(fd, length);
  }
  async fileSize(fd: number): Promise<number> {
    this.assertAlive();
    return this.inner.fileSize(fd);
  }
  async sizeOf(path: string): Promise<number> {
    this.assertAlive();
    return this.inner.sizeOf(path);
  }
  async readFile(path: string): Promise<Buffer> {
    this.assertAlive();
    return this.inner.readFile(path);
  }
  async writeFile(path: string, data: Buffer | string, flags: 'w' | 'wx'): Promise<void> {
    this.step('writeFile', path, flags);
    return this.inner.writeFile(path, data, flags);
  }
  async readdir(path: string): Promise<string[]> {
    this.assertAlive();
    return this.inner.readdir(path);
  }
  async mkdir(path: string): Promise<void> {
    this.step('mkdir', path);
    return this.inner.mkdir(path);
  }
  async link(from: string, to: string): Promise<void> {
    this.step('link', from, `-> ${this.show(to)}`);
    return this.inner.link(from, to);
  }
  async rename(from: string, to: string): Promise<void> {
    this.step('rename', from, `-> ${this.show(to)}`);
    return this.inner.rename(from, to);
  }
  async unlink(path: string): Promise<void> {
    this.step('unlink', path);
    return this.inner.unlink(path);
  }
  async chmod(path: string, mode: number): Promise<void> {
    this.step('chmod', path, mode.toString(8));
    return this.inner.chmod(path, mode);
  }
  async syncDirectory(path: string): Promise<void> {
    this.step('syncDirectory', path);
    return this.inner.syncDirectory(path);
  }
  async exists(path: string): Promise<boolean> {
    this.assertAlive();
    return this.inner.exists(path);
  }
  openSync(path: string): number {
    this.assertAlive();
    return this.inner.openSync(path);
  }
  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    this.assertAlive();
    return this.inner.readSync(fd, buffer, offset, length, position);
  }
  closeSync(fd: number): void {
    this.assertAlive();
    this.inner.closeSync(fd);
  }

  /** Counts the write (split in two with splitWrites) and returns how many bytes it may write. */
  private writeStep(fd: number, length: number, position: number): number {
    const isRest = this.splitRest.get(fd) === position;
    const count = this.splitWrites && !isRest && length > 1 ? Math.ceil(length / 2) : length;
    this.step('write', this.pathOf(fd), `${count}/${length} bytes at ${position}`);
    return count;
  }

  private afterWrite(fd: number, length: number, position: number, written: number): number {
    const isRest = this.splitRest.get(fd) === position;
    if (written < length && !isRest) this.splitRest.set(fd, position + written);
    else this.splitRest.delete(fd);
    return written;
  }

  /** Counts and logs one call, then crashes or fails it when a rule says so. */
  private step(operation: CountedOperation, path: string, detail = ''): void {
    this.assertAlive();
    this.count++;
    const shown = this.show(path);
    const line = `#${this.count} ${operation} ${shown}${detail ? ` ${detail}` : ''}`;
    this.beforeOperation?.(line);
    if (this.crashAtStep !== undefined && this.count >= this.crashAtStep) {
      this.crashedAt = line;
      this.log.push(`${line} [crash]`);
      throw new SimulatedCrash(line);
    }
    const errno = this.injectedErrno(operation, shown);
    if (errno !== undefined) {
      this.log.push(`${line} [${errno}]`);
      throw Object.assign(new Error(`${errno}: injected failure of ${line}`), { code: errno });
    }
    this.log.push(line);
  }

  private injectedErrno(operation: CountedOperation, path: string): InjectedErrno | undefined {
    let errno: InjectedErrno | undefined;
    for (const rule of this.rules) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.path !== undefined && rule.path !== path) continue;
      if (rule.pathIncludes !== undefined && !path.includes(rule.pathIncludes)) continue;
      const nth = (this.matches.get(rule) ?? 0) + 1;
      this.matches.set(rule, nth);
      if (nth === rule.nth || (rule.persistent === true && nth > rule.nth)) errno ??= rule.errno;
    }
    return errno;
  }

  private assertAlive(): void {
    if (this.crashedAt !== undefined) throw new SimulatedCrash(`a call after the crash at ${this.crashedAt}`);
  }

  private pathOf(fd: number): string {
    return this.paths.get(fd) ?? `fd ${fd}`;
  }

  private show(path: string): string {
    return this.root === undefined || path.startsWith('fd ') ? path : relative(this.root, path) || '.';
  }
}
