import { CorruptionError } from '../errors/corruption.error';
import { EVENT_RECORD_HEADER_BYTES, EventRecord, EventRecordLayout } from '../format';
import { StoreLayout } from '../segment';
import { RecordedEvent } from './types';

const HEX_DIGITS = '0123456789abcdef';
/** The character codes of each byte's two hex digits. */
const HIGH_DIGIT = Uint8Array.from({ length: 256 }, (_, byte) => HEX_DIGITS.charCodeAt(byte >> 4));
const LOW_DIGIT = Uint8Array.from({ length: 256 }, (_, byte) => HEX_DIGITS.charCodeAt(byte & 15));
const DASH = 0x2d;

/**
 * 8-4-4-4-12 hex of the 16 bytes at `offset`, made by one String.fromCharCode of its 36 codes: a
 * flat string in one call (half the time of filling a scratch buffer and decoding it), where
 * joining 20 pieces made a rope of 20 strings per event.
 */
export function uuidFromBytes(bytes: Uint8Array, offset = 0): string {
  // Written out, not through helper closures: V8 did not inline those here, and the call took twice as long.
  return String.fromCharCode(
    HIGH_DIGIT[bytes[offset + 0] as number] as number, LOW_DIGIT[bytes[offset + 0] as number] as number,
    HIGH_DIGIT[bytes[offset + 1] as number] as number, LOW_DIGIT[bytes[offset + 1] as number] as number,
    HIGH_DIGIT[bytes[offset + 2] as number] as number, LOW_DIGIT[bytes[offset + 2] as number] as number,
    HIGH_DIGIT[bytes[offset + 3] as number] as number, LOW_DIGIT[bytes[offset + 3] as number] as number,
    DASH,
    HIGH_DIGIT[bytes[offset + 4] as number] as number, LOW_DIGIT[bytes[offset + 4] as number] as number,
    HIGH_DIGIT[bytes[offset + 5] as number] as number, LOW_DIGIT[bytes[offset + 5] as number] as number,
    DASH,
    HIGH_DIGIT[bytes[offset + 6] as number] as number, LOW_DIGIT[bytes[offset + 6] as number] as number,
    HIGH_DIGIT[bytes[offset + 7] as number] as number, LOW_DIGIT[bytes[offset + 7] as number] as number,
    DASH,
    HIGH_DIGIT[bytes[offset + 8] as number] as number, LOW_DIGIT[bytes[offset + 8] as number] as number,
    HIGH_DIGIT[bytes[offset + 9] as number] as number, LOW_DIGIT[bytes[offset + 9] as number] as number,
    DASH,
    HIGH_DIGIT[bytes[offset + 10] as number] as number, LOW_DIGIT[bytes[offset + 10] as number] as number,
    HIGH_DIGIT[bytes[offset + 11] as number] as number, LOW_DIGIT[bytes[offset + 11] as number] as number,
    HIGH_DIGIT[bytes[offset + 12] as number] as number, LOW_DIGIT[bytes[offset + 12] as number] as number,
    HIGH_DIGIT[bytes[offset + 13] as number] as number, LOW_DIGIT[bytes[offset + 13] as number] as number,
    HIGH_DIGIT[bytes[offset + 14] as number] as number, LOW_DIGIT[bytes[offset + 14] as number] as number,
    HIGH_DIGIT[bytes[offset + 15] as number] as number, LOW_DIGIT[bytes[offset + 15] as number] as number,
  );
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
