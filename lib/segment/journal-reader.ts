import { digestBytes, sha256Text } from '../chain/hash-functions';
import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import { decodeJournalHeader, EVENT_RECORD_HEADER_BYTES, JOURNAL_HEADER_BYTES, JournalHeader, forEachCommitEvent, PARENT_HASH_OFFSET, parentHashTextOf } from '../format';
import { FileSystem, readFully, readFullyIntoSync } from './file-system';
import { JournalBytes, JournalCommit, scanJournal } from './journal-scan';
import { StoreLayout } from './store-layout';

/** What must precede a journal: the chain tail it continues. */
export interface ChainTail {
  nextPosition: number;
  lastCommitHash: Buffer;
  lastRecordedAtMs: number;
}

/** Every event of a journal, in position order, column by column: what the stream table needs of it. */
export interface JournalEvents {
  streamIds: string[];
  versions: number[];
  /** File offset of each event's record. */
  recordOffsets: number[];
}

/** A journal read and checked: where its commits and events are. No bytes of it are kept. */
export interface ReadJournal {
  path: string;
  name: string;
  header: JournalHeader;
  commits: JournalCommit[];
  events: JournalEvents;
  validEnd: number;
  tornBytes: number;
  tail: ChainTail;
}

/** Bytes of the journal held in memory at once while it is read (more only for a frame that is larger). */
const READ_WINDOW_BYTES = 1024 * 1024;

/**
 * Reads and checks one journal as a continuation of `previous`: a whole header of this store and
 * segment, frames valid up to a torn tail at most, each commit's parent hash naming the one before,
 * each commit's events whole. The file is read a window at a time, never whole.
 */
export function readJournal(
  fileSystem: FileSystem,
  layout: StoreLayout,
  segmentNumber: number,
  storeId: Buffer | undefined,
  previous: ChainTail,
): Promise<ReadJournal> {
  return readCheckedJournal(fileSystem, layout, segmentNumber, storeId, previous);
}

/** readJournal, with a copy of every commit block (small journals: tools and tests). */
export async function readJournalBlocks(
  fileSystem: FileSystem,
  layout: StoreLayout,
  segmentNumber: number,
  storeId: Buffer | undefined,
  previous: ChainTail,
): Promise<ReadJournal & { blocks: Buffer[] }> {
  const blocks: Buffer[] = [];
  const journal = await readCheckedJournal(fileSystem, layout, segmentNumber, storeId, previous, (block) => blocks.push(Buffer.from(block)));
  return { ...journal, blocks };
}

async function readCheckedJournal(
  fileSystem: FileSystem,
  layout: StoreLayout,
  segmentNumber: number,
  storeId: Buffer | undefined,
  previous: ChainTail,
  onBlock?: (block: Buffer) => void,
): Promise<ReadJournal> {
  const path = layout.journalPath(segmentNumber);
  const name = StoreLayout.journalName(segmentNumber);
  const fd = await fileSystem.open(path, 'r');
  try {
    const fileBytes = await fileSystem.fileSize(fd);
    const header = decodeJournalHeader(await readFully(fileSystem, fd, Math.min(JOURNAL_HEADER_BYTES, fileBytes), 0));
    if (header instanceof FormatError) throw new CorruptionError(name, header.offset, header.reason);
    if (storeId !== undefined && !header.storeId.equals(storeId)) throw new CorruptionError(name, 8, 'journal belongs to another store');
    if (header.segmentNumber !== segmentNumber) throw new CorruptionError(name, 24, `journal header names segment ${header.segmentNumber}`);
    if (header.firstPosition !== previous.nextPosition) {
      throw new CorruptionError(name, 40, `journal starts at position ${header.firstPosition} where ${previous.nextPosition} follows`);
    }
    const links = new CommitLinks(name, previous);
    const events: JournalEvents = { streamIds: [], versions: [], recordOffsets: [] };
    // The first commit that breaks the chain or does not decode is reported only once the frames
    // are known sound: a damaged frame is the error to name, as when every check ran in turn.
    let damage: CorruptionError | undefined;
    const scan = scanJournal(new FileWindow(fileSystem, fd, fileBytes), header, (commit, block) => {
      if (damage) return;
      damage = links.add(commit, block) ?? addEvents(events, name, commit, block);
      onBlock?.(block);
    });
    if (scan.kind === 'corrupt') throw new CorruptionError(name, scan.offset, scan.reason);
    if (damage) throw damage;
    return { path, name, header, commits: scan.commits, events, validEnd: scan.validEnd, tornBytes: scan.tornBytes, tail: links.tail };
  } finally {
    await fileSystem.close(fd);
  }
}

