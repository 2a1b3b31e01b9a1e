import { basename, dirname } from 'node:path';
import { FileSystem } from '../../lib/segment';
import { SimulatedCrash } from './fault-file-system';
import { seededRandom } from './seeded-random';

/**
 * A power-loss simulator behind the FileSystem interface (SQLite's crash VFS, TigerBeetle's VOPR
 * storage): an in-memory disk that knows, for every file, what is durable and what was only
 * written, and for every directory, which names are durable and which are pending.
 *
 * The model (what survives a power cut), strict POSIX with the Linux ext4 reading of fdatasync:
 * - A write lands in the page cache: readers see it at once; it is durable only once an fsync or
 *   fdatasync of its file returned. fdatasync covers the data and the file size (ext4 writes the
 *   size of an appending write with the data); fsync covers data, size and mode.
 * - At a power cut, each write or truncate not covered by a sync is, by a seeded choice, applied,
 *   dropped, torn per 512-byte sector (each sector applied, kept old, or garbled with random bytes
 *   or with the stale bytes of a file deleted earlier, as a file system reusing blocks would show),
 *   or — for a write that grew the file — leaves the new size with zeros where its data should be.
 * - A directory entry created, renamed, linked, unlinked or made by mkdir is durable only once the
 *   directory is fsynced (syncDirectory). Fsyncing a file makes its data durable, not its name.
 *   At a power cut, each pending directory change is kept or undone as a whole (a rename is atomic:
 *   the file is under the old name or the new one), in any combination, independently per change.
 * - A failed fsync or fdatasync (an injected EIO) resolves that file's unsynced writes at once,
 *   as a power cut would ("fsyncgate": Linux marks the pages clean whatever reached the disk), so a
 *   retry would succeed over lost data: the engine must never retry.
 * - A directory that vanishes takes what it held; a file no name reaches is freed at the cut.
 *
 * One PowerLossDisk lives across crashes; each "process" gets a mount (a FileSystem). powerLoss()
 * kills the current mount — it and everything the dead engine still runs get SimulatedCrash — and
 * turns the disk into what a reboot would find. Deterministic: every choice comes from the seed.
 */
export const SECTOR_BYTES = 512;


/** A test-only switch that removes one flush from the engine, to prove the simulator catches it. */
export type FlushMutation = 'journal-fdatasync' | 'journal-create-fsync' | 'segment-fsync' | 'directory-fsync';

export type FaultOperation =
  | 'open'
  | 'close'
  | 'read'
  | 'write'
  | 'fsync'
  | 'fdatasync'
  | 'ftruncate'
  | 'fileSize'
  | 'sizeOf'
  | 'readFile'
  | 'writeFile'
  | 'readdir'
  | 'mkdir'
  | 'link'
  | 'rename'
  | 'unlink'
  | 'chmod'
  | 'syncDirectory'
  | 'exists'
  | 'openSync'
  | 'readSync'
  | 'closeSync';

/** Calls that change the disk or flush it: the steps a crash is placed between (as FaultFileSystem counts). */
export const MUTATING_OPERATIONS: ReadonlySet<FaultOperation> = new Set(['open', 'write', 'fsync', 'fdatasync', 'ftruncate', 'writeFile', 'mkdir', 'link', 'rename', 'unlink', 'chmod', 'syncDirectory']);

export type FaultErrno = 'EIO' | 'ENOSPC' | 'EINTR';

/** The nth call (1-based) that `matches` fails with `errno`; with `persistent`, every later one too. */
export interface IoFault {
  matches: (operation: FaultOperation, path: string) => boolean;
  nth: number;
  errno: FaultErrno;
  persistent?: boolean;
}

export interface MountOptions {
  /** The nth mutating call (1-based) and everything after it find the power gone. */
  crashAtStep?: number;
  faults?: IoFault[];
  mutation?: FlushMutation;
  /** Every write writes a seeded 1..length bytes (the caller must loop). */
  shortWrites?: boolean;
  /** Record a log line per call (for a failing seed's report). */
  log?: boolean;
}

/** What the disk did to unsynced state, over all power cuts: the faults injected. */
export interface PowerLossStats {
  powerCuts: number;
  writesApplied: number;
  writesDropped: number;
  writesTorn: number;
  writesSizeOnly: number;
  sectorsGarbled: number;
  sectorsStale: number;
  truncatesDropped: number;
  directoryChangesKept: number;
  directoryChangesUndone: number;
  ioErrors: number;
  enospc: number;
}

