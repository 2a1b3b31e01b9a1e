import { availableParallelism } from 'node:os';
import { genesisHash } from '../chain/genesis';
import { nodeHashes } from '../chain/hash-functions';
import { checkSegmentHeader, checkSegmentStructure, SegmentExpectation, validateSegment, ValidSegment } from '../chain/validate-segment';
import { CorruptionError } from '../errors/corruption.error';
import { BODY_OFFSET, CHAIN_HASH_BYTES, CHAIN_HASH_OFFSET, END_MARKER_BYTES, parentHashOf, SegmentHeader, SegmentIndex } from '../format';
import { FileSystem, NodeFileSystem, readFully, readFullyInto } from './file-system';
import { HashWorkers, SegmentDigests, SliceReader } from './hash-workers';

/** Bytes hashed per read: what checking a segment holds of it at once, besides its index. */
const SLICE_BYTES = 4 * 1024 * 1024;
/** Header, chain hash, and the first commit's header up to its parent hash. */
const HEAD_BYTES = BODY_OFFSET + 64;
/** Below this many bytes of segments, starting worker threads costs more than it saves. */
export const PARALLEL_FROM_BYTES = 64 * 1024 * 1024;

export interface SegmentFile {
  segmentNumber: number;
  /** Relative to the store directory, for errors. */
  name: string;
  path: string;
}

/** 'auto': worker threads when there are cores to spare and enough bytes to hash. */
export type HashParallelism = 'auto' | 'workers' | 'main-thread';

/** A segment whose header continues the chain: what the headers before it say it must be. */
export interface PlannedCheck {
  file: SegmentFile;
  size: number;
  head: Buffer;
  header: SegmentHeader;
  storedEndMarker: Buffer;
  expect: SegmentExpectation;
}

/** A check under way: what the headers claim, and the promise of every segment checked. */
export interface SegmentCheck {
  /** Header of the last segment that continues the chain, read but not yet checked against its hashes. */
  lastHeader: SegmentHeader | undefined;
  /** Every segment checked, in chain order; rejects with the first break in the chain. */
  valid: Promise<ValidSegment[]>;
}

/**
 * validateSegment for every sealed segment of a store, in bounded memory and in parallel
 * (DESIGN §2: each segment can be validated alone, given the previous end marker):
 *   1. in chain order, each header is checked against what the headers before it say (up to the
 *      first that does not continue the chain);
 *   2. every segment's end marker and chain hash are computed over 4 MiB slices, on worker
 *      threads when worth it, each chained to the previous segment's stored end marker; meanwhile
 *      the event loop decodes and checks every index block;
 *   3. in chain order, the digests are compared with the stored ones, then the index's verdict taken.
 * At the first hash that does not match, that file is read whole and validateSegment names the
 * damage, so the error is the one the in-memory check gives. Rejects with CorruptionError.
 * Resolves once step 1 is done: the caller may read what follows the segments while they are hashed.
 */
export async function startSegmentCheck(
  fileSystem: FileSystem,
  files: readonly SegmentFile[],
  storeId: Buffer,
  parallelism: HashParallelism = 'auto',
): Promise<SegmentCheck> {
  const { planned, headerError } = await planChecks(fileSystem, files, storeId);
  const valid = checkPlanned(fileSystem, planned, headerError, parallelism);
  valid.catch(() => undefined); // the caller awaits it after its own reads: not an unhandled rejection meanwhile
  return { lastHeader: planned[planned.length - 1]?.header, valid };
}

/** startSegmentCheck, awaited whole. */
export async function checkSegmentFiles(
  fileSystem: FileSystem,
  files: readonly SegmentFile[],
  storeId: Buffer,
  parallelism: HashParallelism = 'auto',
): Promise<ValidSegment[]> {
  return (await startSegmentCheck(fileSystem, files, storeId, parallelism)).valid;
}

async function checkPlanned(fileSystem: FileSystem, planned: PlannedCheck[], headerError: CorruptionError | undefined, parallelism: HashParallelism): Promise<ValidSegment[]> {
  const digestsComputed = computeDigests(fileSystem, planned, parallelism);
  digestsComputed.catch(() => undefined); // awaited below, once the indexes are checked
  const indexes = await checkIndexes(fileSystem, planned);
  const digests = await digestsComputed;
  const valid: ValidSegment[] = [];
  for (const [i, check] of planned.entries()) {
    const computed = digests[i] as SegmentDigests;
    const chainHash = check.head.subarray(CHAIN_HASH_OFFSET, CHAIN_HASH_OFFSET + CHAIN_HASH_BYTES);
    if (!computed.endMarker.equals(check.storedEndMarker) || !computed.chainHash.equals(chainHash)) {
      const damage = validateSegment(await fileSystem.readFile(check.file.path), check.expect);
      throw damage instanceof CorruptionError ? damage : new CorruptionError(check.file.name, 0, 'the file changed while it was being checked');
    }
    const index = indexes[i] as SegmentIndex | CorruptionError;
    if (index instanceof CorruptionError) throw index;
    valid.push({ header: check.header, index, endMarker: check.storedEndMarker });
  }
  // A header that does not continue the chain is reported only once every segment before it is
  // known sound: the first break, in chain order, is the one named.
  if (headerError) throw headerError;
  return valid;
}

