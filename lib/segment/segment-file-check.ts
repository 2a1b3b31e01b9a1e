import { nodeHashes } from '../chain/hash-functions';
import { checkSegmentHeader, checkSegmentStructure, SegmentExpectation, validateSegment, ValidSegment } from '../chain/validate-segment';
import { CorruptionError } from '../errors/corruption.error';
import { BODY_OFFSET, CHAIN_HASH_BYTES, CHAIN_HASH_OFFSET, END_MARKER_BYTES } from '../format';
import { FileSystem, readFully } from './file-system';

/** Bytes hashed per read: what opening a store holds of a segment at once, besides its index. */
const SLICE_BYTES = 4 * 1024 * 1024;
/** Header, chain hash, and the first commit's header up to its parent hash. */
const HEAD_BYTES = BODY_OFFSET + 64;

/**
 * validateSegment for a file on disk, in bounded memory: the header is checked first, then the end
 * marker and chain hash are computed over 4 MiB slices, then the index block is read and checked.
 * When a hash does not match, the whole file is read and validateSegment names the damage, so
 * the error is the same as the in-memory check's. Throws CorruptionError.
 */
export async function checkSegmentFile(fileSystem: FileSystem, path: string, expect: SegmentExpectation): Promise<ValidSegment> {
  const fd = await fileSystem.open(path, 'r');
  try {
    const size = await fileSystem.fileSize(fd);
    const head = await readFully(fileSystem, fd, HEAD_BYTES, 0);
    const header = checkSegmentHeader(head, size, expect);
    if (header instanceof CorruptionError) throw header;
    const endMarkerOffset = size - END_MARKER_BYTES;
    const digests = await hashFile(fileSystem, fd, endMarkerOffset, expect.previousEndMarker);
    const endMarker = await readFully(fileSystem, fd, END_MARKER_BYTES, endMarkerOffset);
    const chainHash = head.subarray(CHAIN_HASH_OFFSET, CHAIN_HASH_OFFSET + CHAIN_HASH_BYTES);
    if (!digests.endMarker.equals(endMarker) || !digests.chainHash.equals(chainHash)) {
      const damage = validateSegment(await fileSystem.readFile(path), expect);
      throw damage instanceof CorruptionError ? damage : new CorruptionError(expect.name, 0, 'the file changed while it was being checked');
    }
    const indexBytes = await readFully(fileSystem, fd, endMarkerOffset - header.indexOffset, header.indexOffset);
    const index = checkSegmentStructure(header, head.subarray(BODY_OFFSET + 32, BODY_OFFSET + 64), indexBytes, expect);
    if (index instanceof CorruptionError) throw index;
    return { header, index, endMarker };
  } finally {
    await fileSystem.close(fd);
  }
}

/** SHA-256 of bytes [0, end) and SHA-512 of (previous end marker || bytes [BODY_OFFSET, end)), one pass. */
async function hashFile(fileSystem: FileSystem, fd: number, end: number, previousEndMarker: Buffer): Promise<{ endMarker: Buffer; chainHash: Buffer }> {
  const endMarkerHash = nodeHashes.incremental('sha256');
  const chainHash = nodeHashes.incremental('sha512');
  chainHash.update(previousEndMarker);
  const slice = Buffer.allocUnsafe(Math.min(SLICE_BYTES, Math.max(end, 1)));
  for (let position = 0; position < end; ) {
    const length = Math.min(slice.length, end - position);
    const count = await fileSystem.read(fd, slice, 0, length, position);
    if (count === 0) break;
    const bytes = slice.subarray(0, count);
    endMarkerHash.update(bytes);
    if (position + count > BODY_OFFSET) chainHash.update(bytes.subarray(Math.max(0, BODY_OFFSET - position)));
    position += count;
  }
  return { endMarker: endMarkerHash.digest(), chainHash: chainHash.digest() };
}