type PendingChange = { kind: 'write'; offset: number; bytes: Buffer } | { kind: 'truncate'; length: number };

class Inode {
  /** What readers see (the page cache). */
  current: Buffer;
  /** What a power cut falls back to. */
  durable: Buffer;
  pending: PendingChange[] = [];
  links = 0;
  openCount = 0;
  mode = 0o644;
  constructor(readonly id: number) {
    this.current = Buffer.alloc(0);
    this.durable = this.current;
  }
}

type Entry = { kind: 'file'; inode: Inode } | { kind: 'directory' };
/** One directory change, kept or undone as a whole: [name, entry or undefined for removal] pairs. */
type DirectoryChange = { label: string; changes: Array<[string, Entry | undefined]> };

class Directory {
  current = new Map<string, Entry>();
  durable = new Map<string, Entry>();
  pending: DirectoryChange[] = [];
}

interface OpenFile {
  inode: Inode;
  path: string;
  writable: boolean;
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export class PowerLossDisk {
  private readonly directories = new Map<string, Directory>();
  private nextInode = 1;
  /** Bytes of files deleted earlier: the "old blocks" a torn sector may show. */
  private staleContents: Buffer[] = [];
  private mounted: PowerLossFileSystem | undefined;
  readonly stats: PowerLossStats = {
    powerCuts: 0,
    writesApplied: 0,
    writesDropped: 0,
    writesTorn: 0,
    writesSizeOnly: 0,
    sectorsGarbled: 0,
    sectorsStale: 0,
    truncatesDropped: 0,
    directoryChangesKept: 0,
    directoryChangesUndone: 0,
    ioErrors: 0,
    enospc: 0,
  };
  /** Most bytes all live files may hold: a write past it is short, then fails with ENOSPC. */
  capacityBytes = Number.POSITIVE_INFINITY;
  /** Most bytes live files held at once. */
  peakUsedBytes = 0;
  /** The harshest cut, for targeted tests: every unsynced write and directory change is lost. */
  private dropAll = false;

  /** @param root a directory that exists, durably, with its ancestors */
  constructor(
    readonly root: string,
    readonly random: () => number,
  ) {
    this.directories.set(root, new Directory());
  }

  mount(options: MountOptions = {}): PowerLossFileSystem {
    this.mounted?.kill('a new mount');
    this.mounted = new PowerLossFileSystem(this, options);
    return this.mounted;
  }

  /** Bytes held by live files (named, or open). */
  get usedBytes(): number {
    let used = 0;
    for (const inode of this.liveInodes()) used += inode.current.length;
    return used;
  }

  /**
   * The power goes: the mount dies, then every unsynced write and directory change is kept,
   * dropped or torn by seeded choice; the result is what the disk holds, all of it durable now.
   */
  powerLoss(options: { dropAllUnsynced?: boolean } = {}): void {
    this.dropAll = options.dropAllUnsynced ?? false;
    const before = new Set(this.liveInodes());
    this.mounted?.kill('power loss');
    this.mounted = undefined;
    this.stats.powerCuts++;
    for (const directory of this.directories.values()) this.resolveDirectory(directory);
    this.dropUnreachableDirectories();
    const reachable = this.reachableInodes();
    for (const inode of reachable) {
      inode.openCount = 0;
      this.resolveData(inode);
    }
    for (const inode of before) if (!reachable.has(inode)) this.free(inode);
  }

  /** An exact copy, sharing nothing, with its own seeded choices from now on. */
  clone(random: () => number): PowerLossDisk {
    if (this.mounted && !this.mounted.isDead) throw new Error('clone a disk only while nothing runs on it');
    const copy = new PowerLossDisk(this.root, random);
    copy.capacityBytes = this.capacityBytes;
    copy.nextInode = this.nextInode;
    copy.staleContents = [...this.staleContents];
    const inodes = new Map<Inode, Inode>();
    const copyEntry = (entry: Entry): Entry => {
      if (entry.kind === 'directory') return entry;
      let inode = inodes.get(entry.inode);
      if (!inode) {
        inode = new Inode(entry.inode.id);
        inode.current = Buffer.from(entry.inode.current);
        inode.durable = entry.inode.durable === entry.inode.current ? inode.current : Buffer.from(entry.inode.durable);
        inode.pending = entry.inode.pending.map((change) => ({ ...change }));
        inode.links = entry.inode.links;
        inode.mode = entry.inode.mode;
        inodes.set(entry.inode, inode);
      }
      return { kind: 'file', inode };
    };
    for (const [path, directory] of this.directories) {
      const target = new Directory();
      for (const [name, entry] of directory.current) target.current.set(name, copyEntry(entry));
      for (const [name, entry] of directory.durable) target.durable.set(name, copyEntry(entry));
      target.pending = directory.pending.map((change) => ({ label: change.label, changes: change.changes.map(([name, entry]) => [name, entry && copyEntry(entry)]) }));
      copy.directories.set(path, target);
    }
    return copy;
  }

  /** Removes a file at once and durably: what a test does "from outside" (a stale LOCK after a reboot). */
  removeDurably(path: string): void {
    const directory = this.directories.get(dirname(path));
    const name = basename(path);
    const entry = directory?.current.get(name);
    if (!directory || entry?.kind !== 'file') return;
    directory.current.delete(name);
    directory.durable.delete(name);
    directory.pending = directory.pending.filter((change) => !change.changes.some(([changed]) => changed === name));
    entry.inode.links--;
  }

  /** Names in a directory as the engine would see them now (for tests' checks). */
  list(path: string): string[] {
    return [...(this.directories.get(path)?.current.keys() ?? [])].sort();
  }

  /** @internal for the mount */
  lookupDirectory(path: string): Directory | undefined {
    return this.directories.get(path);
  }

  /** @internal for the mount */
  addDirectory(path: string): void {
    this.directories.set(path, new Directory());
  }

  /** @internal for the mount: after a call that may have grown a file */
  notePeak(): void {
    this.peakUsedBytes = Math.max(this.peakUsedBytes, this.usedBytes);
  }

  /** @internal for the mount */
  newInode(): Inode {
    return new Inode(this.nextInode++);
  }

  /** @internal for the mount: an inode lost its last name and descriptor while running. */
  maybeFree(inode: Inode): void {
    // Its bytes stay in the inode (a power cut may undo the unlink); its blocks may be reused meanwhile.
    if (inode.links <= 0 && inode.openCount <= 0 && inode.current.length > 0) this.staleContents = [inode.current, ...this.staleContents].slice(0, 4);
  }

  /** @internal for the mount: a failed flush resolves the file's unsynced writes now. */
  resolveAfterFailedSync(inode: Inode): void {
    this.resolveData(inode);
  }

  private free(inode: Inode): void {
    if (inode.current.length > 0) this.staleContents = [inode.current, ...this.staleContents].slice(0, 4);
    inode.current = Buffer.alloc(0);
    inode.durable = inode.current;
    inode.pending = [];
  }

  private *liveInodes(): Generator<Inode> {
    const seen = new Set<Inode>();
    for (const directory of this.directories.values()) {
      for (const entry of directory.current.values()) {
        if (entry.kind === 'file' && !seen.has(entry.inode)) {
          seen.add(entry.inode);
          yield entry.inode;
        }
      }
    }
    for (const inode of this.mounted?.openInodes() ?? []) {
      if (!seen.has(inode)) {
        seen.add(inode);
        yield inode;
      }
    }
  }

  private resolveDirectory(directory: Directory): void {
    if (directory.pending.length === 0) {
      directory.durable = new Map(directory.current);
      return;
    }
    // Per directory, sometimes all pending changes land, sometimes none, sometimes any mix.
    const mood = this.random();
    const keepChance = this.dropAll || mood < 0.25 ? 0 : mood < 0.5 ? 1 : 0.5;
    const state = new Map(directory.durable);
    for (const change of directory.pending) {
      if (this.random() < keepChance) {
        this.stats.directoryChangesKept++;
        for (const [name, entry] of change.changes) {
          if (entry) state.set(name, entry);
          else state.delete(name);
        }
      } else {
        this.stats.directoryChangesUndone++;
      }
    }
    directory.current = state;
    directory.durable = new Map(state);
    directory.pending = [];
  }

  private dropUnreachableDirectories(): void {
    for (const path of [...this.directories.keys()].sort((a, b) => a.length - b.length)) {
      if (path === this.root) continue;
      const parent = this.directories.get(dirname(path));
      if (parent?.current.get(basename(path))?.kind !== 'directory') this.directories.delete(path);
    }
  }

  private reachableInodes(): Set<Inode> {
    const reachable = new Set<Inode>();
    for (const directory of this.directories.values()) {
      for (const entry of directory.current.values()) if (entry.kind === 'file') reachable.add(entry.inode);
    }
    for (const inode of reachable) inode.links = 0;
    for (const directory of this.directories.values()) {
      for (const entry of directory.current.values()) if (entry.kind === 'file') entry.inode.links++;
    }
    return reachable;
  }

  /** Applies, drops or tears each unsynced change of one file, in order, over its durable bytes. */
  private resolveData(inode: Inode): void {
    let state = inode.durable;
    for (const change of inode.pending) {
      if (this.dropAll) {
        this.stats[change.kind === 'write' ? 'writesDropped' : 'truncatesDropped']++;
        continue;
      }
      if (change.kind === 'truncate') {
        if (this.random() < 0.5) state = resized(state, change.length);
        else this.stats.truncatesDropped++;
        continue;
      }
      state = this.resolveWrite(state, change.offset, change.bytes);
    }
    inode.current = state;
    inode.durable = state;
    inode.pending = [];
  }

  private resolveWrite(state: Buffer, offset: number, bytes: Buffer): Buffer {
    const end = offset + bytes.length;
    const choice = this.random();
    if (choice < 0.3) {
      this.stats.writesApplied++;
      return written(state, offset, bytes);
    }
    if (choice < 0.5) {
      this.stats.writesDropped++;
      return state;
    }
    if (choice < 0.65 && end > state.length) {
      this.stats.writesSizeOnly++;
      return resized(state, end);
    }
    this.stats.writesTorn++;
    let result = state;
    for (let sector = Math.floor(offset / SECTOR_BYTES) * SECTOR_BYTES; sector < end; sector += SECTOR_BYTES) {
      const from = Math.max(sector, offset);
      const to = Math.min(sector + SECTOR_BYTES, end);
      const fate = this.random();
      if (fate < 0.4) result = written(result, from, bytes.subarray(from - offset, to - offset));
      else if (fate < 0.7) result = to > result.length ? resized(result, to) : result;
      else result = written(result, from, this.garbage(from, to - from));
    }
    return result;
  }

  /** Bytes a torn sector shows: stale bytes of a deleted file at that offset, when there are some, else noise. */
  private garbage(offset: number, length: number): Buffer {
    this.stats.sectorsGarbled++;
    const stale = this.staleContents[Math.floor(this.random() * this.staleContents.length)];
    if (stale && this.random() < 0.5 && stale.length >= offset + length) {
      this.stats.sectorsStale++;
      return Buffer.from(stale.subarray(offset, offset + length));
    }
    const noise = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) noise[i] = Math.floor(this.random() * 256);
    return noise;
  }
}

