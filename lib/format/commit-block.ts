import { FormatError } from '../errors/format.error';
import { checksum, u32At, u64At, writeU64 } from './bytes';
import { combineChecksums, continueChecksum } from './checksum-combine';
import { EventRecord, eventRecordFromLayout, eventRecordLength, EventRecordLayout, EventRecordParts, readEventRecordLayout, scratchEventRecordLayout, writeEventRecordAt } from './event-record';

/**
 * One atomic append: the unit that the journal makes durable and a sealed segment keeps verbatim.
 *
 *   blockLength:   u32  // bytes of the whole block, header included
 *   checksum:      u32  // CRC-32 of bytes [8, blockLength)
 *   eventCount:    u32  // events in the block, at least 1
 *   reserved:      u32  // zero
 *   firstPosition: u64  // position of the first event; the others follow densely
 *   recordedAt:    u64  // milliseconds since the Unix epoch, the same for every event of the commit
 *   parentHash:    32 bytes // SHA-256 of the previous commit block (the genesis hash for the first):
 *                           // the hash-chain back-pointer that makes every commit name its history
 *   events:        eventCount event records
 */
export const COMMIT_BLOCK_HEADER_BYTES = 4 + 4 + 4 + 4 + 8 + 8 + 32;
export const PARENT_HASH_BYTES = 32;
/** Where the parent hash starts in a block. */
export const PARENT_HASH_OFFSET = 32;

/** A decoded commit header. Its parent hash is read with parentHashOf, by the few that need it: a view per commit is garbage for a replay. */
export interface CommitBlockHeader {
  blockLength: number;
  eventCount: number;
  firstPosition: number;
  recordedAtMs: number;
}

/** The parent hash of the block at `offset` (a view of its bytes). */
export function parentHashOf(bytes: Buffer, offset = 0): Buffer {
  return bytes.subarray(offset + PARENT_HASH_OFFSET, offset + PARENT_HASH_OFFSET + PARENT_HASH_BYTES);
}

/** The parent hash of the block at `offset` as 32 latin1 characters, one per byte (sha256Text's form). */
export function parentHashTextOf(bytes: Buffer, offset = 0): string {
  return bytes.toString('latin1', offset + PARENT_HASH_OFFSET, offset + PARENT_HASH_OFFSET + PARENT_HASH_BYTES);
}

export interface EncodeCommitInput {
  firstPosition: number;
  recordedAtMs: number;
  /** The previous block's SHA-256: its bytes, or as latin1 text (one character per byte). */
  parentHash: Uint8Array | string;
  events: ReadonlyArray<Omit<EventRecordParts, 'position' | 'recordedAtMs'>>;
}

export function encodeCommitBlock(input: EncodeCommitInput): Buffer {
  let blockLength = COMMIT_BLOCK_HEADER_BYTES;
  for (const event of input.events) blockLength += eventRecordLength(event);
  const block = Buffer.allocUnsafe(blockLength);
  block.writeUInt32LE(blockLength, 0);
  block.writeUInt32LE(input.events.length, 8);
  block.writeUInt32LE(0, 12);
  writeU64(block, 16, input.firstPosition);
  writeU64(block, 24, input.recordedAtMs);
  const parent = input.parentHash;
  if (parent.length !== PARENT_HASH_BYTES) throw new RangeError(`a parent hash is ${PARENT_HASH_BYTES} bytes, not ${parent.length}`);
  if (typeof parent === 'string') block.write(parent, PARENT_HASH_OFFSET, PARENT_HASH_BYTES, 'latin1');
  else block.set(parent, PARENT_HASH_OFFSET);
  let cursor = COMMIT_BLOCK_HEADER_BYTES;
  for (let i = 0; i < input.events.length; i++) {
    cursor = writeEventRecordAt(block, cursor, input.events[i] as EncodeCommitInput['events'][number], input.firstPosition + i, input.recordedAtMs);
  }
  block.writeUInt32LE(checksum(block, 8, blockLength), 4);
  return block;
}

/**
 * Decodes and checks the header of the block at `offset` (its checksum included), not its events.
 * Runs once per commit of a replay: fields are read byte by byte, once the bytes are known to be there.
 * `checksumChecked`: the caller has checked this block's checksum already (commitChecksumsHold).
 */
export function decodeCommitBlockHeader(bytes: Buffer, offset: number, end: number, checksumChecked = false): CommitBlockHeader | FormatError {
  const available = Math.min(end, bytes.length) - offset;
  if (available < COMMIT_BLOCK_HEADER_BYTES) return commitBlockError(0, 'shorter than a commit header');
  const blockLength = u32At(bytes, offset);
  if (blockLength < COMMIT_BLOCK_HEADER_BYTES || blockLength > available) {
    return commitBlockError(0, `block length ${blockLength} out of range`);
  }
  if (!checksumChecked && u32At(bytes, offset + 4) !== checksum(bytes, offset + 8, offset + blockLength)) {
    return commitBlockError(4, 'checksum mismatch');
  }
  const eventCount = u32At(bytes, offset + 8);
  const firstPosition = u64At(bytes, offset + 16);
  const recordedAtMs = u64At(bytes, offset + 24);
  if (eventCount === 0) return commitBlockError(8, 'a commit holds no event');
  if (firstPosition < 0 || recordedAtMs < 0) return commitBlockError(16, 'a u64 field is above 2^53');
  return { blockLength, eventCount, firstPosition, recordedAtMs };
}

