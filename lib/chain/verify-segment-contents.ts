import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import { BODY_OFFSET, decodeCommitBlockHeader, END_MARKER_BYTES, parentHashOf } from '../format';
import { HashFunctions, nodeHashes } from './hash-functions';
import { layoutSegment } from './link';
import { SegmentExpectation, validateSegment, ValidSegment } from './validate-segment';

/** What `verify()` checks of each segment: validateSegment (the link), then verifySegmentContents (the depth). */
export function verifySegment(bytes: Buffer, expect: SegmentExpectation): ValidSegment | CorruptionError {
  const valid = validateSegment(bytes, expect);
  if (valid instanceof CorruptionError) return valid;
  return verifySegmentContents(bytes, valid, expect) ?? valid;
}

/**
 * The deep check of `verify()`, after validateSegment: every commit's parent hash names the commit
 * before it, and the header and index block are byte for byte what the sealer computes from its
 * commits (so the index, the counts, the recordedAt range and the Merkle root are recomputed).
 */
export function verifySegmentContents(
  bytes: Buffer,
  valid: ValidSegment,
  expect: SegmentExpectation,
  hashes: HashFunctions = nodeHashes,
): CorruptionError | undefined {
  const commits: Buffer[] = [];
  let parentHash = expect.previousCommitHash;
  for (let cursor = BODY_OFFSET; cursor < valid.header.indexOffset; ) {
    const header = decodeCommitBlockHeader(bytes, cursor, valid.header.indexOffset);
    if (header instanceof FormatError) return new CorruptionError(expect.name, cursor + header.offset, header.reason);
    if (!parentHashOf(bytes, cursor).equals(parentHash)) {
      return new CorruptionError(expect.name, cursor + 32, 'parent hash is not the hash of the previous commit');
    }
    const block = bytes.subarray(cursor, cursor + header.blockLength);
    commits.push(block);
    parentHash = hashes.sha256([block]);
    cursor += header.blockLength;
  }
  let layout;
  try {
    layout = layoutSegment({ storeId: expect.storeId, segmentNumber: expect.segmentNumber, previousEndMarker: expect.previousEndMarker, commits, checksumsChecked: true }, hashes);
  } catch (error) {
    return new CorruptionError(expect.name, BODY_OFFSET, `a commit does not decode: ${(error as Error).message}`);
  }
  // The chain hash and end marker were checked by validateSegment; what is left to check is that
  // the header and the index are what the commits seal to.
  const headerDiffers = firstDifference(bytes.subarray(0, layout.header.length), layout.header);
  if (headerDiffers >= 0) {
    return new CorruptionError(expect.name, headerDiffers, 'header differs from what its commits seal to (counts, recordedAt range or Merkle root)');
  }
  const indexDiffers = firstDifference(bytes.subarray(valid.header.indexOffset, bytes.length - END_MARKER_BYTES), layout.index);
  if (indexDiffers >= 0) {
    return new CorruptionError(expect.name, valid.header.indexOffset + indexDiffers, 'index block differs from what its commits seal to');
  }
  return undefined;
}

function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return length;
}
