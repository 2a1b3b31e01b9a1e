import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import { BODY_OFFSET, decodeCommitBlockHeader } from '../format';
import { HashFunctions, nodeHashes } from './hash-functions';
import { buildSegment } from './link';
import { SegmentExpectation, ValidSegment } from './validate-segment';

/**
 * The deep check of `verify()`, after validateSegment: every commit's parent hash names the commit
 * before it, and the file is byte for byte what the sealer builds from its commits (so the index,
 * the counts, the recordedAt range and the Merkle root of the event hashes are all recomputed).
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
    if (!header.parentHash.equals(parentHash)) {
      return new CorruptionError(expect.name, cursor + 32, 'parent hash is not the hash of the previous commit');
    }
    const block = bytes.subarray(cursor, cursor + header.blockLength);
    commits.push(block);
    parentHash = hashes.sha256([block]);
    cursor += header.blockLength;
  }
  let rebuilt;
  try {
    rebuilt = buildSegment({ storeId: expect.storeId, segmentNumber: expect.segmentNumber, previousEndMarker: expect.previousEndMarker, commits }, hashes);
  } catch (error) {
    return new CorruptionError(expect.name, BODY_OFFSET, `a commit does not decode: ${(error as Error).message}`);
  }
  const differsAt = firstDifference(bytes, rebuilt.bytes);
  if (differsAt >= 0) {
    return new CorruptionError(expect.name, differsAt, 'segment differs from what its commits seal to (index, counts or Merkle root)');
  }
  return undefined;
}

function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return length;
}
