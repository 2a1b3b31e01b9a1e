import { FormatError } from '../errors/format.error';
import { u16At, u32At, u64At, writeU64 } from './bytes';

/**
 * One event, self-contained: it can be decoded without the commit around it.
 *
 *   recordLength:   u32  // bytes of the whole record, this field included; little-endian like every integer
 *   streamIdLength: u16  // UTF-8 bytes of the stream id
 *   typeLength:     u16  // UTF-8 bytes of the event type
 *   position:       u64  // global position, dense from 0
 *   version:        u64  // version inside its stream, dense from 0
 *   recordedAt:     u64  // milliseconds since the Unix epoch; never decreases along the log
 *   id:             16 bytes // the event id, a UUID in its binary form
 *   dataLength:     u32  // bytes of data (UTF-8 JSON)
 *   metadataLength: u32  // bytes of metadata (UTF-8 JSON); 0 means no metadata
 *   streamId, type, data, metadata: the bytes, in that order, no padding
 */
export const EVENT_RECORD_HEADER_BYTES = 4 + 2 + 2 + 8 + 8 + 8 + 16 + 4 + 4;
export const EVENT_ID_BYTES = 16;

/** Most bytes a stream id may take (UTF-8). */
export const MAX_STREAM_ID_BYTES = 1024;
/** Most bytes an event type may take (UTF-8). */
export const MAX_EVENT_TYPE_BYTES = 1024;

export interface EventRecordParts {
  position: number;
  version: number;
  recordedAtMs: number;
  id: Uint8Array;
  streamId: Buffer;
  type: Buffer;
  data: Buffer;
  metadata: Buffer;
}

/** A decoded record. Byte fields are views into the decoded buffer, not copies. */
export interface EventRecord {
  position: number;
  version: number;
  recordedAtMs: number;
  id: Buffer;
  streamId: string;
  type: string;
  data: Buffer;
  metadata: Buffer;
  /** Bytes the record takes, header included. */
  recordLength: number;
}

export function eventRecordLength(parts: Pick<EventRecordParts, 'streamId' | 'type' | 'data' | 'metadata'>): number {
  return (
    EVENT_RECORD_HEADER_BYTES + parts.streamId.length + parts.type.length + parts.data.length + parts.metadata.length
  );
}

/** Writes the record at `offset` of `target`; returns the offset after it. */
export function writeEventRecord(target: Buffer, offset: number, parts: EventRecordParts): number {
  return writeEventRecordAt(target, offset, parts, parts.position, parts.recordedAtMs);
}

/** writeEventRecord with the position and time given apart from the event's own fields (a commit's events share the time). */
export function writeEventRecordAt(
  target: Buffer,
  offset: number,
  event: Omit<EventRecordParts, 'position' | 'recordedAtMs'>,
  position: number,
  recordedAtMs: number,
): number {
  const { streamId, type, data, metadata } = event;
  target.writeUInt32LE(eventRecordLength(event), offset);
  target.writeUInt16LE(streamId.length, offset + 4);
  target.writeUInt16LE(type.length, offset + 6);
  writeU64(target, offset + 8, position);
  writeU64(target, offset + 16, event.version);
  writeU64(target, offset + 24, recordedAtMs);
  target.set(event.id, offset + 32);
  target.writeUInt32LE(data.length, offset + 48);
  target.writeUInt32LE(metadata.length, offset + 52);
  let cursor = offset + EVENT_RECORD_HEADER_BYTES;
  target.set(streamId, cursor);
  cursor += streamId.length;
  target.set(type, cursor);
  cursor += type.length;
  target.set(data, cursor);
  cursor += data.length;
  target.set(metadata, cursor);
  return cursor + metadata.length;
}

/** Where the fields of a checked record are: numbers only, nothing copied or decoded yet. */
export interface EventRecordLayout {
  offset: number;
  recordLength: number;
  position: number;
  version: number;
  recordedAtMs: number;
  streamIdLength: number;
  typeLength: number;
  dataLength: number;
  metadataLength: number;
}

