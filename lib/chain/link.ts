import { FormatError } from '../errors/format.error';
import {
  BODY_OFFSET,
  CHAIN_HASH_OFFSET,
  decodeCommitBlockHeader,
  decodeCommitEvents,
  encodeIndexBlock,
  encodeSegmentHeader,
  END_MARKER_BYTES,
  IndexedStream,
  SEGMENT_OVERHEAD_BYTES,
  SegmentIndex,
} from '../format';
import { HashFunctions, nodeHashes } from './hash-functions';
import { merkleLeafHash, merkleRoot } from './merkle';

export interface BuildSegmentInput {
  storeId: Buffer;
  segmentNumber: number;
  /** End marker of the previous segment, or the genesis hash for segment 1. */
  previousEndMarker: Buffer;
  /** Whole commit blocks, in position order, already validated by whoever read them. */
  commits: readonly Buffer[];
}

export interface BuiltSegment {
  bytes: Buffer;
  endMarker: Buffer;
  eventCount: number;
}

/**
 * Lays out a sealed segment from its commits and links it to the previous one: chain hash =
 * SHA-512(previous end marker || body), end marker = SHA-256(every byte before it). Pure.
 */
export function buildSegment(input: BuildSegmentInput, hashes: HashFunctions = nodeHashes): BuiltSegment {
  const first = input.commits[0];
  if (first === undefined) throw new RangeError('a segment needs at least one commit');
  const scanned = scanCommits(input.commits, hashes);
  const index = encodeIndexBlock(scanned.index);
  const commitsBytes = scanned.commitsBytes;
  const bodyLength = commitsBytes + index.length;
  const bytes = Buffer.allocUnsafe(SEGMENT_OVERHEAD_BYTES + bodyLength);
  let cursor = BODY_OFFSET;
  for (const commit of input.commits) cursor += commit.copy(bytes, cursor);
  index.copy(bytes, cursor);
  const last = input.commits[input.commits.length - 1] as Buffer;
  const header = encodeSegmentHeader({
    storeId: input.storeId,
    segmentNumber: input.segmentNumber,
    commitCount: input.commits.length,
    firstPosition: scanned.firstPosition,
    eventCount: scanned.index.eventCount,
    firstRecordedAtMs: scanned.firstRecordedAtMs,
    lastRecordedAtMs: scanned.lastRecordedAtMs,
    bodyLength,
    indexOffset: BODY_OFFSET + commitsBytes,
    indexLength: index.length,
    merkleRoot: merkleRoot(scanned.leafHashes, hashes),
    lastCommitHash: hashes.sha256([last]),
  });
  header.copy(bytes, 0);
  const body = bytes.subarray(BODY_OFFSET, BODY_OFFSET + bodyLength);
  hashes.sha512([input.previousEndMarker, body]).copy(bytes, CHAIN_HASH_OFFSET);
  const endMarkerOffset = bytes.length - END_MARKER_BYTES;
  const endMarker = hashes.sha256([bytes.subarray(0, endMarkerOffset)]);
  endMarker.copy(bytes, endMarkerOffset);
  return { bytes, endMarker, eventCount: scanned.index.eventCount };
}

interface ScannedCommits {
  index: SegmentIndex;
  leafHashes: Buffer[];
  commitsBytes: number;
  firstPosition: number;
  firstRecordedAtMs: number;
  lastRecordedAtMs: number;
}

function scanCommits(commits: readonly Buffer[], hashes: HashFunctions): ScannedCommits {
  const commitOffsets = new Uint32Array(commits.length);
  const commitPositionDeltas = new Uint32Array(commits.length);
  const commitRecordedAtMs = new Float64Array(commits.length);
  const streams = new Map<string, { firstVersion: number; offsets: number[] }>();
  const leafHashes: Buffer[] = [];
  let offset = BODY_OFFSET;
  let firstPosition = -1;
  commits.forEach((commit, i) => {
    const header = decodeCommitBlockHeader(commit, 0, commit.length);
    if (header instanceof FormatError) throw new RangeError(`commit ${i} is not a valid block: ${header.message}`);
    const events = decodeCommitEvents(commit, 0, header);
    if (events instanceof FormatError) throw new RangeError(`commit ${i} is not a valid block: ${events.message}`);
    if (firstPosition < 0) firstPosition = header.firstPosition;
    commitOffsets[i] = offset;
    commitPositionDeltas[i] = header.firstPosition - firstPosition;
    commitRecordedAtMs[i] = header.recordedAtMs;
    let eventOffset = offset + (commit.length - events.reduce((sum, event) => sum + event.recordLength, 0));
    for (const event of events) {
      leafHashes.push(merkleLeafHash(commit.subarray(eventOffset - offset, eventOffset - offset + event.recordLength), hashes));
      const stream = streams.get(event.streamId) ?? { firstVersion: event.version, offsets: [] };
      if (stream.offsets.length === 0) streams.set(event.streamId, stream);
      stream.offsets.push(eventOffset);
      eventOffset += event.recordLength;
    }
    offset += commit.length;
  });
  const indexedStreams: IndexedStream[] = [...streams].map(([streamId, stream]) => ({
    streamId,
    firstVersion: stream.firstVersion,
    eventOffsets: Uint32Array.from(stream.offsets),
  }));
  return {
    index: { eventCount: leafHashes.length, commitOffsets, commitPositionDeltas, commitRecordedAtMs, streams: indexedStreams },
    leafHashes,
    commitsBytes: offset - BODY_OFFSET,
    firstPosition,
    firstRecordedAtMs: commitRecordedAtMs[0] ?? 0,
    lastRecordedAtMs: commitRecordedAtMs[commits.length - 1] ?? 0,
  };
}
