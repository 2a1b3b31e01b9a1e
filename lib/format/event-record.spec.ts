import fc from 'fast-check';
import { eventRecordParts } from '../../test/chain/arbitraries';
import { applyMutations, decodeOrFormatError, FUZZ_RUNS, largestAllocationBytes, mutationsArbitrary } from '../../test/chain/mutations';
import { FormatError } from '../errors/format.error';
import {
  decodeEventRecord,
  EVENT_RECORD_HEADER_BYTES,
  EventRecord,
  eventRecordLength,
  EventRecordParts,
  MAX_EVENT_TYPE_BYTES,
  MAX_STREAM_ID_BYTES,
  writeEventRecord,
} from './event-record';

/** Offsets of the record's length fields (docs/FORMAT.md, "Event record"). */
const LENGTH_FIELDS = [0, 4, 6, 48, 52];

function encode(parts: EventRecordParts): Buffer {
  const bytes = Buffer.alloc(eventRecordLength(parts));
  expect(writeEventRecord(bytes, 0, parts)).toBe(bytes.length);
  return bytes;
}

const sample: EventRecordParts = {
  position: 7,
  version: 3,
  recordedAtMs: 1_700_000_000_000,
  id: Buffer.from('0f8fad5bd9cb469fa16570867728950e', 'hex'),
  streamId: Buffer.from('account-42'),
  type: Buffer.from('MoneyDeposited'),
  data: Buffer.from('{"amount":10}'),
  metadata: Buffer.from('{"by":"x"}'),
};

