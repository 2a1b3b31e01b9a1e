import { randomFillSync } from 'node:crypto';
import { InvalidEventError } from '../errors/invalid-event.error';
import { EVENT_RECORD_HEADER_BYTES, eventRecordLength, MAX_EVENT_TYPE_BYTES, MAX_STREAM_ID_BYTES } from '../format';
import { CommitEvent } from '../segment';
import { MAX_APPEND_BYTES } from './options';
import { NewEvent } from './types';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMPTY = Buffer.alloc(0);

/** An append's events, checked and encoded, before versions are assigned. */
export interface EncodedEvent extends Omit<CommitEvent, 'version'> {
  /** The id as the caller gave it (lower case); absent when the store made it. */
  givenId: string | undefined;
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
  const encoded: EncodedEvent[] = [];
  const seenIds = events.length > 1 ? new Set<string>() : undefined;
  for (let index = 0; index < events.length; index++) {
    const one = encodeEvent(streamId, events[index], index, maxEventSizeBytes);
    if (one.givenId !== undefined && seenIds) {
      if (seenIds.has(one.givenId)) throw new InvalidEventError(`${eventField(index)}.id`, `repeats id ${one.givenId} of an earlier event of this append`);
      seenIds.add(one.givenId);
    }
    totalBytes += eventRecordLength(one);
    encoded.push(one);
  }
  if (totalBytes > MAX_APPEND_BYTES) throw new InvalidEventError('events', `take ${totalBytes} bytes together; the limit of one append is ${MAX_APPEND_BYTES}`);
  return encoded;
}

/** The engine's shape of an encoded event, at its version. */
export function commitEventOf(event: EncodedEvent, version: number): CommitEvent {
  return { id: event.id, streamId: event.streamId, type: event.type, data: event.data, metadata: event.metadata, version };
}

function eventField(index: number): string {
  return `events[${index}]`;
}

function encodeEvent(streamId: Buffer, event: unknown, index: number, maxEventSizeBytes: number): EncodedEvent {
  if (event === null || typeof event !== 'object') throw new InvalidEventError(eventField(index), 'must be an object { type, data, metadata?, id? }');
  const { type, data, metadata, id } = event as NewEvent;
  const typeBytes = typeBytesOf(type, index);
  if (data === undefined) throw new InvalidEventError(`${eventField(index)}.data`, 'is required (use null for no data)');
  const dataBytes = toJson(data, index, 'data');
  let metadataBytes: Buffer = EMPTY;
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new InvalidEventError(`${eventField(index)}.metadata`, 'must be a plain object');
    metadataBytes = toJson(metadata, index, 'metadata');
  }
  const givenId = checkId(id, index);
  const size = EVENT_RECORD_HEADER_BYTES + streamId.length + typeBytes.length + dataBytes.length + metadataBytes.length;
  if (size > maxEventSizeBytes) throw new InvalidEventError(eventField(index), `is ${size} bytes encoded; the limit (maxEventSizeBytes) is ${maxEventSizeBytes}`);
  const idBytes = givenId === undefined ? randomIdBytes() : Buffer.from(givenId.replace(/-/g, ''), 'hex');
  return { givenId, id: idBytes, streamId, type: typeBytes, data: dataBytes, metadata: metadataBytes };
}

/** An app uses a handful of event types: their bytes are made once (and never written to). */
const typeBytesCache = new Map<string, Buffer>();
const MAX_CACHED_TYPES = 4096;

function typeBytesOf(type: unknown, index: number): Buffer {
  const cached = typeof type === 'string' ? typeBytesCache.get(type) : undefined;
  if (cached) return cached;
  if (typeof type !== 'string' || type.length === 0) throw new InvalidEventError(`${eventField(index)}.type`, 'must be a non-empty string');
  const bytes = Buffer.from(type, 'utf8');
  if (bytes.length > MAX_EVENT_TYPE_BYTES) throw new InvalidEventError(`${eventField(index)}.type`, `is ${bytes.length} bytes; the limit is ${MAX_EVENT_TYPE_BYTES}`);
  if (typeBytesCache.size < MAX_CACHED_TYPES) typeBytesCache.set(type, bytes);
  return bytes;
}

/** Random ids made 256 at a time: one randomFillSync per pool rather than a randomUUID and a parse per event. */
const IDS_PER_POOL = 256;
let idPool = Buffer.alloc(0);
let idPoolOffset = 0;

/** A random (version 4) UUID's 16 bytes. */
function randomIdBytes(): Buffer {
  if (idPoolOffset === idPool.length) {
    idPool = randomFillSync(Buffer.allocUnsafeSlow(16 * IDS_PER_POOL));
    idPoolOffset = 0;
  }
  const id = idPool.subarray(idPoolOffset, (idPoolOffset += 16));
  id[6] = ((id[6] as number) & 0x0f) | 0x40;
  id[8] = ((id[8] as number) & 0x3f) | 0x80;
  return id;
}

function checkId(id: unknown, index: number): string | undefined {
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || !UUID_PATTERN.test(id)) throw new InvalidEventError(`${eventField(index)}.id`, `must be a UUID string, not ${describe(id)}`);
  return id.toLowerCase();
}

/** JSON that reads back as what was given: refuses what JSON would drop or change silently. */
function toJson(value: unknown, index: number, property: 'data' | 'metadata'): Buffer {
  const field = (): string => `${eventField(index)}.${property}`;
  let text: string | undefined;
  try {
    text = isPlainData(value, 0) ? JSON.stringify(value) : JSON.stringify(value, (key, inner: unknown) => refuseLossy(field(), key, inner));
  } catch (error) {
    if (error instanceof InvalidEventError) throw error;
    throw new InvalidEventError(field(), `cannot be written as JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new InvalidEventError(field(), 'cannot be written as JSON');
  return Buffer.from(text, 'utf8');
}

/** The replacer of the careful path: every value JSON.stringify visits, after its toJSON. */
function refuseLossy(field: string, key: string, inner: unknown): unknown {
  const where = key === '' ? '' : ` at key ${JSON.stringify(key)}`;
  if (typeof inner === 'function' || typeof inner === 'symbol') throw new InvalidEventError(field, `holds a ${typeof inner}${where}, which JSON cannot carry`);
  if (typeof inner === 'number' && !Number.isFinite(inner)) throw new InvalidEventError(field, `holds ${inner}${where}, which JSON cannot carry`);
  if (inner instanceof Map || inner instanceof Set) throw new InvalidEventError(field, `holds a ${inner.constructor.name}${where}, which JSON would write as {}`);
  return inner;
}

/** Deeper than this, the careful path decides (and names a cycle). */
const MAX_PLAIN_DEPTH = 64;

/**
 * True when JSON.stringify visits nothing that refuseLossy would refuse and no toJSON but Date's
 * changes what it visits: the common case, checked without a replacer (a call back from native
 * code per key costs more than this walk). False sends the value down the careful path, which
 * accepts or names the problem.
 */
export function isPlainData(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null || value instanceof Date) return true;
  if (depth >= MAX_PLAIN_DEPTH || value instanceof Map || value instanceof Set) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!isPlainData(item, depth + 1)) return false;
    return true;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  for (const key of Object.keys(value)) if (!isPlainData((value as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
