import { CorruptionError } from '../errors/corruption.error';
import { EVENT_RECORD_HEADER_BYTES, EventRecord, EventRecordLayout } from '../format';
import { StoreLayout } from '../segment';
import { RecordedEvent } from './types';

const HEX_DIGITS = '0123456789abcdef';
/** Where each byte's two hex digits go in the 36 characters of a UUID. */
const UUID_DIGIT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const uuidText = Buffer.alloc(36, '-');

/**
 * 8-4-4-4-12 hex of the 16 bytes at `offset`, written into one scratch buffer and read out as one
 * string: a flat 36-character string, where joining 20 pieces made a rope of 20 strings per event.
 */
export function uuidFromBytes(bytes: Uint8Array, offset = 0): string {
  for (let i = 0; i < 16; i++) {
    const byte = bytes[offset + i] as number;
    const at = UUID_DIGIT_AT[i] as number;
    uuidText[at] = HEX_DIGITS.charCodeAt(byte >> 4);
    uuidText[at + 1] = HEX_DIGITS.charCodeAt(byte & 15);
  }
  return uuidText.toString('latin1', 0, 36);
}

/**
 * The strings of recently decoded event types, by their bytes: a log holds few types, so most
 * events reuse a string instead of decoding (and keeping) a copy of their own. Direct-mapped on the
 * length and two bytes; a slot whose bytes differ is replaced.
 */
const TYPE_SLOTS = 64;
const typeSlotBytes: Array<Buffer | undefined> = new Array<Buffer | undefined>(TYPE_SLOTS).fill(undefined);
const typeSlotText: string[] = new Array<string>(TYPE_SLOTS).fill('');

function typeAt(bytes: Buffer, start: number, length: number): string {
  const slot = (length * 31 + (bytes[start] as number) * 7 + (bytes[start + length - 1] as number)) & (TYPE_SLOTS - 1);
  const cached = typeSlotBytes[slot];
  if (cached !== undefined && cached.length === length && sameBytes(cached, bytes, start)) return typeSlotText[slot] as string;
  const text = bytes.toString('utf8', start, start + length);
  typeSlotBytes[slot] = Buffer.from(bytes.subarray(start, start + length));
  typeSlotText[slot] = text;
  return text;
}

/** A string the caller expects to find, with its UTF-8 bytes: a stream read knows its stream's id. */
export interface KnownText {
  text: string;
  bytes: Buffer;
}

function textAt(bytes: Buffer, start: number, length: number, known: KnownText | undefined): string {
  if (known !== undefined && known.bytes.length === length && sameBytes(known.bytes, bytes, start)) return known.text;
  return bytes.toString('utf8', start, start + length);
}

function sameBytes(cached: Buffer, bytes: Buffer, start: number): boolean {
  for (let i = 0; i < cached.length; i++) if (cached[i] !== bytes[start + i]) return false;
  return true;
}

/** A file by name, or a log part whose name is made only if an error needs it (not once per event). */
export type FileRef = string | { source: 'segment' | 'journal'; segmentNumber: number };

function nameOf(file: FileRef): string {
  return typeof file === 'string' ? file : StoreLayout.partName(file);
}

/**
 * Makes the RecordedEvents of a replay with `new`, not with an object literal: V8 tracks the objects
 * of a literal by where they were made and, when the first ones it sees all survive a collection
 * (as a chunk of events being built does), allocates every later one in the old generation. A replay
 * then ran at half speed, in about half the runs, collecting its whole heap over and over. What `new`
 * makes here is still a plain object: the prototype is Object.prototype, as a literal's.
 */
function plainEvent(
  this: RecordedEvent,
  id: string,
  streamId: string,
  version: number,
  position: number,
  type: string,
  data: unknown,
  metadata: Record<string, unknown>,
  recordedAt: Date,
): void {
  this.id = id;
  this.streamId = streamId;
  this.version = version;
  this.position = position;
  this.type = type;
  this.data = data;
  this.metadata = metadata;
  this.recordedAt = recordedAt;
}
plainEvent.prototype = Object.prototype;
const PlainEvent = plainEvent as unknown as new (...fields: Parameters<typeof plainEvent>) => RecordedEvent;

/**
 * The public shape straight from the bytes of a checked record (no EventRecord and no views in
 * between): what a replay makes a million times. `fileBase` is the file offset of `bytes[0]`.
 */
export function recordedEventFromLayout(bytes: Buffer, layout: EventRecordLayout, file: FileRef, fileBase: number, knownStreamId?: KnownText): RecordedEvent {
  let cursor = layout.offset + EVENT_RECORD_HEADER_BYTES;
  const streamId = textAt(bytes, cursor, layout.streamIdLength, knownStreamId);
  cursor += layout.streamIdLength;
  const type = typeAt(bytes, cursor, layout.typeLength);
  cursor += layout.typeLength;
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
