import { FormatError } from '../errors/format.error';
import { viewOf, viewU64, writeU64 } from './bytes';
import { MAX_STREAM_ID_BYTES } from './event-record';

/**
 * The last part of a sealed segment's body: where every commit and every stream's events are, so
 * that opening a store needs no parse of events.
 *
 *   magic:        u32  // 0x58444943, the bytes "CIDX"
 *   commitCount:  u32
 *   streamCount:  u32
 *   eventCount:   u32
 *   commits:      commitCount entries of
 *     offset:        u32  // file offset of the commit block
 *     positionDelta: u32  // its first position minus the segment's first position
 *     recordedAt:    u64  // ms since the Unix epoch
 *   streams:      streamCount entries, sorted by stream id (bytewise, ascending, no duplicate), of
 *     streamIdLength: u16
 *     reserved:       u16  // zero
 *     eventCount:     u32  // events of this stream in the segment, at least 1
 *     firstVersion:   u64  // version of the first; the others follow densely
 *     streamId:       streamIdLength bytes, UTF-8
 *     eventOffsets:   eventCount u32 // file offset of each event record, in version order
 */
export const INDEX_MAGIC = 0x58444943;
export const INDEX_HEADER_BYTES = 4 + 4 + 4 + 4;
export const INDEX_COMMIT_ENTRY_BYTES = 4 + 4 + 8;
export const INDEX_STREAM_ENTRY_HEADER_BYTES = 2 + 2 + 4 + 8;

/** One stream's entry, as the writer gives it and as `indexedStreams` expands a decoded index. */
export interface IndexedStream {
  streamId: string;
  firstVersion: number;
  eventOffsets: Uint32Array;
}

/** What encodeIndexBlock takes: the index in the writer's natural shape. */
export interface IndexBlockInput {
  eventCount: number;
  commitOffsets: Uint32Array;
  commitPositionDeltas: Uint32Array;
  commitRecordedAtMs: Float64Array;
  streams: IndexedStream[];
}

/**
 * A decoded index block, flat: no object per stream, so that a store of 100k streams in many
 * segments holds a few typed arrays per segment rather than an object and an array per stream
 * per segment. Stream `i` has `streamEventCounts[i]` events from version `streamFirstVersions[i]`,
 * whose record offsets are `eventOffsets[streamEventStarts[i] ...]`; its id is `streamIdAt(index, i)`.
 */
export interface SegmentIndex {
  eventCount: number;
  commitOffsets: Uint32Array;
  commitPositionDeltas: Uint32Array;
  commitRecordedAtMs: Float64Array;
  streamCount: number;
  streamFirstVersions: Float64Array;
  streamEventStarts: Uint32Array;
  streamEventCounts: Uint32Array;
  eventOffsets: Uint32Array;
  /** Every stream id's UTF-8 bytes, back to back; stream i ends at streamIdEnds[i]. */
  streamIdBytes: Buffer;
  streamIdEnds: Uint32Array;
}

/** Entry of `streamId` (its UTF-8 bytes) in the index, or -1: a binary search over the sorted ids. */
export function findStream(index: SegmentIndex, streamId: Buffer): number {
  let low = 0;
  let high = index.streamCount - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = streamId.compare(index.streamIdBytes, middle === 0 ? 0 : (index.streamIdEnds[middle - 1] as number), index.streamIdEnds[middle] as number);
    if (order === 0) return middle;
    if (order < 0) high = middle - 1;
    else low = middle + 1;
  }
  return -1;
}

export function streamIdAt(index: SegmentIndex, i: number): string {
  return index.streamIdBytes.toString('utf8', i === 0 ? 0 : (index.streamIdEnds[i - 1] ?? 0), index.streamIdEnds[i] ?? 0);
}

/** The decoded index as one object per stream (tests and tools; the store uses the flat arrays). */
export function indexedStreams(index: SegmentIndex): IndexedStream[] {
  return Array.from({ length: index.streamCount }, (_, i) => {
    const start = index.streamEventStarts[i] ?? 0;
    return {
      streamId: streamIdAt(index, i),
      firstVersion: index.streamFirstVersions[i] ?? 0,
      eventOffsets: index.eventOffsets.slice(start, start + (index.streamEventCounts[i] ?? 0)),
    };
  });
}

/**
 * Encodes the block with its stream entries sorted by id bytes, whatever the input order: a stream
 * is then found by binary search (findStream), with nothing to build when a store opens.
 */