describe('event record', () => {
  it('has a 56-byte header, and a record is the header plus its four byte fields', () => {
    expect(EVENT_RECORD_HEADER_BYTES).toBe(56);
    const empty = { ...sample, streamId: Buffer.alloc(0), type: Buffer.alloc(0), data: Buffer.alloc(0), metadata: Buffer.alloc(0) };
    expect(encode(empty).length).toBe(EVENT_RECORD_HEADER_BYTES);
    expect(encode(sample).length).toBe(EVENT_RECORD_HEADER_BYTES + 10 + 14 + 13 + 10);
  });

  it('puts every field at its documented offset, little-endian, with the bytes after the header in order', () => {
    const bytes = encode(sample);
    expect(bytes.readUInt32LE(0)).toBe(bytes.length);
    expect(bytes.readUInt16LE(4)).toBe(10);
    expect(bytes.readUInt16LE(6)).toBe(14);
    expect(bytes.readBigUInt64LE(8)).toBe(7n);
    expect(bytes.readBigUInt64LE(16)).toBe(3n);
    expect(bytes.readBigUInt64LE(24)).toBe(1_700_000_000_000n);
    expect(bytes.subarray(32, 48).toString('hex')).toBe('0f8fad5bd9cb469fa16570867728950e');
    expect(bytes.readUInt32LE(48)).toBe(13);
    expect(bytes.readUInt32LE(52)).toBe(10);
    expect(bytes.subarray(56).toString('utf8')).toBe('account-42MoneyDeposited{"amount":10}{"by":"x"}');
  });

  it('decodes what it encodes, at any offset inside a larger buffer', () => {
    fc.assert(
      fc.property(eventRecordParts, fc.nat({ max: 64 }), fc.nat({ max: 64 }), (parts, before, after) => {
        const record = encode(parts);
        const buffer = Buffer.concat([Buffer.alloc(before, 0xee), record, Buffer.alloc(after, 0xee)]);
        const decoded = decodeEventRecord(buffer, before, buffer.length) as EventRecord;
        expect(decoded).not.toBeInstanceOf(FormatError);
        expect(decoded.recordLength).toBe(record.length);
        expect(decoded.position).toBe(parts.position);
        expect(decoded.version).toBe(parts.version);
        expect(decoded.recordedAtMs).toBe(parts.recordedAtMs);
        expect(Buffer.from(decoded.id)).toEqual(Buffer.from(parts.id));
        expect(Buffer.from(decoded.streamId, 'utf8')).toEqual(parts.streamId);
        expect(Buffer.from(decoded.type, 'utf8')).toEqual(parts.type);
        expect(Buffer.from(decoded.data)).toEqual(parts.data);
        expect(Buffer.from(decoded.metadata)).toEqual(parts.metadata);
      }),
      FUZZ_RUNS,
    );
  });

  it('reports a record that runs past the end of its block (every truncation)', () => {
    const record = encode(sample);
    for (let length = 0; length < record.length; length++) {
      const result = decodeEventRecord(record, 0, length);
      expect(result).toBeInstanceOf(FormatError);
    }
  });

  it('reports a record cut short by its buffer, even when `end` says the block goes on', () => {
    const record = encode(sample);
    for (const length of [0, EVENT_RECORD_HEADER_BYTES - 1, EVENT_RECORD_HEADER_BYTES, record.length - 1]) {
      expect(decodeEventRecord(record.subarray(0, length), 0, record.length)).toBeInstanceOf(FormatError);
    }
  });

  it('reports a record length that disagrees with its field lengths', () => {
    const record = encode(sample);
    record.writeUInt32LE(record.length - 1, 0);
    expect(decodeEventRecord(record, 0, record.length)).toMatchObject({ offset: 0, reason: expect.stringContaining('does not match its fields') });
  });

  it('reports an empty or oversized stream id or type', () => {
    const cases: Array<[Partial<EventRecordParts>, number]> = [
      [{ streamId: Buffer.alloc(0) }, 4],
      [{ streamId: Buffer.alloc(MAX_STREAM_ID_BYTES + 1, 0x61) }, 4],
      [{ type: Buffer.alloc(0) }, 6],
      [{ type: Buffer.alloc(MAX_EVENT_TYPE_BYTES + 1, 0x61) }, 6],
    ];
    for (const [change, offset] of cases) {
      const record = encode({ ...sample, ...change });
      expect(decodeEventRecord(record, 0, record.length)).toMatchObject({ structure: 'event record', offset });
    }
  });

  it('reports a u64 field above 2^53 instead of returning an inexact number', () => {
    for (const field of [8, 16, 24]) {
      const record = encode(sample);
      record.writeUInt32LE(0x0020_0000, field + 4);
      expect(decodeEventRecord(record, 0, record.length)).toMatchObject({ offset: 8, reason: expect.stringContaining('2^53') });
    }
  });

  it('returns a FormatError or a record that fits its block for damaged bytes, never throws or over-allocates', () => {
    fc.assert(
      fc.property(eventRecordParts, mutationsArbitrary(LENGTH_FIELDS), fc.nat({ max: 16 }), (parts, mutations, offset) => {
        const bytes = Buffer.concat([Buffer.alloc(offset), applyMutations(encode(parts), mutations)]);
        let result: EventRecord | FormatError | undefined;
        const allocated = largestAllocationBytes(() => {
          result = decodeOrFormatError(bytes.length - offset, () => decodeEventRecord(bytes, offset, bytes.length));
        });
        expect(allocated).toBeLessThanOrEqual(bytes.length);
        if (!(result instanceof FormatError)) {
          const record = result as EventRecord;
          expect(record.recordLength).toBeGreaterThanOrEqual(EVENT_RECORD_HEADER_BYTES);
          expect(offset + record.recordLength).toBeLessThanOrEqual(bytes.length);
        }
      }),
      FUZZ_RUNS,
    );
  });

  it('returns a FormatError or a record that fits for random bytes, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (random) => {
        const bytes = Buffer.from(random);
        const result = decodeOrFormatError(bytes.length, () => decodeEventRecord(bytes, 0, bytes.length));
        if (!(result instanceof FormatError)) expect(result.recordLength).toBeLessThanOrEqual(bytes.length);
      }),
      FUZZ_RUNS,
    );
  });
});
