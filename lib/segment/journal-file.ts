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
/** Zeros written, then fdatasynced, per step of an extension made in the background. */
const EXTENSION_STEP_BYTES = 1024 * 1024;

/** A zero-filled, synced file of a whole journal's size, for the next journal to take (JournalFile.create). */
export interface SpareJournal {
  path: string;
  fileBytes: number;
}

/** How a log writes its journals: the same for each of them. */
export interface JournalSettings {
  durability: Durability;
  flush: JournalFlush;
  segmentSizeBytes: number;
  /**
   * Whether the zero space ahead of the frames is extended in the background (see extendAhead),
   * rather than by the frame that reaches its end.
   */
  extendInBackground: boolean;
}

/** An extension being made in the background; `stopping` ends it after the step in progress. */
interface Extension {
  stopping: boolean;
  done: Promise<void>;
}

/**
 * The open segment's journal: frames are written at the end of the valid data and fdatasynced.
 * The file is kept zero-filled ahead of the write offset so that an fdatasync flushes data, not a
 * new file size. The space is extended in the background while frames are written below it, or
 * else a chunk at a time with the frame that needs it.
 */
export class JournalFile {
  private extension: Extension | undefined;
  /** The extension's own descriptor: a writeback error is then reported to the frames' fdatasync too. */
  private extensionFd: number | undefined;
  /** Cleared when an extension fails: the frames then extend the space themselves, and meet the error. */
  private extendsInBackground: boolean;

  private constructor(
    private readonly fileSystem: FileSystem,
    readonly path: string,
    readonly fd: number,
    readonly header: JournalHeader,
    private readonly settings: JournalSettings,
    /** Where the next frame goes. */
    public writeOffset: number,
    /** The file's size: zeros (or frames) up to here, with the size on disk once an fdatasync returned. */
    private allocatedBytes: number,
  ) {
    this.extendsInBackground = settings.extendInBackground;
  }

  get segmentNumber(): number {
    return this.header.segmentNumber;
  }

  /** Bytes of frames written so far. */
  get dataBytes(): number {
    return this.writeOffset - JOURNAL_HEADER_BYTES;
  }

