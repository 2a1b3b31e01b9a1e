import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { alignUp, encodeJournalHeader, JOURNAL_HEADER_BYTES, journalFileName, JournalHeader, SALT_BYTES } from '../format';
import { FileSystem, writeFully, writeFullySync } from './file-system';

export type Durability = 'fsync' | 'none';
/**
 * Where a group commit's fdatasync runs. 'blocking': on the calling thread, the event loop waits
 * for the disk (no thread-pool round trips: the fastest commit on a local disk). 'thread-pool': in
 * libuv's thread pool, the event loop keeps running meanwhile (for disks whose flush takes long).
 */
export type JournalFlush = 'blocking' | 'thread-pool';

/** Bounds of the zero-filled space kept ahead of the write offset (DESIGN §3 rule 3). */
const MIN_PREALLOCATE_BYTES = 64 * 1024;
const MAX_PREALLOCATE_BYTES = 4 * 1024 * 1024;

/** The file made ready for the next journal: a .tmp, so that recovery removes one left behind. */
export const SPARE_JOURNAL_FILE = 'next.wal.tmp';
/** Zeros written per call while a spare is made. */
const SPARE_WRITE_BYTES = 1024 * 1024;

/** A zero-filled, synced file of a whole journal's size, for the next journal to take (JournalFile.create). */
export interface SpareJournal {
  path: string;
  fileBytes: number;
}

/**
 * The open segment's journal: frames are written at the end of the valid data and fdatasynced.
 * The file is kept zero-filled ahead of the write offset so that an fdatasync flushes data, not a
 * new file size; space is extended a chunk at a time with the frame that needs it.
 */
export class JournalFile {
  private constructor(
    private readonly fileSystem: FileSystem,
    readonly path: string,
    readonly fd: number,
    readonly header: JournalHeader,
    private readonly durability: Durability,
    private readonly flush: JournalFlush,
    private readonly preallocateBytes: number,
    /** Where the next frame goes. */
    public writeOffset: number,
    private allocatedBytes: number,
  ) {}

  get segmentNumber(): number {
    return this.header.segmentNumber;
  }

  /** Bytes of frames written so far. */
  get dataBytes(): number {
    return this.writeOffset - JOURNAL_HEADER_BYTES;
  }

  /**
   * Creates `journal/NNNNNNNN.wal`: header and preallocated zeros are written to a .tmp file and
   * fsynced, then it is renamed into place and the directory fsynced, so a .wal file always has a
   * whole header. With a `spare` (prepareSpare), that file is the .tmp: its zeros are on disk
   * already, and only the header is written into it.
   */
  static async create(
    fileSystem: FileSystem,
    journalDirectory: string,
    identity: Omit<JournalHeader, 'salt'>,
    durability: Durability,
    flush: JournalFlush,
    segmentSizeBytes: number,
    spare?: SpareJournal,
  ): Promise<JournalFile> {
    const header: JournalHeader = { ...identity, salt: randomBytes(SALT_BYTES) };
    const path = join(journalDirectory, journalFileName(identity.segmentNumber));
    const preallocateBytes = preallocationFor(segmentSizeBytes);
    const headerBytes = encodeJournalHeader(header);
    const initial = spare ? headerBytes : Buffer.concat([headerBytes, Buffer.alloc(preallocateBytes)]);
    const tmpPath = spare?.path ?? `${path}.tmp`;
    const tmpFd = await fileSystem.open(tmpPath, spare ? 'r+' : 'wx');
    try {
      await writeFully(fileSystem, tmpFd, initial, 0);
      if (durability === 'fsync') await fileSystem.fsync(tmpFd);
    } finally {
      await fileSystem.close(tmpFd);
    }
    await fileSystem.rename(tmpPath, path);
    if (durability === 'fsync') await fileSystem.syncDirectory(journalDirectory);
    const fd = await fileSystem.open(path, 'r+');
    return new JournalFile(fileSystem, path, fd, header, durability, flush, preallocateBytes, JOURNAL_HEADER_BYTES, spare?.fileBytes ?? initial.length);
  }

  /**
   * Makes the next journal's file ahead of time, off the commit path: zeros for a whole segment's
   * frames and a chunk over, written and synced, as `journal/next.wal.tmp`. A journal made from it
   * never writes zeros ahead of its frames; made without one, a commit every 4 MiB of frames waits
   * for 4 MiB of zeros to be written and flushed with it (a 64 MiB journal of 45 KiB frames filled
   * in 335-407 ms that way, in 187-211 ms pre-zeroed). Undefined when the file could not be made:
   * the next journal is then made the usual way.
   */
  static async prepareSpare(fileSystem: FileSystem, journalDirectory: string, segmentSizeBytes: number, durability: Durability): Promise<SpareJournal | undefined> {
    const path = join(journalDirectory, SPARE_JOURNAL_FILE);
    const chunk = preallocationFor(segmentSizeBytes);
    const fileBytes = JOURNAL_HEADER_BYTES + alignUp(segmentSizeBytes, chunk) + chunk;
    try {
      const fd = await fileSystem.open(path, 'wx');
      try {
        const zeros = Buffer.alloc(Math.min(SPARE_WRITE_BYTES, fileBytes));
        for (let at = 0; at < fileBytes; at += zeros.length) await writeFully(fileSystem, fd, zeros.subarray(0, Math.min(zeros.length, fileBytes - at)), at);
        if (durability === 'fsync') await fileSystem.fsync(fd);
      } finally {
        await fileSystem.close(fd);
      }
      return { path, fileBytes };
    } catch {
      await fileSystem.unlink(path).catch(() => undefined);
      return undefined;
    }
  }

  /** Reopens a recovered journal to append after `validEnd`. */
  static async reopen(
    fileSystem: FileSystem,
    path: string,
    header: JournalHeader,
    validEnd: number,
    durability: Durability,
    flush: JournalFlush,
    segmentSizeBytes: number,
  ): Promise<JournalFile> {
    const fd = await fileSystem.open(path, 'r+');
    const size = await fileSystem.fileSize(fd);
    return new JournalFile(fileSystem, path, fd, header, durability, flush, preallocationFor(segmentSizeBytes), validEnd, size);
  }

  /**
   * Writes one frame at the write offset and makes it durable: one write, one fdatasync. The write
   * is synchronous (a copy into the page cache: a thread-pool round trip would cost more); the
   * fdatasync runs where `flush` says.
   */
  async writeFrame(frame: Buffer): Promise<void> {
    const end = this.writeOffset + frame.length;
    let bytes = frame;
    if (end > this.allocatedBytes) {
      const allocated = alignUp(end, this.preallocateBytes) + this.preallocateBytes;
      bytes = Buffer.alloc(allocated - this.writeOffset);
      frame.copy(bytes, 0);
    }
    writeFullySync(this.fileSystem, this.fd, bytes, this.writeOffset);
    if (this.durability === 'fsync') {
      if (this.flush === 'blocking') this.fileSystem.fdatasyncSync(this.fd);
      else await this.fileSystem.fdatasync(this.fd);
    }
    this.allocatedBytes = Math.max(this.allocatedBytes, this.writeOffset + bytes.length);
    this.writeOffset = end;
  }

  close(): Promise<void> {
    return this.fileSystem.close(this.fd);
  }
}

function preallocationFor(segmentSizeBytes: number): number {
  return alignUp(Math.min(MAX_PREALLOCATE_BYTES, Math.max(MIN_PREALLOCATE_BYTES, segmentSizeBytes)), 4096);
}
