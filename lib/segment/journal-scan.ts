import { FormatError } from '../errors/format.error';
import {
  COMMIT_BLOCK_HEADER_BYTES,
  decodeJournalFrame,
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
 * Reads the frames of a journal (DESIGN §3 rule 6). Valid frames continue each other's positions.
 * At the first frame that does not validate, the rest of the file is searched for any frame that
 * does: if one is found, acknowledged data was damaged (corruption: refuse, truncate nothing);
 * if none is, what follows is a torn tail or preallocated zeros. Pure: no I/O.
 */
export function scanJournal(bytes: Buffer, header: JournalHeader): JournalScan {
  const commits: JournalCommit[] = [];
  let offset = JOURNAL_HEADER_BYTES;
  let nextPosition = header.firstPosition;
  while (offset + FRAME_HEADER_BYTES <= bytes.length) {
    const frame = decodeJournalFrame(bytes, offset, header.salt);
    if (frame instanceof FormatError) break;
    if (frame.firstPosition !== nextPosition) {
      return { kind: 'corrupt', offset, reason: `frame starts at position ${frame.firstPosition} where ${nextPosition} follows` };
    }
    for (const commit of frame.commits) {
      commits.push({ offset: commit.offset, length: commit.length, firstPosition: nextPosition, eventCount: commit.eventCount, recordedAtMs: commit.recordedAtMs });
      nextPosition += commit.eventCount;
    }
    offset += frame.frameLength;
  }
  if (isZero(bytes, offset, bytes.length)) return { kind: 'ok', commits, validEnd: offset, tornBytes: 0, nextPosition };
  const invalid = decodeJournalFrame(bytes, offset, header.salt);
  const later = findValidFrameAfter(bytes, offset, header.salt);
  if (later >= 0) {
    const why = invalid instanceof FormatError ? invalid.reason : 'unreadable frame';
    return { kind: 'corrupt', offset, reason: `invalid frame (${why}) followed by a valid frame at offset ${later}` };
  }
  return { kind: 'ok', commits, validEnd: offset, tornBytes: bytes.length - offset, nextPosition };
}

/** Offset of the first frame after `invalidOffset` that validates, or -1. The salt is the sync marker. */
function findValidFrameAfter(bytes: Buffer, invalidOffset: number, salt: Buffer): number {
  const minimumFrame = FRAME_HEADER_BYTES + COMMIT_BLOCK_HEADER_BYTES;
  for (let at = bytes.indexOf(salt, invalidOffset + 9); at >= 0; at = bytes.indexOf(salt, at + 1)) {
    const frameStart = at - 8;
    if (frameStart % FRAME_ALIGNMENT_BYTES !== 0 || bytes.length - frameStart < minimumFrame) continue;
    if (!(decodeJournalFrame(bytes, frameStart, salt) instanceof FormatError)) return frameStart;
  }
  return -1;
}
