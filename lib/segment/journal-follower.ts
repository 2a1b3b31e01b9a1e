import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import { decodeJournalFrame, decodeJournalHeader, FRAME_HEADER_BYTES, JOURNAL_HEADER_BYTES, JournalHeader } from '../format';
import { FileSystem, readFully } from './file-system';
import { ChainTail, checkCommitLinks } from './journal-reader';
import { JournalCommit } from './journal-scan';
import { StoreLayout } from './store-layout';

/** How far a read-only follower has read a journal that another process writes. */
export interface FollowedJournal {
  segmentNumber: number;
  path: string;
  header: JournalHeader;
  /** File offset just past the last whole frame read: where the next frame will be. */
  validEnd: number;
}

export interface NewFrames {
  commits: Array<JournalCommit & { block: Buffer }>;
  validEnd: number;
  tail: ChainTail;
}

/**
 * Opens a journal to follow from its first frame, checking its header continues `tail` (as
 * readJournal does). Undefined when the file is gone: sealed and retired since it was listed.
 */
export async function openFollowedJournal(
  fileSystem: FileSystem,
  layout: StoreLayout,
  segmentNumber: number,
  storeId: Buffer,
  tail: ChainTail,
): Promise<FollowedJournal | undefined> {
  const path = layout.journalPath(segmentNumber);
  const name = StoreLayout.journalName(segmentNumber);
  const bytes = await readIfPresent(fileSystem, path, JOURNAL_HEADER_BYTES, 0);
  if (bytes === undefined) return undefined;
  const header = decodeJournalHeader(bytes);
  if (header instanceof FormatError) throw new CorruptionError(name, header.offset, header.reason);
  if (!header.storeId.equals(storeId)) throw new CorruptionError(name, 8, 'journal belongs to another store');
  if (header.segmentNumber !== segmentNumber) throw new CorruptionError(name, 24, `journal header names segment ${header.segmentNumber}`);
  if (header.firstPosition !== tail.nextPosition) {
    throw new CorruptionError(name, 40, `journal starts at position ${header.firstPosition} where ${tail.nextPosition} follows`);
  }
  return { segmentNumber, path, header, validEnd: JOURNAL_HEADER_BYTES };
}

/**
 * The frames the writer added to a journal since `journal.validEnd`, checked to continue `tail`.
 * The writer writes one whole frame at a time, each after the one before is on disk; so the first
 * frame that does not decode is the one being written (or preallocated zeros): reading stops there
 * and the next call tries again. Damage is verifyStore's to find. Undefined when the file is gone.
 */
export async function readNewFrames(fileSystem: FileSystem, journal: FollowedJournal, tail: ChainTail): Promise<NewFrames | undefined> {
  let fd: number;
  try {
    fd = await fileSystem.open(journal.path, 'r');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    const size = await fileSystem.fileSize(fd);
    const commits: NewFrames['commits'] = [];
    let offset = journal.validEnd;
    let nextPosition = tail.nextPosition;
    while (offset + FRAME_HEADER_BYTES <= size) {
      const frameLength = (await readFully(fileSystem, fd, 4, offset)).readUInt32LE(0);
      if (frameLength < FRAME_HEADER_BYTES || frameLength > size - offset) break;
      const bytes = await readFully(fileSystem, fd, frameLength, offset);
      const frame = decodeJournalFrame(bytes, 0, journal.header.salt);
      if (frame instanceof FormatError) break;
      if (frame.firstPosition !== nextPosition) {
        throw new CorruptionError(StoreLayout.journalName(journal.segmentNumber), offset, `frame starts at position ${frame.firstPosition} where ${nextPosition} follows`);
      }
      for (const commit of frame.commits) {
        const block = bytes.subarray(commit.offset, commit.offset + commit.length);
        commits.push({ offset: offset + commit.offset, length: commit.length, firstPosition: nextPosition, eventCount: commit.eventCount, recordedAtMs: commit.recordedAtMs, block });
        nextPosition += commit.eventCount;
      }
      offset += frame.frameLength;
    }
    const name = StoreLayout.journalName(journal.segmentNumber);
    const linked = checkCommitLinks(name, commits, commits.map((commit) => commit.block), tail);
    return { commits, validEnd: offset, tail: linked };
  } finally {
    await fileSystem.close(fd);
  }
}

async function readIfPresent(fileSystem: FileSystem, path: string, length: number, position: number): Promise<Buffer | undefined> {
  let fd: number;
  try {
    fd = await fileSystem.open(path, 'r');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    return await readFully(fileSystem, fd, length, position);
  } finally {
    await fileSystem.close(fd);
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
