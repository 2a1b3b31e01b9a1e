import { CorruptionError } from '../errors/corruption.error';
import { EventRecord } from '../format';
import { RecordedEvent } from './types';

const EMPTY_METADATA = '{}';

export function uuidFromBytes(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The public shape of a decoded record: JSON parsed, id as a UUID string, recordedAt as a Date. */
export function toRecordedEvent(record: EventRecord, file: string, offset: number): RecordedEvent {
  try {
    return {
      id: uuidFromBytes(record.id),
      streamId: record.streamId,
      version: record.version,
      position: record.position,
      type: record.type,
      data: JSON.parse(record.data.toString('utf8')) as unknown,
      metadata: JSON.parse(record.metadata.length === 0 ? EMPTY_METADATA : record.metadata.toString('utf8')) as Record<string, unknown>,
      recordedAt: new Date(record.recordedAtMs),
    };
  } catch (error) {
    throw new CorruptionError(file, offset, `event ${record.position} holds JSON that does not parse: ${(error as Error).message}`);
  }
}