function resized(buffer: Buffer, length: number): Buffer {
  if (length === buffer.length) return buffer;
  const result = Buffer.alloc(length);
  buffer.copy(result, 0, 0, Math.min(length, buffer.length));
  return result;
}

function written(buffer: Buffer, offset: number, bytes: Buffer): Buffer {
  const result = resized(buffer, Math.max(buffer.length, offset + bytes.length));
  const copy = result === buffer ? Buffer.from(buffer) : result;
  bytes.copy(copy, offset);
  return copy;
}

/**
 * One "process"'s view of a PowerLossDisk: the FileSystem the engine runs on. Every call runs
 * synchronously (a crash step names the same call on every run of a seed). Once killed, every
 * call throws SimulatedCrash: the dead engine's leftovers reach nothing.
 */
export class PowerLossFileSystem implements FileSystem {
  readonly log: string[] = [];
  private steps = 0;
  private calls = 0;
  private dead: string | undefined;
  private readonly files = new Map<number, OpenFile>();
  private nextFd = 3;
  private readonly faultMatches: number[];

  constructor(
    readonly disk: PowerLossDisk,
    private readonly options: MountOptions,
  ) {
    this.faultMatches = (options.faults ?? []).map(() => 0);
  }

  /** Mutating calls so far (the steps crashAtStep counts). */
  get stepCount(): number {
    return this.steps;
  }

