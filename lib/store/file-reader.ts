import { FileSystem, readFullyIntoSync } from '../segment';

/**
 * Synchronous positional reads for the store's readers, one cached descriptor per file. A journal
 * that is sealed is forgotten (its descriptor closed) in the same tick that its readers switch to
 * the segment, so no read ever spans the switch.
 */
export class FileReader {
  private readonly descriptors = new Map<string, number>();

  constructor(private readonly fileSystem: FileSystem) {}

  /**
   * Reads `length` bytes at `position`, fewer when the file ends first; into `scratch` when it is
   * large enough (the result is then a view of it, valid until the next read into it).
   */
  read(path: string, position: number, length: number, scratch?: Buffer): Buffer {
    const buffer = scratch && scratch.length >= length ? scratch.subarray(0, length) : Buffer.allocUnsafe(length);
    const filled = this.readInto(path, position, buffer, length);
    return filled === length ? buffer : buffer.subarray(0, filled);
  }

  /** Reads up to `length` bytes at `position` into the start of `buffer`; returns how many (fewer at the end of the file). */
  readInto(path: string, position: number, buffer: Buffer, length: number): number {
    return readFullyIntoSync(this.fileSystem, this.descriptor(path), buffer, length, position);
  }

  forget(path: string): void {
    const fd = this.descriptors.get(path);
    if (fd === undefined) return;
    this.descriptors.delete(path);
    this.fileSystem.closeSync(fd);
  }

  closeAll(): void {
    for (const path of [...this.descriptors.keys()]) this.forget(path);
  }

  private descriptor(path: string): number {
    let fd = this.descriptors.get(path);
    if (fd === undefined) {
      fd = this.fileSystem.openSync(path);
      this.descriptors.set(path, fd);
    }
    return fd;
  }
}