/** Appends the commit's events to `events`; a CorruptionError when they do not fill its block exactly. */
function addEvents(events: JournalEvents, name: string, commit: JournalCommit, block: Buffer): CorruptionError | undefined {
  const header = { blockLength: commit.length, eventCount: commit.eventCount, firstPosition: commit.firstPosition, recordedAtMs: commit.recordedAtMs };
  const failed = forEachCommitEvent(block, 0, header, (bytes, record) => {
    const streamIdStart = record.offset + EVENT_RECORD_HEADER_BYTES;
    events.streamIds.push(bytes.toString('utf8', streamIdStart, streamIdStart + record.streamIdLength));
    events.versions.push(record.version);
    events.recordOffsets.push(commit.offset + record.offset);
  });
  return failed ? new CorruptionError(name, commit.offset + failed.offset, failed.reason) : undefined;
}

/**
 * Follows the chain commit by commit: each names the one before as its parent and does not go back
 * in time. The last hash is held as sha256Text's 32 latin1 characters, as the append path holds
 * it: a digest as a Buffer costs an ArrayBuffer per commit.
 */
class CommitLinks {
  private lastCommitHash: string;
  private lastRecordedAtMs: number;
  private nextPosition: number;

  constructor(
    private readonly name: string,
    previous: ChainTail,
  ) {
    this.lastCommitHash = previous.lastCommitHash.toString('latin1');
    this.lastRecordedAtMs = previous.lastRecordedAtMs;
    this.nextPosition = previous.nextPosition;
  }

  /** Takes the next commit; the CorruptionError when it does not continue the chain. */
  add(commit: JournalCommit, block: Buffer): CorruptionError | undefined {
    if (parentHashTextOf(block) !== this.lastCommitHash) {
      return new CorruptionError(this.name, commit.offset + PARENT_HASH_OFFSET, 'parent hash is not the hash of the previous commit');
    }
    if (commit.recordedAtMs < this.lastRecordedAtMs) return new CorruptionError(this.name, commit.offset + 24, 'recordedAt goes back in time');
    this.lastCommitHash = sha256Text(block);
    this.lastRecordedAtMs = commit.recordedAtMs;
    this.nextPosition = commit.firstPosition + commit.eventCount;
    return undefined;
  }

  get tail(): ChainTail {
    return { nextPosition: this.nextPosition, lastCommitHash: digestBytes(this.lastCommitHash), lastRecordedAtMs: this.lastRecordedAtMs };
  }
}

/** Checks each commit names the one before as its parent and does not go back in time; returns the new tail. */
export function checkCommitLinks(name: string, commits: readonly JournalCommit[], blocks: readonly Buffer[], previous: ChainTail): ChainTail {
  const links = new CommitLinks(name, previous);
  commits.forEach((commit, i) => {
    const broken = links.add(commit, blocks[i] as Buffer);
    if (broken) throw broken;
  });
  return links.tail;
}

/**
 * A journal file seen through one buffer that moves forward with the scan: a stretch asked for is
 * served from the buffer when it holds it, else read (synchronously: the scan is shared with
 * in-memory callers) from where it starts. The buffer grows only for a frame larger than it.
 */
class FileWindow implements JournalBytes {
  private buffer = Buffer.allocUnsafeSlow(0);
  private start = 0;
  private end = 0;

  constructor(
    private readonly fileSystem: FileSystem,
    private readonly fd: number,
    readonly fileBytes: number,
  ) {}

  read(offset: number, length: number): Buffer {
    if (offset < this.start || offset + length > this.end) this.fill(offset, length);
    return this.buffer.subarray(offset - this.start, Math.min(offset + length, this.end) - this.start);
  }

  private fill(offset: number, length: number): void {
    if (this.buffer.length < length || this.buffer.length === 0) this.buffer = Buffer.allocUnsafeSlow(Math.max(length, Math.min(READ_WINDOW_BYTES, this.fileBytes)));
    const wanted = Math.min(this.buffer.length, this.fileBytes - offset);
    this.start = offset;
    this.end = offset + readFullyIntoSync(this.fileSystem, this.fd, this.buffer, wanted, offset);
  }
}