export function encodeIndexBlock(input: IndexBlockInput): Buffer {
  const streams = sortedByIdBytes(input.streams);
  const streamIdLengths = streams.map((stream) => Buffer.byteLength(stream.streamId, 'utf8'));
  let length = INDEX_HEADER_BYTES + input.commitOffsets.length * INDEX_COMMIT_ENTRY_BYTES;
  streams.forEach((stream, i) => {
    length += INDEX_STREAM_ENTRY_HEADER_BYTES + (streamIdLengths[i] as number) + stream.eventOffsets.length * 4;
  });
  const bytes = Buffer.alloc(length);
  bytes.writeUInt32LE(INDEX_MAGIC, 0);
  bytes.writeUInt32LE(input.commitOffsets.length, 4);
  bytes.writeUInt32LE(streams.length, 8);
  bytes.writeUInt32LE(input.eventCount, 12);
  let cursor = INDEX_HEADER_BYTES;
  for (let i = 0; i < input.commitOffsets.length; i++) {
    bytes.writeUInt32LE(input.commitOffsets[i] ?? 0, cursor);
    bytes.writeUInt32LE(input.commitPositionDeltas[i] ?? 0, cursor + 4);
    writeU64(bytes, cursor + 8, input.commitRecordedAtMs[i] ?? 0);
    cursor += INDEX_COMMIT_ENTRY_BYTES;
  }
  streams.forEach((stream, i) => {
    const idLength = streamIdLengths[i] as number;
    bytes.writeUInt16LE(idLength, cursor);
    bytes.writeUInt32LE(stream.eventOffsets.length, cursor + 4);
    writeU64(bytes, cursor + 8, stream.firstVersion);
    bytes.write(stream.streamId, cursor + INDEX_STREAM_ENTRY_HEADER_BYTES, idLength, 'utf8');
    cursor += INDEX_STREAM_ENTRY_HEADER_BYTES + idLength;
    for (const offset of stream.eventOffsets) {
      bytes.writeUInt32LE(offset, cursor);
      cursor += 4;
    }
  });
  return bytes;
}

/** A UTF-16 code unit of a surrogate pair (U+10000 and up) or of U+E000–U+FFFF. */
const HIGH_CODE_UNIT = /[\uD800-\uFFFF]/;

/**
 * The streams in the order of their ids' UTF-8 bytes. Below U+D800 that is the order of the
 * strings' UTF-16 code units, which JavaScript compares without a call to native code or a Buffer
 * per id (a seal of 47k streams sorted in ~110 ms with Buffer.compare). Only a surrogate pair,
 * which UTF-16 puts before U+E000–U+FFFF and UTF-8 after them, needs the bytes compared.
 */
function sortedByIdBytes(streams: readonly IndexedStream[]): IndexedStream[] {
  if (streams.some((stream) => HIGH_CODE_UNIT.test(stream.streamId))) {
    return streams
      .map((stream) => ({ stream, id: Buffer.from(stream.streamId, 'utf8') }))
      .sort((a, b) => Buffer.compare(a.id, b.id))
      .map((entry) => entry.stream);
  }
  return [...streams].sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
}

export function decodeIndexBlock(bytes: Buffer): SegmentIndex | FormatError {
  const fail = (offset: number, reason: string) => new FormatError('index block', offset, reason);
  if (bytes.length < INDEX_HEADER_BYTES) return fail(0, 'shorter than an index header');
  if (bytes.readUInt32LE(0) !== INDEX_MAGIC) return fail(0, 'bad magic');
  const commitCount = bytes.readUInt32LE(4);
  const streamCount = bytes.readUInt32LE(8);
  const eventCount = bytes.readUInt32LE(12);
  const commitsEnd = INDEX_HEADER_BYTES + commitCount * INDEX_COMMIT_ENTRY_BYTES;
  if (commitsEnd > bytes.length) return fail(4, `commit count ${commitCount} runs past the block`);
  if (streamCount * INDEX_STREAM_ENTRY_HEADER_BYTES > bytes.length - commitsEnd) return fail(8, `stream count ${streamCount} runs past the block`);
  const commits = decodeCommitTable(bytes, commitCount);
  if (commits instanceof FormatError) return commits;
  const streams = decodeStreamTable(bytes, commitsEnd, streamCount, eventCount);
  if (streams instanceof FormatError) return streams;
  return { eventCount, ...commits, ...streams };
}

