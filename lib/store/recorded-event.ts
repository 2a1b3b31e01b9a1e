import { CorruptionError } from '../errors/corruption.error';
import { EVENT_RECORD_HEADER_BYTES, EventRecord, EventRecordLayout } from '../format';
import { StoreLayout } from '../segment';
import { RecordedEvent } from './types';

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** 8-4-4-4-12 hex of the 16 bytes at `offset`; a lookup per byte rather than a Buffer, a hex string and five slices. */
export function uuidFromBytes(bytes: Uint8Array, offset = 0): string {
  let text = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text += '-';
    text += HEX[bytes[offset + i] as number];
  }
  return text;
}

/** A file by name, or a log part whose name is made only if an error needs it (not once per event). */
export type FileRef = string | { source: 'segment' | 'journal'; segmentNumber: number };

function nameOf(file: FileRef): string {
  return typeof file === 'string' ? file : StoreLayout.partName(file);
}

type PlainEventConstructor = new (
  id: string,
  streamId: string,
  version: number,
  position: number,
  type: string,
  data: unknown,
  metadata: Record<string, unknown>,
  recordedAt: Date,
) => RecordedEvent;

/**
 * Makes the RecordedEvents of a replay with `new`, not with an object literal: V8 tracks the objects
 * of a literal by where they were made and, when the first ones it sees all survive a collection
 * (as a chunk of events being built does), allocates every later one in the old generation. A replay
 * then ran at half speed, in about half the runs, collecting its whole heap over and over. What `new`
 * makes here is still a plain object: the prototype is Object.prototype, as a literal's.
 */
const PlainEvent = function (
  this: RecordedEvent,
  id: string,
  streamId: string,
  version: number,
  position: number,
  type: string,
  data: unknown,
  metadata: Record<string, unknown>,
  recordedAt: Date,
) {
  this.id = id;
  this.streamId = streamId;
  this.version = version;
  this.position = position;
  this.type = type;
  this.data = data;
  this.metadata = metadata;
  this.recordedAt = recordedAt;
} as unknown as PlainEventConstructor;
PlainEvent.prototype = Object.prototype;

/**
 * The public shape straight from the bytes of a checked record (no EventRecord and no views in
 * between): what a replay makes a million times. `fileBase` is the file offset of `bytes[0]`.
 */
export function recordedEventFromLayout(bytes: Buffer, layout: EventRecordLayout, file: FileRef, fileBase: number): RecordedEvent {
  let cursor = layout.offset + EVENT_RECORD_HEADER_BYTES;
  const streamId = bytes.toString('utf8', cursor, (cursor += layout.streamIdLength));
  const type = bytes.toString('utf8', cursor, (cursor += layout.typeLength));
  const dataStart = cursor;
  cursor += layout.dataLength;
  try {
    return new PlainEvent(
      uuidFromBytes(bytes, layout.offset + 32),
      streamId,
      layout.version,
      layout.position,
      type,
      JSON.parse(bytes.toString('utf8', dataStart, cursor)) as unknown,
      layout.metadataLength === 0 ? {} : (JSON.parse(bytes.toString('utf8', cursor, cursor + layout.metadataLength)) as Record<string, unknown>),
      new Date(layout.recordedAtMs),
    );
  } catch (error) {
    throw new CorruptionError(nameOf(file), fileBase + layout.offset, `event ${layout.position} holds JSON that does not parse: ${(error as Error).message}`);
  }
}

/** The public shape of a decoded record: JSON parsed, id as a UUID string, recordedAt as a Date. */
export function toRecordedEvent(record: EventRecord, file: FileRef, offset: number): RecordedEvent {
  try {
    return new PlainEvent(
      uuidFromBytes(record.id),
      record.streamId,
      record.version,
      record.position,
      record.type,
      JSON.parse(record.data.toString('utf8')) as unknown,
      record.metadata.length === 0 ? {} : (JSON.parse(record.metadata.toString('utf8')) as Record<string, unknown>),
      new Date(record.recordedAtMs),
    );
  } catch (error) {
    throw new CorruptionError(nameOf(file), offset, `event ${record.position} holds JSON that does not parse: ${(error as Error).message}`);
  }
}