/** Each segment's index block decoded and checked against its header: the index, or what is wrong with it. */
async function checkIndexes(fileSystem: FileSystem, planned: PlannedCheck[]): Promise<Array<SegmentIndex | CorruptionError>> {
  // Every index block is read into this one buffer: the decoded index copies what it keeps.
  let indexBuffer = Buffer.allocUnsafeSlow(0);
  const indexes: Array<SegmentIndex | CorruptionError> = [];
  for (const check of planned) {
    const indexLength = Math.max(0, check.size - END_MARKER_BYTES - check.header.indexOffset);
    if (indexBuffer.length < indexLength) indexBuffer = Buffer.allocUnsafeSlow(indexLength);
    const indexBytes = await readInto(fileSystem, check.file.path, indexBuffer.subarray(0, indexLength), check.header.indexOffset);
    indexes.push(checkSegmentStructure(check.header, parentHashOf(check.head, BODY_OFFSET), indexBytes, check.expect));
  }
  return indexes;
}

/** Phase 1: stops at the first header that does not continue the chain, and returns its error. */
export async function planChecks(fileSystem: FileSystem, files: readonly SegmentFile[], storeId: Buffer): Promise<{ planned: PlannedCheck[]; headerError?: CorruptionError }> {
  const genesis = genesisHash(storeId);
  const planned: PlannedCheck[] = [];
  let expect: Omit<SegmentExpectation, 'name' | 'segmentNumber'> = { storeId, firstPosition: 0, previousEndMarker: genesis, previousCommitHash: genesis, previousRecordedAtMs: 0 };
  for (const file of files) {
    const fd = await fileSystem.open(file.path, 'r');
    let size: number;
    let head: Buffer;
    let storedEndMarker: Buffer;
    try {
      size = await fileSystem.fileSize(fd);
      head = await readFully(fileSystem, fd, HEAD_BYTES, 0);
      storedEndMarker = await readFully(fileSystem, fd, END_MARKER_BYTES, Math.max(0, size - END_MARKER_BYTES));
    } finally {
      await fileSystem.close(fd);
    }
    const fileExpect: SegmentExpectation = { ...expect, name: file.name, segmentNumber: file.segmentNumber };
    const header = checkSegmentHeader(head, size, fileExpect);
    if (header instanceof CorruptionError) return { planned, headerError: header };
    planned.push({ file, size, head, header, storedEndMarker, expect: fileExpect });
    expect = {
      storeId,
      firstPosition: header.firstPosition + header.eventCount,
      previousEndMarker: storedEndMarker,
      previousCommitHash: header.lastCommitHash,
      previousRecordedAtMs: header.lastRecordedAtMs,
    };
  }
  return { planned };
}

async function computeDigests(fileSystem: FileSystem, planned: PlannedCheck[], parallelism: HashParallelism): Promise<SegmentDigests[]> {
  const totalBytes = planned.reduce((sum, check) => sum + check.size, 0);
  const useWorkers = parallelism === 'workers' || (parallelism === 'auto' && availableParallelism() > 1 && totalBytes >= PARALLEL_FROM_BYTES);
  if (!useWorkers) {
    const digests: SegmentDigests[] = [];
    for (const check of planned) digests.push(await withReader(fileSystem, check, (read) => hashOnMainThread(read, check)));
    return digests;
  }
  const workers = HashWorkers.start();
  // On the process's own file system the workers read the files themselves, so that the event loop,
  // busy meanwhile with the index blocks and the open journal, never keeps them waiting for a slice.
  // Through any other FileSystem (the fault-injection tests'), every read goes through it.
  const ownFiles = fileSystem instanceof NodeFileSystem;
  const digestsOf = (check: PlannedCheck): Promise<SegmentDigests> => {
    const end = check.size - END_MARKER_BYTES;
    const previousEndMarker = check.expect.previousEndMarker;
    if (ownFiles) return workers.hashFile(check.file.path, end, BODY_OFFSET, previousEndMarker, SLICE_BYTES);
    return withReader(fileSystem, check, (read) => workers.hash(read, end, BODY_OFFSET, previousEndMarker, SLICE_BYTES));
  };
  try {
    return await Promise.all(planned.map(digestsOf));
  } finally {
    await workers.close();
  }
}

async function withReader<T>(fileSystem: FileSystem, check: PlannedCheck, use: (read: SliceReader) => Promise<T>): Promise<T> {
  const fd = await fileSystem.open(check.file.path, 'r');
  try {
    return await use((buffer, position) => fileSystem.read(fd, buffer, 0, buffer.length, position));
  } finally {
    await fileSystem.close(fd);
  }
}

/** SHA-256 of bytes [0, end) and SHA-512 of (previous end marker || bytes [BODY_OFFSET, end)), one pass. */
async function hashOnMainThread(read: SliceReader, check: PlannedCheck): Promise<SegmentDigests> {
  const end = check.size - END_MARKER_BYTES;
  const endMarkerHash = nodeHashes.incremental('sha256');
  const chainHash = nodeHashes.incremental('sha512');
  chainHash.update(check.expect.previousEndMarker);
  const slice = Buffer.allocUnsafe(Math.min(SLICE_BYTES, Math.max(end, 1)));
  for (let position = 0; position < end; ) {
    const count = await read(slice.subarray(0, Math.min(slice.length, end - position)), position);
    if (count === 0) break;
    const bytes = slice.subarray(0, count);
    endMarkerHash.update(bytes);
    if (position + count > BODY_OFFSET) chainHash.update(bytes.subarray(Math.max(0, BODY_OFFSET - position)));
    position += count;
  }
  return { endMarker: endMarkerHash.digest(), chainHash: chainHash.digest() };
}

/** Reads into `buffer` from `position`; returns the part read (shorter when the file ends first). */
async function readInto(fileSystem: FileSystem, path: string, buffer: Buffer, position: number): Promise<Buffer> {
  const fd = await fileSystem.open(path, 'r');
  try {
    return buffer.subarray(0, await readFullyInto(fileSystem, fd, buffer, buffer.length, position));
  } finally {
    await fileSystem.close(fd);
  }
}
