import { FormatError } from '../errors/format.error';
import { alignUp, checksum, readU64, writeU64 } from './bytes';
import { COMMIT_BLOCK_HEADER_BYTES, commitBlockLengthAt, commitChecksumsHold, decodeCommitBlockHeader } from './commit-block';

/**
 * One group commit in the journal: every commit block of one write and one fdatasync. A batch is a
 * single frame so that a torn batch is a single invalid frame: a valid frame after an invalid one
 * can then only mean damage to data that was already acknowledged.
 *
 *   frameLength:   u32  // bytes of the whole frame, header and padding included; a multiple of 8
 *   checksum:      u32  // CRC-32 of bytes [0, 4) then [8, frameLength)
 *   salt:          8 bytes // the journal header's salt: a frame left by an earlier file never validates
 *   firstPosition: u64  // position of the frame's first event
 *   eventCount:    u32  // events in the frame; the frame covers [firstPosition, firstPosition + eventCount)
 *   commitCount:   u32  // commit blocks in the frame, at least 1
 *   commits:       commitCount commit blocks, back to back
 *   padding:       zero bytes up to the next multiple of 8
 */
export const FRAME_HEADER_BYTES = 4 + 4 + 8 + 8 + 4 + 4;
export const FRAME_ALIGNMENT_BYTES = 8;

export interface JournalFrame {
  frameLength: number;
  firstPosition: number;
  eventCount: number;
  /** Offsets (into the decoded buffer) and lengths of the commit blocks. */
  commits: Array<{ offset: number; length: number; eventCount: number; recordedAtMs: number }>;
}

export function encodeJournalFrame(salt: Buffer, firstPosition: number, commits: readonly Buffer[]): Buffer {
  let payloadBytes = 0;
  let eventCount = 0;
  for (const commit of commits) {
    payloadBytes += commit.length;
    eventCount += commit.readUInt32LE(8);
  }
  const frameLength = alignUp(FRAME_HEADER_BYTES + payloadBytes, FRAME_ALIGNMENT_BYTES);
  const frame = Buffer.allocUnsafe(frameLength);
  frame.writeUInt32LE(frameLength, 0);
  frame.set(salt, 8);
  writeU64(frame, 16, firstPosition);
  frame.writeUInt32LE(eventCount, 24);
  frame.writeUInt32LE(commits.length, 28);
  let cursor = FRAME_HEADER_BYTES;
  for (const commit of commits) {
    frame.set(commit, cursor);
    cursor += commit.length;
  }
  frame.fill(0, cursor);
  frame.writeUInt32LE(frameChecksum(frame, frameLength), 4);
  return frame;
}

function frameChecksum(bytes: Buffer, frameLength: number, offset = 0): number {
  return checksum(bytes, offset + 8, offset + frameLength, checksum(bytes, offset, offset + 4));
}

/**
 * Decodes the frame at `offset`. Checks length, salt, checksum and that its commit blocks fill it
 * with dense positions; it does not check that the frame follows the one before (the caller does).
 */
export function decodeJournalFrame(bytes: Buffer, offset: number, salt: Buffer): JournalFrame | FormatError {
  const fail = (at: number, reason: string) => new FormatError('journal frame', at - offset, reason);
  const available = bytes.length - offset;
  if (available < FRAME_HEADER_BYTES) return fail(offset, 'shorter than a frame header');
  const frameLength = bytes.readUInt32LE(offset);
  if (frameLength < FRAME_HEADER_BYTES + COMMIT_BLOCK_HEADER_BYTES || frameLength % FRAME_ALIGNMENT_BYTES !== 0) {
    return fail(offset, `frame length ${frameLength} out of range`);
  }
  if (frameLength > available) return fail(offset, `frame length ${frameLength} runs past the end of the file`);
  if (!bytes.subarray(offset + 8, offset + 16).equals(salt)) return fail(offset + 8, 'salt of another journal');
  if (bytes.readUInt32LE(offset + 4) !== frameChecksum(bytes, frameLength, offset)) return fail(offset + 4, 'checksum mismatch');
  const firstPosition = readU64(bytes, offset + 16);
  if (firstPosition < 0) return fail(offset + 16, 'first position above 2^53');
  const eventCount = bytes.readUInt32LE(offset + 24);
  const commitCount = bytes.readUInt32LE(offset + 28);
  const commits = decodeFrameCommits(bytes, offset, frameLength, firstPosition, commitCount);
  if (commits instanceof FormatError) return commits;
  const counted = commits.reduce((sum, commit) => sum + commit.eventCount, 0);
  if (counted !== eventCount) return fail(offset + 24, `event count ${eventCount} does not match its commits (${counted})`);
  return { frameLength, firstPosition, eventCount, commits };
}

function decodeFrameCommits(
  bytes: Buffer,
  offset: number,
  frameLength: number,
  firstPosition: number,
  commitCount: number,
): JournalFrame['commits'] | FormatError {
  const end = offset + frameLength;
  if (commitCount === 0 || commitCount * COMMIT_BLOCK_HEADER_BYTES > frameLength) {
    return new FormatError('journal frame', 28, `commit count ${commitCount} out of range`);
  }
  const commits: JournalFrame['commits'] = [];
  let cursor = offset + FRAME_HEADER_BYTES;
  // The commits' checksums in one pass; when it fails, each commit's own check names the first that does.
  const commitsEnd = endOfCommits(bytes, cursor, end, commitCount);
  const checksumsHeld = commitsEnd > cursor && commitChecksumsHold(bytes, cursor, commitsEnd);
  let nextPosition = firstPosition;
  for (let index = 0; index < commitCount; index++) {
    const header = decodeCommitBlockHeader(bytes, cursor, end, checksumsHeld);
    if (header instanceof FormatError) return new FormatError('journal frame', cursor - offset + header.offset, header.reason);
    if (header.firstPosition !== nextPosition) {
      return new FormatError('journal frame', cursor - offset + 16, 'commit positions are not dense');
    }
    commits.push({ offset: cursor, length: header.blockLength, eventCount: header.eventCount, recordedAtMs: header.recordedAtMs });
    cursor += header.blockLength;
    nextPosition += header.eventCount;
  }
  if (end - cursor >= FRAME_ALIGNMENT_BYTES) return new FormatError('journal frame', cursor - offset, 'bytes left after the last commit');
  return commits;
}

/**
 * Where `commitCount` blocks laid end to end from `start` end, by their length fields, when every
 * length is at least a header and stays within `end`; -1 otherwise. The same walk decodeFrameCommits
 * then makes, so the blocks checked together are the blocks it decodes.
 */
function endOfCommits(bytes: Buffer, start: number, end: number, commitCount: number): number {
  let cursor = start;
  for (let index = 0; index < commitCount; index++) {
    const blockLength = commitBlockLengthAt(bytes, cursor, end);
    if (blockLength < 0) return -1;
    cursor += blockLength;
  }
  return cursor;
}
