import { randomUUID } from 'node:crypto';
import { InvalidEventError } from '../errors/invalid-event.error';
import { EVENT_RECORD_HEADER_BYTES, MAX_EVENT_TYPE_BYTES, MAX_STREAM_ID_BYTES } from '../format';
import { CommitEvent } from '../segment';
import { MAX_APPEND_BYTES } from './options';
import { NewEvent } from './types';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMPTY = Buffer.alloc(0);

/** An append's events, checked and encoded, before versions are assigned. */
export interface EncodedEvent extends Omit<CommitEvent, 'version'> {
  idText: string;
}

export function checkStreamId(streamId: unknown, field = 'streamId'): Buffer {
  if (typeof streamId !== 'string' || streamId.length === 0) throw new InvalidEventError(field, 'must be a non-empty string');
  const bytes = Buffer.from(streamId, 'utf8');
  if (bytes.length > MAX_STREAM_ID_BYTES) throw new InvalidEventError(field, `is ${bytes.length} bytes; the limit is ${MAX_STREAM_ID_BYTES}`);
  return bytes;
}

/**
 * Checks every event of an append and encodes it, or throws InvalidEventError naming the field and
 * the event index. Nothing is written before this returns.
 */
export function encodeEvents(streamId: Buffer, events: unknown, maxEventSizeBytes: number): EncodedEvent[] {
  if (!Array.isArray(events) || events.length === 0) throw new InvalidEventError('events', 'must be a non-empty array');
  let totalBytes = 0;
  const seenIds = new Set<string>();
  const encoded = events.map((event: unknown, index) => {
    const one = encodeEvent(streamId, event, `events[${index}]`, maxEventSizeBytes);
    if (seenIds.has(one.idText)) throw new InvalidEventError(`events[${index}].id`, `repeats id ${one.idText} of an earlier event of this append`);
    seenIds.add(one.idText);
    totalBytes += EVENT_RECORD_HEADER_BYTES + streamId.length + one.type.length + one.data.length + one.metadata.length;
    return one;
  });
  if (totalBytes > MAX_APPEND_BYTES) throw new InvalidEventError('events', `take ${totalBytes} bytes together; the limit of one append is ${MAX_APPEND_BYTES}`);
  return encoded;
}

function encodeEvent(streamId: Buffer, event: unknown, field: string, maxEventSizeBytes: number): EncodedEvent {
  if (event === null || typeof event !== 'object') throw new InvalidEventError(field, 'must be an object { type, data, metadata?, id? }');
  const { type, data, metadata, id } = event as NewEvent;
  if (typeof type !== 'string' || type.length === 0) throw new InvalidEventError(`${field}.type`, 'must be a non-empty string');
  const typeBytes = Buffer.from(type, 'utf8');
  if (typeBytes.length > MAX_EVENT_TYPE_BYTES) throw new InvalidEventError(`${field}.type`, `is ${typeBytes.length} bytes; the limit is ${MAX_EVENT_TYPE_BYTES}`);
  if (data === undefined) throw new InvalidEventError(`${field}.data`, 'is required (use null for no data)');
  const dataBytes = toJson(data, `${field}.data`);
  let metadataBytes: Buffer = EMPTY;
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new InvalidEventError(`${field}.metadata`, 'must be a plain object');
    metadataBytes = toJson(metadata, `${field}.metadata`);
  }
  const idText = checkId(id, `${field}.id`);
  const size = EVENT_RECORD_HEADER_BYTES + streamId.length + typeBytes.length + dataBytes.length + metadataBytes.length;
  if (size > maxEventSizeBytes) throw new InvalidEventError(field, `is ${size} bytes encoded; the limit (maxEventSizeBytes) is ${maxEventSizeBytes}`);
  return { idText, id: Buffer.from(idText.replace(/-/g, ''), 'hex'), streamId, type: typeBytes, data: dataBytes, metadata: metadataBytes };
}

function checkId(id: unknown, field: string): string {
  if (id === undefined) return randomUUID();
  if (typeof id !== 'string' || !UUID_PATTERN.test(id)) throw new InvalidEventError(field, `must be a UUID string, not ${describe(id)}`);
  return id.toLowerCase();
}

/** JSON that reads back as what was given: refuses what JSON would drop or change silently. */
function toJson(value: unknown, field: string): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (key, inner: unknown) => {
      const where = key === '' ? '' : ` at key ${JSON.stringify(key)}`;
      if (typeof inner === 'function' || typeof inner === 'symbol') throw new InvalidEventError(field, `holds a ${typeof inner}${where}, which JSON cannot carry`);
      if (typeof inner === 'number' && !Number.isFinite(inner)) throw new InvalidEventError(field, `holds ${inner}${where}, which JSON cannot carry`);
      if (inner instanceof Map || inner instanceof Set) throw new InvalidEventError(field, `holds a ${inner.constructor.name}${where}, which JSON would write as {}`);
      return inner;
    });
  } catch (error) {
    if (error instanceof InvalidEventError) throw error;
    throw new InvalidEventError(field, `cannot be written as JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new InvalidEventError(field, 'cannot be written as JSON');
  return Buffer.from(text, 'utf8');
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
