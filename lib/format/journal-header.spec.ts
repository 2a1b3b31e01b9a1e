import fc from 'fast-check';
import { safeU64 } from '../../test/chain/arbitraries';
import { applyMutations, decodeOrFormatError, flipBit, FUZZ_RUNS, mutationsArbitrary } from '../../test/chain/mutations';
import { FormatError } from '../errors/format.error';
import { checksum } from './bytes';
import {
  decodeJournalHeader,
  encodeJournalHeader,
  JOURNAL_FORMAT_VERSION,
  JOURNAL_HEADER_BYTES,
  JOURNAL_MAGIC,
  JournalHeader,
  SALT_BYTES,
  STORE_ID_BYTES,
} from './journal-header';

const sample: JournalHeader = {
  storeId: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
  segmentNumber: 3,
  salt: Buffer.from('5a5a5a5a5a5a5a5a', 'hex'),
  firstPosition: 1234,
};

const journalHeader: fc.Arbitrary<JournalHeader> = fc.record({
  storeId: fc.uint8Array({ minLength: STORE_ID_BYTES, maxLength: STORE_ID_BYTES }).map((b) => Buffer.from(b)),
  segmentNumber: fc.nat({ max: 0xffff_ffff }),
  salt: fc.uint8Array({ minLength: SALT_BYTES, maxLength: SALT_BYTES }).map((b) => Buffer.from(b)),
  firstPosition: safeU64,
});

function reseal(bytes: Buffer): Buffer {
  if (bytes.length >= JOURNAL_HEADER_BYTES) bytes.writeUInt32LE(checksum(bytes, 0, 60), 60);
  return bytes;
}

describe('journal header', () => {
  it('is 64 bytes', () => {
    expect(JOURNAL_HEADER_BYTES).toBe(64);
    expect(encodeJournalHeader(sample).length).toBe(JOURNAL_HEADER_BYTES);
  });

  it('puts its fields at their documented offsets, reserved bytes zero, checksum of bytes [0, 60)', () => {
    const bytes = encodeJournalHeader(sample);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('CSJL');
    expect(bytes.readUInt32LE(0)).toBe(JOURNAL_MAGIC);
    expect(bytes.readUInt16LE(4)).toBe(JOURNAL_FORMAT_VERSION);
    expect(bytes.readUInt16LE(6)).toBe(64);
    expect(bytes.subarray(8, 24)).toEqual(sample.storeId);
    expect(bytes.readUInt32LE(24)).toBe(3);
    expect(bytes.readUInt32LE(28)).toBe(0);
    expect(bytes.subarray(32, 40)).toEqual(sample.salt);
    expect(bytes.readBigUInt64LE(40)).toBe(1234n);
    expect(bytes.subarray(48, 60)).toEqual(Buffer.alloc(12));
    expect(bytes.readUInt32LE(60)).toBe(checksum(bytes, 0, 60));
  });

  it('decodes what it encodes, ignoring the frames after it', () => {
    fc.assert(
      fc.property(journalHeader, fc.uint8Array({ maxLength: 64 }), (header, frames) => {
        expect(decodeJournalHeader(Buffer.concat([encodeJournalHeader(header), frames]))).toEqual(header);
      }),
      FUZZ_RUNS,
    );
  });

  it('reports any single flipped bit and any truncation', () => {
    const bytes = encodeJournalHeader(sample);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const damaged = Buffer.from(bytes);
      flipBit(damaged, bit);
      expect(decodeJournalHeader(damaged)).toBeInstanceOf(FormatError);
    }
    for (let length = 0; length < bytes.length; length++) {
      expect(decodeJournalHeader(bytes.subarray(0, length))).toBeInstanceOf(FormatError);
    }
  });

  it('refuses a checksum-valid header of another format version or size', () => {
    const version = encodeJournalHeader(sample);
    version.writeUInt16LE(2, 4);
    expect(decodeJournalHeader(reseal(version))).toMatchObject({ offset: 4, reason: 'unsupported format version 2' });
    const size = encodeJournalHeader(sample);
    size.writeUInt16LE(128, 6);
    expect(decodeJournalHeader(reseal(size))).toMatchObject({ offset: 6 });
  });

  it('reports a first position above 2^53', () => {
    const bytes = encodeJournalHeader(sample);
    bytes.writeUInt32LE(0xffff_ffff, 44);
    expect(decodeJournalHeader(reseal(bytes))).toMatchObject({ offset: 40 });
  });

  it('returns a FormatError or a header for damaged or random bytes, never an exception', () => {
    fc.assert(
      fc.property(journalHeader, mutationsArbitrary([0, 4, 6, 24, 40, 44, 60]), fc.boolean(), (header, mutations, resealAfter) => {
        const damaged = applyMutations(encodeJournalHeader(header), mutations);
        if (resealAfter) reseal(damaged);
        decodeOrFormatError(damaged.length, () => decodeJournalHeader(damaged));
      }),
      FUZZ_RUNS,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (random) => {
        decodeOrFormatError(random.length, () => decodeJournalHeader(Buffer.from(random)));
      }),
      FUZZ_RUNS,
    );
  });
});
