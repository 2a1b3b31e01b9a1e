import { FormatError } from '../errors/format.error';
import { readU64, writeU64 } from './bytes';
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
 *   streams:      streamCount entries, in order of first appearance, of
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

export interface IndexedStream {
  streamId: string;
  firstVersion: number;
  eventOffsets: Uint32Array;
}

export interface SegmentIndex {
  eventCount: number;
  commitOffsets: Uint32Array;
  commitPositionDeltas: Uint32Array;
  commitRecordedAtMs: Float64Array;
  streams: IndexedStream[];
}

export function encodeIndexBlock(index: SegmentIndex): Buffer {
  const streamIds = index.streams.map((stream) => Buffer.from(stream.streamId, 'utf8'));
  let length = INDEX_HEADER_BYTES + index.commitOffsets.length * INDEX_COMMIT_ENTRY_BYTES;
  index.streams.forEach((stream, i) => {
    length += INDEX_STREAM_ENTRY_HEADER_BYTES + (streamIds[i]?.length ?? 0) + stream.eventOffsets.length * 4;
  });
  const bytes = Buffer.alloc(length);
  bytes.writeUInt32LE(INDEX_MAGIC, 0);
  bytes.writeUInt32LE(index.commitOffsets.length, 4);
  bytes.writeUInt32LE(index.streams.length, 8);
  bytes.writeUInt32LE(index.eventCount, 12);
  let cursor = INDEX_HEADER_BYTES;
  for (let i = 0; i < index.commitOffsets.length; i++) {
    bytes.writeUInt32LE(index.commitOffsets[i] ?? 0, cursor);
    bytes.writeUInt32LE(index.commitPositionDeltas[i] ?? 0, cursor + 4);
    writeU64(bytes, cursor + 8, index.commitRecordedAtMs[i] ?? 0);
    cursor += INDEX_COMMIT_ENTRY_BYTES;
  }
  index.streams.forEach((stream, i) => {
    const id = streamIds[i] ?? Buffer.alloc(0);
    bytes.writeUInt16LE(id.length, cursor);
    bytes.writeUInt32LE(stream.eventOffsets.length, cursor + 4);
    writeU64(bytes, cursor + 8, stream.firstVersion);
    bytes.set(id, cursor + INDEX_STREAM_ENTRY_HEADER_BYTES);
    cursor += INDEX_STREAM_ENTRY_HEADER_BYTES + id.length;
    for (const offset of stream.eventOffsets) {
      bytes.writeUInt32LE(offset, cursor);
      cursor += 4;
    }
  });
  return bytes;
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
  const streams = decodeStreamTable(bytes, commitsEnd, streamCount);
  if (streams instanceof FormatError) return streams;
  const indexed = streams.reduce((sum, stream) => sum + stream.eventOffsets.length, 0);
  if (indexed !== eventCount) return fail(12, `event count ${eventCount} does not match the ${indexed} indexed events`);
  return { eventCount, ...commits, streams };
}

function decodeCommitTable(bytes: Buffer, commitCount: number): Omit<SegmentIndex, 'eventCount' | 'streams'> | FormatError {
  const commitOffsets = new Uint32Array(commitCount);
  const commitPositionDeltas = new Uint32Array(commitCount);
  const commitRecordedAtMs = new Float64Array(commitCount);
  for (let i = 0, cursor = INDEX_HEADER_BYTES; i < commitCount; i++, cursor += INDEX_COMMIT_ENTRY_BYTES) {
    commitOffsets[i] = bytes.readUInt32LE(cursor);
    commitPositionDeltas[i] = bytes.readUInt32LE(cursor + 4);
    const recordedAtMs = readU64(bytes, cursor + 8);
    if (recordedAtMs < 0) return new FormatError('index block', cursor + 8, 'recordedAt above 2^53');
    commitRecordedAtMs[i] = recordedAtMs;
  }
  return { commitOffsets, commitPositionDeltas, commitRecordedAtMs };
}

function decodeStreamTable(bytes: Buffer, start: number, streamCount: number): IndexedStream[] | FormatError {
  const fail = (offset: number, reason: string) => new FormatError('index block', offset, reason);
  const streams: IndexedStream[] = [];
  let cursor = start;
  for (let i = 0; i < streamCount; i++) {
    if (bytes.length - cursor < INDEX_STREAM_ENTRY_HEADER_BYTES) return fail(cursor, 'stream entry runs past the block');
    const idLength = bytes.readUInt16LE(cursor);
    const eventCount = bytes.readUInt32LE(cursor + 4);
    const firstVersion = readU64(bytes, cursor + 8);
    if (idLength === 0 || idLength > MAX_STREAM_ID_BYTES) return fail(cursor, 'stream id length out of range');
    if (firstVersion < 0) return fail(cursor + 8, 'first version above 2^53');
    const idStart = cursor + INDEX_STREAM_ENTRY_HEADER_BYTES;
    const offsetsStart = idStart + idLength;
    if (eventCount === 0 || eventCount > (bytes.length - offsetsStart) / 4) return fail(cursor + 4, `stream event count ${eventCount} out of range`);
    const eventOffsets = new Uint32Array(eventCount);
    for (let j = 0; j < eventCount; j++) eventOffsets[j] = bytes.readUInt32LE(offsetsStart + j * 4);
    streams.push({ streamId: bytes.toString('utf8', idStart, offsetsStart), firstVersion, eventOffsets });
    cursor = offsetsStart + eventCount * 4;
  }
  if (cursor !== bytes.length) return fail(cursor, 'bytes left after the last stream entry');
  return streams;
}