  private get preallocateBytes(): number {
    return preallocationFor(this.settings.segmentSizeBytes);
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
    settings: JournalSettings,
    spare?: SpareJournal,
  ): Promise<JournalFile> {
    const header: JournalHeader = { ...identity, salt: randomBytes(SALT_BYTES) };
    const path = join(journalDirectory, journalFileName(identity.segmentNumber));
    const headerBytes = encodeJournalHeader(header);
    const initial = spare ? headerBytes : Buffer.concat([headerBytes, Buffer.alloc(preallocationFor(settings.segmentSizeBytes))]);
    const tmpPath = spare?.path ?? `${path}.tmp`;
    const tmpFd = await fileSystem.open(tmpPath, spare ? 'r+' : 'wx');
    try {
      await writeFully(fileSystem, tmpFd, initial, 0);
      if (settings.durability === 'fsync') await fileSystem.fsync(tmpFd);
    } finally {
      await fileSystem.close(tmpFd);
    }
    await fileSystem.rename(tmpPath, path);
    if (settings.durability === 'fsync') await fileSystem.syncDirectory(journalDirectory);
    const fd = await fileSystem.open(path, 'r+');
    return new JournalFile(fileSystem, path, fd, header, settings, JOURNAL_HEADER_BYTES, spare?.fileBytes ?? initial.length);
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
    const fileBytes = fullJournalBytes(segmentSizeBytes);
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
  static async reopen(fileSystem: FileSystem, path: string, header: JournalHeader, validEnd: number, settings: JournalSettings): Promise<JournalFile> {
    const fd = await fileSystem.open(path, 'r+');
    const size = await fileSystem.fileSize(fd);
    return new JournalFile(fileSystem, path, fd, header, settings, validEnd, size);
  }

  /**
   * Writes one frame at the write offset and makes it durable: one write, one fdatasync. The write
   * is synchronous (a copy into the page cache: a thread-pool round trip would cost more); the
   * fdatasync runs where `flush` says. A frame that would pass the zero space first stops an
   * extension in progress, so that no zeros of it can land on the frame, and then carries zeros up
   * to `alignUp(end, P) + P` itself.
   */
  async writeFrame(frame: Buffer): Promise<void> {
    const end = this.writeOffset + frame.length;
    if (end > this.allocatedBytes) await this.stopExtension();
    let bytes = frame;
    if (end > this.allocatedBytes) {
      const allocated = alignUp(end, this.preallocateBytes) + this.preallocateBytes;
      bytes = Buffer.alloc(allocated - this.writeOffset);
      frame.copy(bytes, 0);
    }
    writeFullySync(this.fileSystem, this.fd, bytes, this.writeOffset);
    if (this.settings.durability === 'fsync') {
      if (this.settings.flush === 'blocking') this.fileSystem.fdatasyncSync(this.fd);
      else await this.fileSystem.fdatasync(this.fd);
    }
    this.allocatedBytes = Math.max(this.allocatedBytes, this.writeOffset + bytes.length);
    this.writeOffset = end;
    this.extendAhead();
  }

  async close(): Promise<void> {
    await this.stopExtension();
    if (this.extensionFd !== undefined) await this.fileSystem.close(this.extensionFd).catch(() => undefined);
    this.extensionFd = undefined;
    await this.fileSystem.close(this.fd);
  }

  /**
   * Once less than P of zeros is left ahead of the frames, starts making P more in the background,
   * up to a spare's size: EXTENSION_STEP_BYTES of zeros written through a descriptor of its own,
   * then fdatasynced, a step at a time. Frames go only below the end of the last synced step, so
   * their fdatasyncs overwrite allocated bytes and no commit waits for the zeros to be written.
   */
  private extendAhead(): void {
    if (!this.extendsInBackground || this.extension) return;
    const target = Math.min(this.allocatedBytes + this.preallocateBytes, fullJournalBytes(this.settings.segmentSizeBytes));
    if (this.allocatedBytes - this.writeOffset >= this.preallocateBytes || target <= this.allocatedBytes) return;
    const extension: Extension = { stopping: false, done: Promise.resolve() };
    extension.done = this.extendTo(target, extension)
      .catch(() => {
        this.extendsInBackground = false;
      })
      .finally(() => {
        if (this.extension === extension) this.extension = undefined;
      });
    this.extension = extension;
  }

  private async extendTo(target: number, extension: Extension): Promise<void> {
    this.extensionFd ??= await this.fileSystem.open(this.path, 'r+');
    const zeros = Buffer.alloc(Math.min(EXTENSION_STEP_BYTES, target - this.allocatedBytes));
    while (!extension.stopping && this.allocatedBytes < target) {
      const from = this.allocatedBytes;
      const step = zeros.subarray(0, Math.min(zeros.length, target - from));
      await writeFully(this.fileSystem, this.extensionFd, step, from);
      if (this.settings.durability === 'fsync') await this.fileSystem.fdatasync(this.extensionFd);
      this.allocatedBytes = from + step.length;
    }
  }

  /** Ends an extension after the step in progress; resolves once nothing more of it will be written. */
  private async stopExtension(): Promise<void> {
    const extension = this.extension;
    if (!extension) return;
    extension.stopping = true;
    await extension.done;
  }
}

/** A journal's whole size when made ahead: header, a segment's frames rounded up to P, and P over. */
function fullJournalBytes(segmentSizeBytes: number): number {
  const chunk = preallocationFor(segmentSizeBytes);
  return JOURNAL_HEADER_BYTES + alignUp(segmentSizeBytes, chunk) + chunk;
}

function preallocationFor(segmentSizeBytes: number): number {
  return alignUp(Math.min(MAX_PREALLOCATE_BYTES, Math.max(MIN_PREALLOCATE_BYTES, segmentSizeBytes)), 4096);
}
