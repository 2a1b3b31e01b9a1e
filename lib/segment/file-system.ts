import * as fs from 'node:fs';
import { promisify } from 'node:util';

/**
 * Every file-system call the engine makes goes through this interface, so that tests can crash the
 * engine at any step and inject failed fsyncs, short writes and ENOSPC. Paths are absolute.
 */
export interface FileSystem {
  /** 'r': read; 'r+': read and write an existing file; 'wx': create a new file, failing if it exists. */
  open(path: string, flags: 'r' | 'r+' | 'wx'): Promise<number>;
  close(fd: number): Promise<void>;
  /** Reads up to `length` bytes at `position`; returns how many were read (0 at end of file). */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes at `position`; may write fewer bytes than asked (a short write): see writeFully. */
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  fsync(fd: number): Promise<void>;
  fdatasync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  fileSize(fd: number): Promise<number>;
  /** Size in bytes of the file at `path`. */
  sizeOf(path: string): Promise<number>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: Buffer | string, flags: 'w' | 'wx'): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  /** Hard link: fails with EEXIST rather than replace `to`. */
  link(from: string, to: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  /** fsync of a directory, so that names created, renamed or removed in it are durable. */
  syncDirectory(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /**
   * Synchronous reads serve the store's readers: on page-cached data a read is a memory copy, and
   * an async round trip through the thread pool would cost more than the copy.
   */
  openSync(path: string): number;
  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  closeSync(fd: number): void;
  /**
   * Synchronous write and fdatasync serve the journal's group commit: a thread-pool round trip
   * costs more than the write itself (a copy into the page cache), and with `journalFlush:
   * 'blocking'` more than the fdatasync. `writeSync` may write fewer bytes than asked, as `write`.
   */
  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  fdatasyncSync(fd: number): void;
}

const openAsync = promisify(fs.open);
const closeAsync = promisify(fs.close);
const readAsync = promisify(fs.read);
const writeAsync = promisify(fs.write);
const fsyncAsync = promisify(fs.fsync);
const fdatasyncAsync = promisify(fs.fdatasync);
const ftruncateAsync = promisify(fs.ftruncate);
const fstatAsync = promisify(fs.fstat);

/** The real file system, through node:fs (callback API: less overhead per call than fs.promises). */
export class NodeFileSystem implements FileSystem {
  open(path: string, flags: 'r' | 'r+' | 'wx'): Promise<number> {
    return openAsync(path, flags, 0o644);
  }
  close(fd: number): Promise<void> {
    return closeAsync(fd);
  }
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return readAsync(fd, buffer, offset, length, position).then((result) => result.bytesRead);
  }
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return writeAsync(fd, buffer, offset, length, position).then((result) => result.bytesWritten);
  }
  fsync(fd: number): Promise<void> {
    return fsyncAsync(fd);
  }
  fdatasync(fd: number): Promise<void> {
    return fdatasyncAsync(fd);
  }
  ftruncate(fd: number, length: number): Promise<void> {
    return ftruncateAsync(fd, length);
  }
  fileSize(fd: number): Promise<number> {
    return fstatAsync(fd).then((stats) => stats.size);
  }
  sizeOf(path: string): Promise<number> {
    return fs.promises.stat(path).then((stats) => stats.size);
  }
  readFile(path: string): Promise<Buffer> {
    return fs.promises.readFile(path);
  }
  writeFile(path: string, data: Buffer | string, flags: 'w' | 'wx'): Promise<void> {
    return fs.promises.writeFile(path, data, { flag: flags });
  }
  readdir(path: string): Promise<string[]> {
    return fs.promises.readdir(path);
  }
  mkdir(path: string): Promise<void> {
    return fs.promises.mkdir(path, { recursive: true }).then(() => undefined);
  }
  link(from: string, to: string): Promise<void> {
    return fs.promises.link(from, to);
  }
  rename(from: string, to: string): Promise<void> {
    return fs.promises.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return fs.promises.unlink(path);
  }
  chmod(path: string, mode: number): Promise<void> {
    return fs.promises.chmod(path, mode);
  }
  async syncDirectory(path: string): Promise<void> {
    const fd = await openAsync(path, 'r');
    try {
      await fsyncAsync(fd);
    } finally {
      await closeAsync(fd);
    }
  }
  exists(path: string): Promise<boolean> {
    return fs.promises.access(path).then(
      () => true,
      () => false,
    );
  }
  openSync(path: string): number {
    return fs.openSync(path, 'r');
  }
  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    return fs.readSync(fd, buffer, offset, length, position);
  }
  closeSync(fd: number): void {
    fs.closeSync(fd);
  }
  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    return fs.writeSync(fd, buffer, offset, length, position);
  }
  fdatasyncSync(fd: number): void {
    fs.fdatasyncSync(fd);
  }
}

/** Writes all of `buffer` at `position`, looping over short writes; a write of 0 bytes is an error. */
export async function writeFully(fileSystem: FileSystem, fd: number, buffer: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const count = await fileSystem.write(fd, buffer, written, buffer.length - written, position + written);
    if (count <= 0) throw noProgress(position + written);
    written += count;
  }
}

/** writeFully through the synchronous call. */
export function writeFullySync(fileSystem: FileSystem, fd: number, buffer: Buffer, position: number): void {
  let written = 0;
  while (written < buffer.length) {
    const count = fileSystem.writeSync(fd, buffer, written, buffer.length - written, position + written);
    if (count <= 0) throw noProgress(position + written);
    written += count;
  }
}

function noProgress(offset: number): Error {
  return Object.assign(new Error(`write made no progress at offset ${offset}`), { code: 'EIO' });
}

/** Reads exactly `length` bytes at `position`, or fewer when the file ends first. */
export async function readFully(fileSystem: FileSystem, fd: number, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  const filled = await readFullyInto(fileSystem, fd, buffer, length, position);
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** Reads `length` bytes at `position` into the start of `buffer`, looping over short reads; returns how many (fewer only where the file ends). */
export async function readFullyInto(fileSystem: FileSystem, fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const count = await fileSystem.read(fd, buffer, filled, length - filled, position + filled);
    if (count === 0) break;
    filled += count;
  }
  return filled;
}

/** readFullyInto through the synchronous call. */
export function readFullyIntoSync(fileSystem: FileSystem, fd: number, buffer: Buffer, length: number, position: number): number {
  let filled = 0;
  while (filled < length) {
    const count = fileSystem.readSync(fd, buffer, filled, length - filled, position + filled);
    if (count === 0) break;
    filled += count;
  }
  return filled;
}
