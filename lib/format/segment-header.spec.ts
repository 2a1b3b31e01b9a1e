import fc from 'fast-check';
import { safeU64 } from '../../test/chain/arbitraries';
import { applyMutations, decodeOrFormatError, flipBit, FUZZ_RUNS, mutationsArbitrary } from '../../test/chain/mutations';
import { FormatError } from '../errors/format.error';
import { checksum } from './bytes';
import {
  decodeSegmentHeader,
  encodeSegmentHeader,
  SEGMENT_FORMAT_VERSION,
  SEGMENT_HEADER_BYTES,
  SEGMENT_HEADER_RESERVED_BYTES,
  SEGMENT_MAGIC,
  SegmentHeader,
} from './segment-header';

const sample: SegmentHeader = {
  storeId: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
  segmentNumber: 2,
  commitCount: 3,
  firstPosition: 40,
  eventCount: 7,
  firstRecordedAtMs: 1_700_000_000_000,
  lastRecordedAtMs: 1_700_000_000_500,
  bodyLength: 900,
  indexOffset: 1100,
  indexLength: 120,
  merkleRoot: Buffer.alloc(32, 0x11),
  lastCommitHash: Buffer.alloc(32, 0x22),
};

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));
const segmentHeader: fc.Arbitrary<SegmentHeader> = fc.record({
  storeId: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b)),
  segmentNumber: fc.nat({ max: 0xffff_ffff }),
  commitCount: fc.nat({ max: 0xffff_ffff }),
  firstPosition: safeU64,
  eventCount: fc.nat({ max: 0xffff_ffff }),
  firstRecordedAtMs: safeU64,
  lastRecordedAtMs: safeU64,
  bodyLength: safeU64,
  indexOffset: safeU64,
  indexLength: safeU64,
  merkleRoot: bytes32,
  lastCommitHash: bytes32,
});

const CHECKSUM_OFFSET = 252;
function reseal(bytes: Buffer): Buffer {
  if (bytes.length >= SEGMENT_HEADER_BYTES) bytes.writeUInt32LE(checksum(bytes, 0, CHECKSUM_OFFSET), CHECKSUM_OFFSET);
  return bytes;
}

describe('segment header', () => {
  it('is 256 bytes, 100 of them reserved', () => {
    expect(SEGMENT_HEADER_BYTES).toBe(256);
    expect(SEGMENT_HEADER_RESERVED_BYTES).toBe(100);
    expect(encodeSegmentHeader(sample).length).toBe(SEGMENT_HEADER_BYTES);
  });

  it('puts its fields at their documented offsets, reserved bytes zero, checksum of bytes [0, 252)', () => {
    const bytes = encodeSegmentHeader(sample);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('CSEG');
    expect(bytes.readUInt32LE(0)).toBe(SEGMENT_MAGIC);
    expect(bytes.readUInt16LE(4)).toBe(SEGMENT_FORMAT_VERSION);
    expect(bytes.readUInt16LE(6)).toBe(256);
    expect(bytes.subarray(8, 24)).toEqual(sample.storeId);
    expect([24, 28, 40, 44].map((at) => bytes.readUInt32LE(at))).toEqual([2, 3, 7, 0]);
    expect([32, 48, 56, 64, 72, 80].map((at) => Number(bytes.readBigUInt64LE(at)))).toEqual([40, 1_700_000_000_000, 1_700_000_000_500, 900, 1100, 120]);
    expect(bytes.subarray(88, 120)).toEqual(sample.merkleRoot);
    expect(bytes.subarray(120, 152)).toEqual(sample.lastCommitHash);
    expect(bytes.subarray(152, 252)).toEqual(Buffer.alloc(100));
    expect(bytes.readUInt32LE(252)).toBe(checksum(bytes, 0, 252));
  });

  it('decodes what it encodes, ignoring the bytes after it', () => {
    fc.assert(
      fc.property(segmentHeader, fc.uint8Array({ maxLength: 64 }), (header, rest) => {
        expect(decodeSegmentHeader(Buffer.concat([encodeSegmentHeader(header), rest]))).toEqual(header);
      }),
      FUZZ_RUNS,
    );
  });

  it('reports any single flipped bit and any truncation', () => {
    const bytes = encodeSegmentHeader(sample);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const damaged = Buffer.from(bytes);
      flipBit(damaged, bit);
      expect(decodeSegmentHeader(damaged)).toBeInstanceOf(FormatError);
    }
    for (let length = 0; length < bytes.length; length++) {
      expect(decodeSegmentHeader(bytes.subarray(0, length))).toBeInstanceOf(FormatError);
    }
  });

  it('refuses a checksum-valid header of another format version or header size', () => {
    const version = encodeSegmentHeader(sample);
    version.writeUInt16LE(2, 4);
    expect(decodeSegmentHeader(reseal(version))).toMatchObject({ offset: 4, reason: 'unsupported format version 2' });
    const size = encodeSegmentHeader(sample);
    size.writeUInt16LE(512, 6);
    expect(decodeSegmentHeader(reseal(size))).toMatchObject({ offset: 6 });
  });

  it('names the u64 field that is above 2^53', () => {
    for (const field of [32, 48, 56, 64, 72, 80]) {
      const bytes = encodeSegmentHeader(sample);
      bytes.writeUInt32LE(0x0020_0000, field + 4);
      expect(decodeSegmentHeader(reseal(bytes))).toMatchObject({ offset: field, reason: 'a u64 field is above 2^53' });
    }
  });

  it('returns a FormatError or a header for damaged or random bytes, never an exception', () => {
    fc.assert(
      fc.property(segmentHeader, mutationsArbitrary([0, 4, 6, 28, 36, 40, 52, 60, 68, 76, 84, 252]), fc.boolean(), (header, mutations, resealAfter) => {
        const damaged = applyMutations(encodeSegmentHeader(header), mutations);
        if (resealAfter) reseal(damaged);
        decodeOrFormatError(damaged.length, () => decodeSegmentHeader(damaged));
      }),
      FUZZ_RUNS,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (random, resealAfter) => {
        const bytes = Buffer.from(random);
        if (resealAfter) reseal(bytes);
        decodeOrFormatError(bytes.length, () => decodeSegmentHeader(bytes));
      }),
      FUZZ_RUNS,
    );
  });
});