  /** Every call so far, reads included. */
  get callCount(): number {
    return this.calls;
  }

  get isDead(): boolean {
    return this.dead !== undefined;
  }

  /** @internal the disk kills its mount at a power loss */
  kill(why: string): void {
    this.dead ??= why;
  }

  /** @internal */
  openInodes(): Inode[] {
    return [...this.files.values()].map((file) => file.inode);
  }

  async open(path: string, flags: 'r' | 'r+' | 'wx'): Promise<number> {
    this.enter('open', path, flags);
    let inode: Inode;
    if (flags === 'wx') {
      if (this.lookup(path)) throw errnoError('EEXIST', `open ${path}`);
      inode = this.create(path, 'create');
    } else {
      inode = this.fileAt(path, 'open');
    }
    return this.addDescriptor(inode, path, flags !== 'r');
  }

  async close(fd: number): Promise<void> {
    this.enter('close', this.pathOf(fd));
    this.closeDescriptor(fd);
  }

  async read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.enter('read', this.pathOf(fd), `${length} at ${position}`);
    return this.readInto(fd, buffer, offset, length, position);
  }

  async write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.writeSync(fd, buffer, offset, length, position);
  }

  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const file = this.file(fd);
    let count = length;
    if (this.options.shortWrites && length > 1) count = 1 + Math.floor(this.disk.random() * length);
    this.enter('write', file.path, `${count}/${length} at ${position}`);
    if (!file.writable) throw errnoError('EBADF', `write ${file.path}`);
    const growth = Math.max(0, position + count - file.inode.current.length);
    const room = this.disk.capacityBytes - this.disk.usedBytes;
    if (growth > room) {
      count = Math.max(0, count - (growth - Math.max(0, room)));
      if (count === 0) {
        this.disk.stats.enospc++;
        throw errnoError('ENOSPC', `write ${file.path}: no space left on device`);
      }
    }
    const bytes = Buffer.from(buffer.subarray(offset, offset + count));
    file.inode.current = written(file.inode.current, position, bytes);
    file.inode.pending.push({ kind: 'write', offset: position, bytes });
    this.disk.notePeak();
    return count;
  }

  async fsync(fd: number): Promise<void> {
    const file = this.file(fd);
    this.enter('fsync', file.path, '', file.inode);
    if (this.options.mutation === 'segment-fsync' && file.path.endsWith('.edb.tmp')) return;
    if (this.options.mutation === 'journal-create-fsync' && file.path.endsWith('.wal.tmp')) return;
    this.sync(file.inode);
  }

  async fdatasync(fd: number): Promise<void> {
    this.fdatasyncSync(fd);
  }

  fdatasyncSync(fd: number): void {
    const file = this.file(fd);
    this.enter('fdatasync', file.path, '', file.inode);
    if (this.options.mutation === 'journal-fdatasync' && file.path.endsWith('.wal')) return;
    this.sync(file.inode);
  }

  async ftruncate(fd: number, length: number): Promise<void> {
    const file = this.file(fd);
    this.enter('ftruncate', file.path, `to ${length}`);
    if (length > file.inode.current.length && length - file.inode.current.length > this.disk.capacityBytes - this.disk.usedBytes) {
      this.disk.stats.enospc++;
      throw errnoError('ENOSPC', `ftruncate ${file.path}`);
    }
    file.inode.current = resized(file.inode.current, length);
    file.inode.pending.push({ kind: 'truncate', length });
  }

  async fileSize(fd: number): Promise<number> {
    this.enter('fileSize', this.pathOf(fd));
    return this.file(fd).inode.current.length;
  }

  async sizeOf(path: string): Promise<number> {
    this.enter('sizeOf', path);
    return this.fileAt(path, 'stat').current.length;
  }

  async readFile(path: string): Promise<Buffer> {
    this.enter('readFile', path);
    return Buffer.from(this.fileAt(path, 'open').current);
  }

  async writeFile(path: string, data: Buffer | string, flags: 'w' | 'wx'): Promise<void> {
    this.enter('writeFile', path, flags);
    const bytes = Buffer.from(data);
    const existing = this.lookup(path);
    if (existing && flags === 'wx') throw errnoError('EEXIST', `open ${path}`);
    if (existing?.kind === 'directory') throw errnoError('EISDIR', `open ${path}`);
    const grows = bytes.length - (existing?.inode.current.length ?? 0);
    if (grows > this.disk.capacityBytes - this.disk.usedBytes) {
      this.disk.stats.enospc++;
      throw errnoError('ENOSPC', `write ${path}`);
    }
    const inode = existing?.inode ?? this.create(path, 'create');
    inode.current = Buffer.from(bytes);
    inode.pending.push({ kind: 'truncate', length: 0 }, { kind: 'write', offset: 0, bytes: Buffer.from(bytes) });
    this.disk.notePeak();
  }

  async readdir(path: string): Promise<string[]> {
    this.enter('readdir', path);
    const directory = this.disk.lookupDirectory(path);
    if (!directory) throw errnoError('ENOENT', `scandir ${path}`);
    return [...directory.current.keys()].sort();
  }

  async mkdir(path: string): Promise<void> {
    this.enter('mkdir', path);
    this.makeDirectories(path);
  }

  async link(from: string, to: string): Promise<void> {
    this.enter('link', from, `-> ${to}`);
    const inode = this.fileAt(from, 'link');
    if (this.lookup(to)) throw errnoError('EEXIST', `link ${from} -> ${to}`);
    const directory = this.directoryOf(to, 'link');
    const entry: Entry = { kind: 'file', inode };
    directory.current.set(basename(to), entry);
    directory.pending.push({ label: `link ${basename(to)}`, changes: [[basename(to), entry]] });
    inode.links++;
  }

  async rename(from: string, to: string): Promise<void> {
    this.enter('rename', from, `-> ${to}`);
    const inode = this.fileAt(from, 'rename');
    const source = this.directoryOf(from, 'rename');
    const target = this.directoryOf(to, 'rename');
    const replaced = this.lookup(to);
    const entry: Entry = { kind: 'file', inode };
    source.current.delete(basename(from));
    target.current.set(basename(to), entry);
    if (source === target) {
      source.pending.push({ label: `rename ${basename(from)}`, changes: [[basename(from), undefined], [basename(to), entry]] });
    } else {
      // Across directories each side is its own change (each directory must be fsynced).
      source.pending.push({ label: `rename out ${basename(from)}`, changes: [[basename(from), undefined]] });
      target.pending.push({ label: `rename in ${basename(to)}`, changes: [[basename(to), entry]] });
    }
    if (replaced?.kind === 'file') {
      replaced.inode.links--;
      this.disk.maybeFree(replaced.inode);
    }
  }

  async unlink(path: string): Promise<void> {
    this.enter('unlink', path);
    const inode = this.fileAt(path, 'unlink');
    const directory = this.directoryOf(path, 'unlink');
    directory.current.delete(basename(path));
    directory.pending.push({ label: `unlink ${basename(path)}`, changes: [[basename(path), undefined]] });
    inode.links--;
    this.disk.maybeFree(inode);
  }

  async chmod(path: string, mode: number): Promise<void> {
    this.enter('chmod', path, mode.toString(8));
    this.fileAt(path, 'chmod').mode = mode;
  }

  async syncDirectory(path: string): Promise<void> {
    this.enter('syncDirectory', path);
    const directory = this.disk.lookupDirectory(path);
    if (!directory) throw errnoError('ENOENT', `open ${path}`);
    if (this.options.mutation === 'directory-fsync') return;
    directory.durable = new Map(directory.current);
    directory.pending = [];
  }

  async exists(path: string): Promise<boolean> {
    this.enter('exists', path);
    return this.lookup(path) !== undefined || this.disk.lookupDirectory(path) !== undefined;
  }

  openSync(path: string): number {
    this.enter('openSync', path);
    return this.addDescriptor(this.fileAt(path, 'open'), path, false);
  }

  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    this.enter('readSync', this.pathOf(fd), `${length} at ${position}`);
    return this.readInto(fd, buffer, offset, length, position);
  }

  closeSync(fd: number): void {
    this.enter('closeSync', this.pathOf(fd));
    this.closeDescriptor(fd);
  }

  /** Counts the call, logs it, and kills or fails it when the mount's options say so. */
  private enter(operation: FaultOperation, path: string, detail = '', inode?: Inode): void {
    if (this.dead !== undefined) throw new SimulatedCrash(`${operation} ${path} after the ${this.dead}`);
    this.calls++;
    const mutating = MUTATING_OPERATIONS.has(operation);
    if (mutating) this.steps++;
    const line = `#${this.calls}${mutating ? ` step ${this.steps}` : ''} ${operation} ${this.show(path)}${detail ? ` ${detail}` : ''}`;
    if (mutating && this.options.crashAtStep !== undefined && this.steps >= this.options.crashAtStep) {
      if (this.options.log) this.log.push(`${line} [power loss]`);
      this.disk.powerLoss();
      throw new SimulatedCrash(line);
    }
    const errno = this.injectedErrno(operation, path);
    if (errno !== undefined) {
      if (this.options.log) this.log.push(`${line} [${errno}]`);
      this.disk.stats.ioErrors++;
      if (inode) this.disk.resolveAfterFailedSync(inode);
      throw errnoError(errno, `injected failure of ${line}`);
    }
    if (this.options.log) this.log.push(line);
  }

  private injectedErrno(operation: FaultOperation, path: string): FaultErrno | undefined {
    let errno: FaultErrno | undefined;
    (this.options.faults ?? []).forEach((fault, i) => {
      if (!fault.matches(operation, path)) return;
      const nth = (this.faultMatches[i] ?? 0) + 1;
      this.faultMatches[i] = nth;
      if (nth === fault.nth || (fault.persistent === true && nth > fault.nth)) errno ??= fault.errno;
    });
    return errno;
  }

  private sync(inode: Inode): void {
    inode.durable = inode.current;
    inode.pending = [];
  }

  private readInto(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const data = this.file(fd).inode.current;
    if (position >= data.length) return 0;
    return data.copy(buffer, offset, position, Math.min(data.length, position + length));
  }

  private addDescriptor(inode: Inode, path: string, writable: boolean): number {
    const fd = this.nextFd++;
    inode.openCount++;
    this.files.set(fd, { inode, path, writable });
    return fd;
  }

  private closeDescriptor(fd: number): void {
    const file = this.file(fd);
    this.files.delete(fd);
    file.inode.openCount--;
    this.disk.maybeFree(file.inode);
  }

  private file(fd: number): OpenFile {
    const file = this.files.get(fd);
    if (!file) throw errnoError('EBADF', `fd ${fd}`);
    return file;
  }

  private pathOf(fd: number): string {
    return this.files.get(fd)?.path ?? `fd ${fd}`;
  }

  private lookup(path: string): Entry | undefined {
    return this.disk.lookupDirectory(dirname(path))?.current.get(basename(path));
  }

  private fileAt(path: string, syscall: string): Inode {
    const entry = this.lookup(path);
    if (!entry) throw errnoError('ENOENT', `${syscall} ${path}`);
    if (entry.kind === 'directory') throw errnoError('EISDIR', `${syscall} ${path}`);
    return entry.inode;
  }

  private directoryOf(path: string, syscall: string): Directory {
    const directory = this.disk.lookupDirectory(dirname(path));
    if (!directory) throw errnoError('ENOENT', `${syscall} ${path}`);
    return directory;
  }

  private create(path: string, label: string): Inode {
    const directory = this.directoryOf(path, 'open');
    const inode = this.disk.newInode();
    const entry: Entry = { kind: 'file', inode };
    directory.current.set(basename(path), entry);
    directory.pending.push({ label: `${label} ${basename(path)}`, changes: [[basename(path), entry]] });
    inode.links = 1;
    return inode;
  }

  /** mkdir -p: each directory made is a pending entry of its parent until the parent is fsynced. */
  private makeDirectories(path: string): void {
    if (this.disk.lookupDirectory(path)) return;
    if (path === dirname(path)) throw errnoError('ENOENT', `mkdir ${path}`);
    this.makeDirectories(dirname(path));
    const parent = this.disk.lookupDirectory(dirname(path)) as Directory;
    const entry: Entry = { kind: 'directory' };
    parent.current.set(basename(path), entry);
    parent.pending.push({ label: `mkdir ${basename(path)}`, changes: [[basename(path), entry]] });
    this.disk.addDirectory(path);
  }

  private show(path: string): string {
    return path.startsWith(`${this.disk.root}/`) ? path.slice(this.disk.root.length + 1) : path;
  }
}
