import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import {
  BODY_OFFSET,
  CHAIN_HASH_BYTES,
  CHAIN_HASH_OFFSET,
  decodeCommitBlockHeader,
  decodeIndexBlock,
  decodeSegmentHeader,
  END_MARKER_BYTES,
  parentHashOf,
  SEGMENT_OVERHEAD_BYTES,
  SegmentHeader,
  SegmentIndex,
} from '../format';
import { HashFunctions, nodeHashes } from './hash-functions';

/** What the segment must be, given the chain before it. */
export interface SegmentExpectation {
  /** Path of the file relative to the store directory, for error messages. */
  name: string;
  storeId: Buffer;
  segmentNumber: number;
  firstPosition: number;
  /** End marker of the previous segment (the genesis hash before segment 1). */
  previousEndMarker: Buffer;
  /** Hash of the last commit before this segment (the genesis hash before the first). */
  previousCommitHash: Buffer;
  /** recordedAt of the last commit before this segment (0 before the first). */
  previousRecordedAtMs: number;
}

export interface ValidSegment {
  header: SegmentHeader;
  index: SegmentIndex;
  endMarker: Buffer;
}

/**
 * Validates one sealed segment as a link of the chain: every byte is covered by the end marker and
 * the chain hash binds it to the previous segment, so this is the check that runs at open. Segments
 * validate independently given the previous end marker. Returns the damage as a CorruptionError.
 */
export function validateSegment(
  bytes: Buffer,
  expect: SegmentExpectation,
  hashes: HashFunctions = nodeHashes,
): ValidSegment | CorruptionError {
  const corrupt = (offset: number, reason: string) => new CorruptionError(expect.name, offset, reason);
  const header = checkSegmentHeader(bytes, bytes.length, expect);
  if (header instanceof CorruptionError) return header;
  const endMarkerOffset = bytes.length - END_MARKER_BYTES;
  const endMarker = bytes.subarray(endMarkerOffset);
  if (!hashes.sha256([bytes.subarray(0, endMarkerOffset)]).equals(endMarker)) {
    const damage = locateDamage(bytes, header, expect, hashes);
    return corrupt(damage.offset, damage.reason);
  }
  const body = bytes.subarray(BODY_OFFSET, endMarkerOffset);
  const chainHash = bytes.subarray(CHAIN_HASH_OFFSET, CHAIN_HASH_OFFSET + CHAIN_HASH_BYTES);
  if (!hashes.sha512([expect.previousEndMarker, body]).equals(chainHash)) {
    return corrupt(CHAIN_HASH_OFFSET, 'chain hash does not link this segment to the previous one');
  }
  const structure = checkSegmentStructure(header, parentHashOf(bytes, BODY_OFFSET), bytes.subarray(header.indexOffset, endMarkerOffset), expect);
  if (structure instanceof CorruptionError) return structure;
  return { header, index: structure, endMarker: Buffer.from(endMarker) };
}

/**
 * What validateSegment checks once the hashes hold: the first commit names the previous one, and
 * the index block decodes and agrees with the header. Shared with the streaming check at open.
 */
export function checkSegmentStructure(
  header: SegmentHeader,
  firstParentHash: Buffer,
  indexBytes: Buffer,
  expect: SegmentExpectation,
): SegmentIndex | CorruptionError {
  const corrupt = (offset: number, reason: string) => new CorruptionError(expect.name, offset, reason);
  if (!firstParentHash.equals(expect.previousCommitHash)) {
    return corrupt(BODY_OFFSET + 32, "first commit's parent hash is not the hash of the previous commit");
  }
  const index = decodeIndexBlock(indexBytes);
  if (index instanceof FormatError) return corrupt(header.indexOffset + index.offset, index.reason);
  if (index.eventCount !== header.eventCount || index.commitOffsets.length !== header.commitCount) {
    return corrupt(header.indexOffset, 'index block counts disagree with the header');
  }
  return index;
}

/** Decodes the header and checks it against the chain and the file size: the first checks of validateSegment. */
export function checkSegmentHeader(headerBytes: Buffer, fileBytes: number, expect: SegmentExpectation): SegmentHeader | CorruptionError {
  const corrupt = (offset: number, reason: string) => new CorruptionError(expect.name, offset, reason);
  if (fileBytes < SEGMENT_OVERHEAD_BYTES) return corrupt(0, `file of ${fileBytes} bytes is shorter than an empty segment`);
  const header = decodeSegmentHeader(headerBytes);
  if (header instanceof FormatError) return corrupt(header.offset, header.reason);
  const mismatch = checkHeaderAgainstChain(header, fileBytes, expect);
  return mismatch ? corrupt(mismatch.offset, mismatch.reason) : header;
}

function checkHeaderAgainstChain(
  header: SegmentHeader,
  fileBytes: number,
  expect: SegmentExpectation,
): { offset: number; reason: string } | undefined {
  if (!header.storeId.equals(expect.storeId)) return { offset: 8, reason: 'segment belongs to another store' };
  if (header.segmentNumber !== expect.segmentNumber) {
    return { offset: 24, reason: `segment number ${header.segmentNumber} where ${expect.segmentNumber} belongs` };
  }
  if (header.firstPosition !== expect.firstPosition) {
    return { offset: 32, reason: `first position ${header.firstPosition} where ${expect.firstPosition} follows` };
  }
  if (header.bodyLength + SEGMENT_OVERHEAD_BYTES !== fileBytes) {
    return { offset: 64, reason: `body length ${header.bodyLength} does not match a file of ${fileBytes} bytes` };
  }
  const indexEnd = fileBytes - END_MARKER_BYTES;
  if (header.indexOffset < BODY_OFFSET || header.indexOffset + header.indexLength !== indexEnd) {
    return { offset: 72, reason: 'index block does not end where the end marker starts' };
  }
  if (header.eventCount === 0 || header.commitCount === 0) return { offset: 28, reason: 'a segment holds no commit' };
  if (header.firstRecordedAtMs < expect.previousRecordedAtMs || header.lastRecordedAtMs < header.firstRecordedAtMs) {
    return { offset: 48, reason: 'recordedAt goes back in time' };
  }
  return undefined;
}

/** The end marker does not match: find the first structure whose own check fails, to name an offset. */
function locateDamage(
  bytes: Buffer,
  header: SegmentHeader,
  expect: SegmentExpectation,
  hashes: HashFunctions,
): { offset: number; reason: string } {
  for (let cursor = BODY_OFFSET; cursor < header.indexOffset; ) {
    const commit = decodeCommitBlockHeader(bytes, cursor, header.indexOffset);
    if (commit instanceof FormatError) return { offset: cursor + commit.offset, reason: `end marker mismatch; ${commit.message}` };
    cursor += commit.blockLength;
  }
  const endMarkerOffset = bytes.length - END_MARKER_BYTES;
  const index = decodeIndexBlock(bytes.subarray(header.indexOffset, endMarkerOffset));
  if (index instanceof FormatError) {
    return { offset: header.indexOffset + index.offset, reason: `end marker mismatch; ${index.message}` };
  }
  const chainHash = bytes.subarray(CHAIN_HASH_OFFSET, CHAIN_HASH_OFFSET + CHAIN_HASH_BYTES);
  if (!hashes.sha512([expect.previousEndMarker, bytes.subarray(BODY_OFFSET, endMarkerOffset)]).equals(chainHash)) {
    return { offset: CHAIN_HASH_OFFSET, reason: 'end marker mismatch; the chain hash or the body was altered' };
  }
  return { offset: endMarkerOffset, reason: 'end marker mismatch; the end marker itself was altered' };
}
