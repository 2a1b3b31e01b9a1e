import { FormatError } from '../errors/format.error';
import {
  BODY_OFFSET,
  CHAIN_HASH_OFFSET,
  decodeCommitBlockHeader,
  EVENT_RECORD_HEADER_BYTES,
  EventRecordLayout,
  forEachCommitEvent,
  encodeIndexBlock,
  encodeSegmentHeader,
  END_MARKER_BYTES,
  IndexedStream,
  SEGMENT_OVERHEAD_BYTES,
  IndexBlockInput,
} from '../format';
import { HashFunctions, IncrementalHash, nodeHashes } from './hash-functions';
import { BYTES_PER_STEP, EVENTS_PER_STEP, runSteps, Steps } from './steps';
import { MerkleLeaves } from './merkle';

export interface BuildSegmentInput {
  storeId: Buffer;
  segmentNumber: number;
  /** End marker of the previous segment, or the genesis hash for segment 1. */
  previousEndMarker: Buffer;
  /** Whole commit blocks, in position order, already validated by whoever read them. */
  commits: readonly Buffer[];
  /**
   * The reader checked every commit's checksum too (commitsToSeal, verify's walk): the scan does
   * not check it again. Otherwise it does, and a block that fails is refused.
   */
  checksumsChecked?: boolean;
}

export interface BuiltSegment {
  bytes: Buffer;
  endMarker: Buffer;
  eventCount: number;
}

/** The parts of a sealed segment that are computed from its commits: header and index block. */
export interface SegmentLayout {
  header: Buffer;
  index: Buffer;
  commitsBytes: number;
  eventCount: number;
}

/**
 * Computes a segment's header (counts, recordedAt range, index offsets, Merkle root of the event
 * records, last commit hash) and index block from its commits. Pure; no chain hashing.
 */
export function layoutSegment(input: BuildSegmentInput, hashes: HashFunctions = nodeHashes): SegmentLayout {
  return runSteps(layoutSegmentSteps(input, hashes));
}

export function* layoutSegmentSteps(input: BuildSegmentInput, hashes: HashFunctions = nodeHashes): Steps<SegmentLayout> {
  const last = input.commits[input.commits.length - 1];
  if (last === undefined) throw new RangeError('a segment needs at least one commit');
  const scanned = yield* scanCommits(input.commits, input.checksumsChecked ?? false, hashes);
  const root = yield* scanned.leaves.rootSteps();
  const index = encodeIndexBlock(scanned.index);
  const header = encodeSegmentHeader({
    storeId: input.storeId,
    segmentNumber: input.segmentNumber,
    commitCount: input.commits.length,
    firstPosition: scanned.firstPosition,
    eventCount: scanned.index.eventCount,
    firstRecordedAtMs: scanned.firstRecordedAtMs,
    lastRecordedAtMs: scanned.lastRecordedAtMs,
    bodyLength: scanned.commitsBytes + index.length,
    indexOffset: BODY_OFFSET + scanned.commitsBytes,
    indexLength: index.length,
    merkleRoot: root,
    lastCommitHash: hashes.sha256([last]),
  });
  return { header, index, commitsBytes: scanned.commitsBytes, eventCount: scanned.index.eventCount };
}

/**
 * Lays out a sealed segment from its commits and links it to the previous one: chain hash =
 * SHA-512(previous end marker || body), end marker = SHA-256(every byte before it). Pure.
 */
export function buildSegment(input: BuildSegmentInput, hashes: HashFunctions = nodeHashes): BuiltSegment {
  return runSteps(buildSegmentSteps(input, hashes));
}