/** A layout to fill again and again (readEventRecordLayout's `into`): no object made per record read. */
export function scratchEventRecordLayout(): EventRecordLayout {
  return { offset: 0, recordLength: 0, position: 0, version: 0, recordedAtMs: 0, streamIdLength: 0, typeLength: 0, dataLength: 0, metadataLength: 0 };
}

/**
 * Checks the record that starts at `offset` and must end at or before `end`; says where its fields
 * are, in `into` (overwritten: the caller is done with what it held; scratchEventRecordLayout).
 */
export function readEventRecordLayout(bytes: Buffer, offset: number, end: number, into: EventRecordLayout): EventRecordLayout | FormatError {
  const available = Math.min(end, bytes.length) - offset;
  if (available < EVENT_RECORD_HEADER_BYTES) return eventRecordError(0, 'shorter than an event header');
  const recordLength = u32At(bytes, offset);
  const streamIdLength = u16At(bytes, offset + 4);
  const typeLength = u16At(bytes, offset + 6);
  const dataLength = u32At(bytes, offset + 48);
  const metadataLength = u32At(bytes, offset + 52);
  const expected = EVENT_RECORD_HEADER_BYTES + streamIdLength + typeLength + dataLength + metadataLength;
  if (recordLength !== expected) return eventRecordError(0, `record length ${recordLength} does not match its fields (${expected})`);
  if (recordLength > available) return eventRecordError(0, `record length ${recordLength} runs past the end of its block`);
  if (streamIdLength === 0 || streamIdLength > MAX_STREAM_ID_BYTES) return eventRecordError(4, 'stream id length out of range');
  if (typeLength === 0 || typeLength > MAX_EVENT_TYPE_BYTES) return eventRecordError(6, 'type length out of range');
  const position = u64At(bytes, offset + 8);
  const version = u64At(bytes, offset + 16);
  const recordedAtMs = u64At(bytes, offset + 24);
  if (position < 0 || version < 0 || recordedAtMs < 0) return eventRecordError(8, 'a u64 field is above 2^53');
  into.offset = offset;
  into.recordLength = recordLength;
  into.position = position;
  into.version = version;
  into.recordedAtMs = recordedAtMs;
  into.streamIdLength = streamIdLength;
  into.typeLength = typeLength;
  into.dataLength = dataLength;
  into.metadataLength = metadataLength;
  return into;
}

/** `at` is relative to the record's start. A function, not a closure per call: a replay reads millions. */
function eventRecordError(at: number, reason: string): FormatError {
  return new FormatError('event record', at, reason);
}

/** The record's fields as values: strings decoded, byte fields as views into `bytes` (not copies). */
export function eventRecordFromLayout(bytes: Buffer, layout: EventRecordLayout): EventRecord {
  let cursor = layout.offset + EVENT_RECORD_HEADER_BYTES;
  const streamId = bytes.toString('utf8', cursor, (cursor += layout.streamIdLength));
  const type = bytes.toString('utf8', cursor, (cursor += layout.typeLength));
  const data = bytes.subarray(cursor, (cursor += layout.dataLength));
  const metadata = bytes.subarray(cursor, cursor + layout.metadataLength);
  const id = bytes.subarray(layout.offset + 32, layout.offset + 48);
  const { position, version, recordedAtMs, recordLength } = layout;
  return { position, version, recordedAtMs, id, streamId, type, data, metadata, recordLength };
}

/** decodeEventRecord's layout: eventRecordFromLayout copies what it needs out of it. */
const decodeLayout = scratchEventRecordLayout();

/** Decodes the record that starts at `offset` and must end at or before `end`. */
export function decodeEventRecord(bytes: Buffer, offset: number, end: number): EventRecord | FormatError {
  const layout = readEventRecordLayout(bytes, offset, end, decodeLayout);
  return layout instanceof FormatError ? layout : eventRecordFromLayout(bytes, layout);
}