/**
 * True when blocks laid end to end fill `bytes[start, end)` exactly and every one of them holds its
 * checksum. One crc32 pass over the span (from the first block's byte 8), compared with the blocks'
 * own checksums folded together (combineChecksums, with the 8 bytes between covered stretches run
 * through in JS): a replay's run of adjacent commits, or a journal frame's commits, is checked with
 * one call into zlib instead of one per commit. A damaged block makes the fold differ, however many
 * blocks are intact. False says only that some block fails or the blocks do not tile the span:
 * decodeCommitBlockHeader names which.
 */
export function commitChecksumsHold(bytes: Buffer, start: number, end: number): boolean {
  if (start >= end || end > bytes.length) return false;
  let folded = 0;
  for (let cursor = start; cursor < end; ) {
    const blockLength = commitBlockLengthAt(bytes, cursor, end);
    if (blockLength < 0) return false;
    const stored = u32At(bytes, cursor + 4);
    folded = cursor === start ? stored : combineChecksums(continueChecksum(folded, bytes, cursor, cursor + 8), stored, blockLength - 8);
    cursor += blockLength;
  }
  return checksum(bytes, start + 8, end) === folded;
}

/**
 * The length field of the block at `offset` when it is at least a header and the block fits before
 * `end` (≤ bytes.length); -1 otherwise. The walks that step from block to block by their lengths
 * (commitChecksumsHold, a frame's commits) use it; decodeCommitBlockHeader checks the same and
 * names which part fails.
 */
export function commitBlockLengthAt(bytes: Buffer, offset: number, end: number): number {
  if (end - offset < COMMIT_BLOCK_HEADER_BYTES) return -1;
  const blockLength = u32At(bytes, offset);
  return blockLength < COMMIT_BLOCK_HEADER_BYTES || blockLength > end - offset ? -1 : blockLength;
}

/** `at` is relative to the block's start. A function, not a closure per call: decoders run per commit. */
function commitBlockError(at: number, reason: string): FormatError {
  return new FormatError('commit block', at, reason);
}

/** Decodes the block's events and checks they fill it exactly, with dense positions and its recordedAt. */
export function decodeCommitEvents(bytes: Buffer, offset: number, header: CommitBlockHeader): EventRecord[] | FormatError {
  return mapCommitEvents(bytes, offset, header, eventRecordFromLayout);
}

/** The layout mapCommitEvents hands to `build`, filled again for every event (a replay reads millions). */
const buildLayout = scratchEventRecordLayout();

/**
 * Checks the block's events as decodeCommitEvents does and gives each one's layout to `build`:
 * readers that want another shape than EventRecord make it straight from the bytes. The layout is
 * filled again for the next event: `build` reads it and must not keep it.
 */
export function mapCommitEvents<T>(
  bytes: Buffer,
  offset: number,
  header: CommitBlockHeader,
  build: (bytes: Buffer, layout: EventRecordLayout) => T,
): T[] | FormatError {
  const events: T[] = [];
  const failed = forEachCommitEvent(bytes, offset, header, (buffer, layout) => {
    events.push(build(buffer, layout));
  });
  return failed ?? events;
}

/**
 * mapCommitEvents without the array: `visit` sees each event's layout in order, and the block is
 * checked as it goes (a visit may already have run when a later event turns out malformed).
 * Returns the FormatError, or undefined when the events fill the block exactly.
 */
export function forEachCommitEvent(
  bytes: Buffer,
  offset: number,
  header: CommitBlockHeader,
  visit: (bytes: Buffer, layout: EventRecordLayout) => void,
): FormatError | undefined {
  const end = offset + header.blockLength;
  let count = 0;
  let cursor = offset + COMMIT_BLOCK_HEADER_BYTES;
  while (cursor < end) {
    const layout = readEventRecordLayout(bytes, cursor, end, buildLayout);
    if (layout instanceof FormatError) return commitBlockError(cursor - offset + layout.offset, layout.reason);
    if (layout.position !== header.firstPosition + count || layout.recordedAtMs !== header.recordedAtMs) {
      return commitBlockError(cursor - offset, 'event position or recordedAt disagrees with its commit');
    }
    visit(bytes, layout);
    count++;
    cursor += layout.recordLength;
    if (count > header.eventCount) break;
  }
  if (count !== header.eventCount) {
    return commitBlockError(8, `event count ${header.eventCount} does not match the ${count} events present`);
  }
  return undefined;
}
