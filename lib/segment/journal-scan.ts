import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import {
  COMMIT_BLOCK_HEADER_BYTES,
  decodeJournalFrame,
  decodeJournalHeader,
  FRAME_ALIGNMENT_BYTES,
  FRAME_HEADER_BYTES,
  isZero,
  JOURNAL_HEADER_BYTES,
  JournalHeader,
} from '../format';

/** A commit block found in a journal: where it is and what it covers. */
export interface JournalCommit {
  /** File offset of the commit block. */
  offset: number;
  length: number;
  firstPosition: number;
  eventCount: number;
  recordedAtMs: number;
}

export type JournalScan =
  | {
      kind: 'ok';
      commits: JournalCommit[];
      /** File offset just past the last valid frame: where the next frame goes. */
      validEnd: number;
      /** Bytes after validEnd that are not zero: a torn tail (an unacknowledged write) to remove. */
      tornBytes: number;
      nextPosition: number;
    }
  | { kind: 'corrupt'; offset: number; reason: string };

/**
 * The bytes of a journal file, asked for a stretch at a time: the whole file in memory
 * (`journalBytesInMemory`), or a window that reads the file as the scan moves (journal-reader).
 */
export interface JournalBytes {
  /** Size of the file. */
  readonly fileBytes: number;
  /**
   * File bytes [offset, offset + length), length ≤ fileBytes - offset (fewer only if the file
   * shrank meanwhile). The view is valid until the next call.
   */
  read(offset: number, length: number): Buffer;
}

/** Called with each commit of a valid frame, in log order, and its block: a view valid during the call only. */
export type JournalCommitVisitor = (commit: JournalCommit, block: Buffer) => void;

/** Bytes the zero check and the search for a later frame look at per read. */
const SEARCH_STRETCH_BYTES = 1024 * 1024;

export function journalBytesInMemory(bytes: Buffer): JournalBytes {
  return { fileBytes: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/**
 * Reads the frames of a journal (DESIGN §3 rule 6). Valid frames continue each other's positions.
 * At the first frame that does not validate, the rest of the file is searched for any frame that
 * does: if one is found, acknowledged data was damaged (corruption: refuse, truncate nothing);
 * if none is, what follows is a torn tail or preallocated zeros. Pure: no I/O but through `bytes`,
 * which it reads one frame at a time, so a file need not be in memory whole.
 */
export function scanJournal(bytes: Buffer | JournalBytes, header: JournalHeader, visit?: JournalCommitVisitor): JournalScan {
  const source = Buffer.isBuffer(bytes) ? journalBytesInMemory(bytes) : bytes;
  const commits: JournalCommit[] = [];
  let offset = JOURNAL_HEADER_BYTES;
  let nextPosition = header.firstPosition;
  while (offset + FRAME_HEADER_BYTES <= source.fileBytes) {
    const frameBytes = frameBytesAt(source, offset);
    const frame = decodeJournalFrame(frameBytes, 0, header.salt);
    if (frame instanceof FormatError) break;
    if (frame.firstPosition !== nextPosition) {
      return { kind: 'corrupt', offset, reason: `frame starts at position ${frame.firstPosition} where ${nextPosition} follows` };
    }
    for (const { offset: blockStart, length, eventCount, recordedAtMs } of frame.commits) {
      const commit: JournalCommit = { offset: offset + blockStart, length, firstPosition: nextPosition, eventCount, recordedAtMs };
      commits.push(commit);
      visit?.(commit, frameBytes.subarray(blockStart, blockStart + length));
      nextPosition += eventCount;
    }
    offset += frame.frameLength;
  }
  if (isZeroFrom(source, offset)) return { kind: 'ok', commits, validEnd: offset, tornBytes: 0, nextPosition };
  const invalid = decodeJournalFrame(frameBytesAt(source, offset), 0, header.salt);
  const later = findValidFrameAfter(source, offset, header.salt);
  if (later >= 0) {
    const why = invalid instanceof FormatError ? invalid.reason : 'unreadable frame';
    return { kind: 'corrupt', offset, reason: `invalid frame (${why}) followed by a valid frame at offset ${later}` };
  }
  return { kind: 'ok', commits, validEnd: offset, tornBytes: source.fileBytes - offset, nextPosition };
}

/**
 * The bytes of the frame at `offset`: as many as its length field claims when the file holds them,
 * else its header only (a length past the end of the file is the reason it fails). decodeJournalFrame
 * gives the same verdict, for the same reason, on them as on the whole file.
 */
function frameBytesAt(source: JournalBytes, offset: number): Buffer {
  const remaining = source.fileBytes - offset;
  const head = source.read(offset, Math.min(FRAME_HEADER_BYTES, remaining));
  if (head.length < FRAME_HEADER_BYTES) return head;
  const frameLength = head.readUInt32LE(0);
  return frameLength <= FRAME_HEADER_BYTES || frameLength > remaining ? head : source.read(offset, frameLength);
}

function isZeroFrom(source: JournalBytes, offset: number): boolean {
  for (let at = offset; at < source.fileBytes; at += SEARCH_STRETCH_BYTES) {
    const stretch = source.read(at, Math.min(SEARCH_STRETCH_BYTES, source.fileBytes - at));
    if (!isZero(stretch, 0, stretch.length)) return false;
  }
  return true;
}

/**
 * Offset of the first frame after `invalidOffset` that validates, or -1. The salt is the sync
 * marker: a frame starts at a multiple of 8 and its salt 8 bytes later, so a stretch that starts at
 * a multiple of 8 and holds a multiple of 8 bytes never splits the salt of a frame.
 */
function findValidFrameAfter(source: JournalBytes, invalidOffset: number, salt: Buffer): number {
  const minimumFrame = FRAME_HEADER_BYTES + COMMIT_BLOCK_HEADER_BYTES;
  for (let start = invalidOffset + 2 * FRAME_ALIGNMENT_BYTES; start < source.fileBytes; start += SEARCH_STRETCH_BYTES) {
    const length = Math.min(SEARCH_STRETCH_BYTES, source.fileBytes - start);
    // The stretch is read again after each candidate: decoding a candidate may move the window.
    for (let at = source.read(start, length).indexOf(salt); at >= 0; at = source.read(start, length).indexOf(salt, at + 1)) {
      const frameStart = start + at - 8;
      if (frameStart % FRAME_ALIGNMENT_BYTES !== 0 || source.fileBytes - frameStart < minimumFrame) continue;
      if (!(decodeJournalFrame(frameBytesAt(source, frameStart), 0, salt) instanceof FormatError)) return frameStart;
    }
  }
  return -1;
}

/**
 * The commits of a full journal about to be sealed, read back from its bytes (`name` for errors):
 * its header, every frame valid, starting at `firstPosition`, at least one commit. Pure, so that it
 * runs on the sealing thread as well as on the event loop.
 */
export function commitsToSeal(journal: Buffer, name: string, firstPosition: number): JournalCommit[] | CorruptionError {
  const header = decodeJournalHeader(journal);
  if (header instanceof FormatError) return new CorruptionError(name, header.offset, header.reason);
  const scan = scanJournal(journal, header);
  if (scan.kind === 'corrupt') return new CorruptionError(name, scan.offset, scan.reason);
  if (header.firstPosition !== firstPosition || scan.commits.length === 0) return new CorruptionError(name, 0, 'journal changed under the writer');
  return scan.commits;
}