function decodeCommitTable(bytes: Buffer, commitCount: number): Pick<SegmentIndex, 'commitOffsets' | 'commitPositionDeltas' | 'commitRecordedAtMs'> | FormatError {
  const commitOffsets = new Uint32Array(commitCount);
  const commitPositionDeltas = new Uint32Array(commitCount);
  const commitRecordedAtMs = new Float64Array(commitCount);
  const view = viewOf(bytes);
  for (let i = 0, cursor = INDEX_HEADER_BYTES; i < commitCount; i++, cursor += INDEX_COMMIT_ENTRY_BYTES) {
    commitOffsets[i] = view.getUint32(cursor, true);
    commitPositionDeltas[i] = view.getUint32(cursor + 4, true);
    const recordedAtMs = viewU64(view, cursor + 8);
    if (recordedAtMs < 0) return new FormatError('index block', cursor + 8, 'recordedAt above 2^53');
    commitRecordedAtMs[i] = recordedAtMs;
  }
  return { commitOffsets, commitPositionDeltas, commitRecordedAtMs };
}

type StreamTableFields = Omit<SegmentIndex, 'eventCount' | 'commitOffsets' | 'commitPositionDeltas' | 'commitRecordedAtMs'>;

function decodeStreamTable(bytes: Buffer, start: number, streamCount: number, eventCount: number): StreamTableFields | FormatError {
  const fail = (offset: number, reason: string) => new FormatError('index block', offset, reason);
  // Every event takes 4 bytes after the stream headers: a count the bytes cannot hold is refused before allocating.
  if (eventCount > (bytes.length - start - streamCount * INDEX_STREAM_ENTRY_HEADER_BYTES) / 4) return fail(12, `event count ${eventCount} runs past the block`);
  const streamFirstVersions = new Float64Array(streamCount);
  const streamEventStarts = new Uint32Array(streamCount);
  const streamEventCounts = new Uint32Array(streamCount);
  const streamIdEnds = new Uint32Array(streamCount);
  const eventOffsets = new Uint32Array(eventCount);
  // Where each id sits in `bytes`: the ids are copied out together once every entry is checked.
  const idStarts = new Uint32Array(streamCount);
  let idBytes = 0;
  let events = 0;
  let cursor = start;
  const view = viewOf(bytes);
  for (let i = 0; i < streamCount; i++) {
    if (bytes.length - cursor < INDEX_STREAM_ENTRY_HEADER_BYTES) return fail(cursor, 'stream entry runs past the block');
    const idLength = view.getUint16(cursor, true);
    const count = view.getUint32(cursor + 4, true);
    const firstVersion = viewU64(view, cursor + 8);
    if (idLength === 0 || idLength > MAX_STREAM_ID_BYTES) return fail(cursor, 'stream id length out of range');
    if (firstVersion < 0) return fail(cursor + 8, 'first version above 2^53');
    const idStart = cursor + INDEX_STREAM_ENTRY_HEADER_BYTES;
    const offsetsStart = idStart + idLength;
    if (count === 0 || count > (bytes.length - offsetsStart) / 4) return fail(cursor + 4, `stream event count ${count} out of range`);
    if (count > eventCount - events) return fail(12, `event count ${eventCount} does not match the indexed events`);
    for (let j = 0; j < count; j++) eventOffsets[events + j] = view.getUint32(offsetsStart + j * 4, true);
    if (i > 0) {
      const previousStart = idStarts[i - 1] as number;
      const previousLength = (streamIdEnds[i - 1] as number) - (i > 1 ? (streamIdEnds[i - 2] as number) : 0);
      if (compareBytes(bytes, previousStart, previousLength, idStart, idLength) >= 0) return fail(idStart, 'stream ids are not in ascending order');
    }
    idStarts[i] = idStart;
    idBytes += idLength;
    streamIdEnds[i] = idBytes;
    streamFirstVersions[i] = firstVersion;
    streamEventStarts[i] = events;
    streamEventCounts[i] = count;
    events += count;
    cursor = offsetsStart + count * 4;
  }
  if (cursor !== bytes.length) return fail(cursor, 'bytes left after the last stream entry');
  if (events !== eventCount) return fail(12, `event count ${eventCount} does not match the ${events} indexed events`);
  const streamIdBytes = Buffer.allocUnsafeSlow(idBytes);
  for (let i = 0, to = 0; i < streamCount; i++) {
    for (let from = idStarts[i] as number, end = to + ((streamIdEnds[i] as number) - to); to < end; ) streamIdBytes[to++] = bytes[from++] as number;
  }
  return { streamCount, streamFirstVersions, streamEventStarts, streamEventCounts, eventOffsets, streamIdBytes, streamIdEnds };
}

/** Bytewise order of `bytes[aStart, aStart + aLength)` and `bytes[bStart, bStart + bLength)`: negative, zero or positive. */
function compareBytes(bytes: Buffer, aStart: number, aLength: number, bStart: number, bLength: number): number {
  const common = Math.min(aLength, bLength);
  for (let k = 0; k < common; k++) {
    const difference = (bytes[aStart + k] as number) - (bytes[bStart + k] as number);
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}