/** buildSegment in slices: the sealer runs it with a turn of the event loop between them. */
export function* buildSegmentSteps(input: BuildSegmentInput, hashes: HashFunctions = nodeHashes): Steps<BuiltSegment> {
  const layout = yield* layoutSegmentSteps(input, hashes);
  const bodyLength = layout.commitsBytes + layout.index.length;
  const bytes = Buffer.allocUnsafe(SEGMENT_OVERHEAD_BYTES + bodyLength);
  layout.header.copy(bytes, 0);
  let cursor = BODY_OFFSET;
  for (const commit of input.commits) cursor += commit.copy(bytes, cursor);
  layout.index.copy(bytes, cursor);
  const chainHash = hashes.incremental('sha512');
  chainHash.update(input.previousEndMarker);
  yield* hashInSlices(chainHash, bytes.subarray(BODY_OFFSET, BODY_OFFSET + bodyLength));
  chainHash.digest().copy(bytes, CHAIN_HASH_OFFSET);
  const endMarkerOffset = bytes.length - END_MARKER_BYTES;
  const endMarkerHash = hashes.incremental('sha256');
  yield* hashInSlices(endMarkerHash, bytes.subarray(0, endMarkerOffset));
  const endMarker = endMarkerHash.digest();
  endMarker.copy(bytes, endMarkerOffset);
  return { bytes, endMarker, eventCount: layout.eventCount };
}

function* hashInSlices(hash: IncrementalHash, bytes: Buffer): Steps<void> {
  for (let offset = 0; offset < bytes.length; offset += BYTES_PER_STEP) {
    hash.update(bytes.subarray(offset, Math.min(bytes.length, offset + BYTES_PER_STEP)));
    yield;
  }
}

interface ScannedCommits {
  index: IndexBlockInput;
  leaves: MerkleLeaves;
  commitsBytes: number;
  firstPosition: number;
  firstRecordedAtMs: number;
  lastRecordedAtMs: number;
}

function* scanCommits(commits: readonly Buffer[], checksumsChecked: boolean, hashes: HashFunctions): Steps<ScannedCommits> {
  const commitOffsets = new Uint32Array(commits.length);
  const commitPositionDeltas = new Uint32Array(commits.length);
  const commitRecordedAtMs = new Float64Array(commits.length);
  const streams = new Map<string, { firstVersion: number; offsets: number[] }>();
  const leaves = new MerkleLeaves(hashes);
  let offset = BODY_OFFSET;
  // Each event of the commit at `offset`, from its layout: no EventRecord, and no view but the leaf's.
  const scanEvent = (commit: Buffer, event: EventRecordLayout): void => {
    leaves.addRecord(commit.subarray(event.offset, event.offset + event.recordLength));
    const streamIdStart = event.offset + EVENT_RECORD_HEADER_BYTES;
    const streamId = commit.toString('utf8', streamIdStart, streamIdStart + event.streamIdLength);
    const stream = streams.get(streamId) ?? { firstVersion: event.version, offsets: [] };
    if (stream.offsets.length === 0) streams.set(streamId, stream);
    stream.offsets.push(offset + event.offset);
  };
  let firstPosition = -1;
  let sinceYield = 0;
  for (const [i, commit] of commits.entries()) {
    const header = decodeCommitBlockHeader(commit, 0, commit.length, checksumsChecked);
    if (header instanceof FormatError) throw new RangeError(`commit ${i} is not a valid block: ${header.message}`);
    const failed = forEachCommitEvent(commit, 0, header, scanEvent);
    if (failed) throw new RangeError(`commit ${i} is not a valid block: ${failed.message}`);
    if (firstPosition < 0) firstPosition = header.firstPosition;
    commitOffsets[i] = offset;
    commitPositionDeltas[i] = header.firstPosition - firstPosition;
    commitRecordedAtMs[i] = header.recordedAtMs;
    offset += commit.length;
    sinceYield += header.eventCount;
    if (sinceYield >= EVENTS_PER_STEP) {
      sinceYield = 0;
      yield;
    }
  }
  const indexedStreams: IndexedStream[] = [...streams].map(([streamId, stream]) => ({
    streamId,
    firstVersion: stream.firstVersion,
    eventOffsets: Uint32Array.from(stream.offsets),
  }));
  return {
    index: { eventCount: leaves.length, commitOffsets, commitPositionDeltas, commitRecordedAtMs, streams: indexedStreams },
    leaves,
    commitsBytes: offset - BODY_OFFSET,
    firstPosition,
    firstRecordedAtMs: commitRecordedAtMs[0] ?? 0,
    lastRecordedAtMs: commitRecordedAtMs[commits.length - 1] ?? 0,
  };
}
