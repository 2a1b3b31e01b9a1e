import fc from 'fast-check';
import { alignUp, checksum, isZero, MAX_SAFE_U64, readU64, u16At, u32At, u64At, writeU64 } from './bytes';

describe('bytes', () => {
  it('writes a u64 little-endian and reads back every value up to 2^53 - 1', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(0, 0xffff_ffff, 0x1_0000_0000, MAX_SAFE_U64), fc.maxSafeNat()), (value) => {
        const bytes = Buffer.alloc(8);
        writeU64(bytes, 0, value);
        expect(bytes.readBigUInt64LE(0)).toBe(BigInt(value));
        expect(readU64(bytes, 0)).toBe(value);
        expect(u64At(bytes, 0)).toBe(value);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a u64 of 2^53 or more as -1 rather than as an inexact number', () => {
    for (const value of [2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64LE(value);
      expect(readU64(bytes, 0)).toBe(-1);
      expect(u64At(bytes, 0)).toBe(-1);
    }
  });

  it('refuses a u64 read whose 8 bytes are not all in the buffer (u64At is the unchecked read)', () => {
    const bytes = Buffer.alloc(12);
    expect(readU64(bytes, 4)).toBe(0);
    for (const offset of [5, 12, -1, 0.5]) expect(() => readU64(bytes, offset)).toThrow(RangeError);
  });

  it('reads u16 and u32 byte by byte as Buffer reads them, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 32 }), fc.nat(), (random, at) => {
        const bytes = Buffer.from(random);
        const offset = at % (bytes.length - 3);
        expect(u32At(bytes, offset)).toBe(bytes.readUInt32LE(offset));
        expect(u16At(bytes, offset)).toBe(bytes.readUInt16LE(offset));
      }),
      { numRuns: 200 },
    );
    expect(u32At(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0xffff_ffff);
  });

  it('continues a CRC-32 from a seed as if over the concatenation (how frames skip their checksum field)', () => {
    const bytes = Buffer.from('0123456789abcdef');
    expect(checksum(Buffer.from('123456789'), 0, 9)).toBe(0xcbf43926);
    expect(checksum(bytes, 8, 16, checksum(bytes, 0, 4))).toBe(checksum(Buffer.concat([bytes.subarray(0, 4), bytes.subarray(8)]), 0, 12));
  });

  it('tells zero ranges and aligns up', () => {
    expect(isZero(Buffer.from([1, 0, 0]), 1, 3)).toBe(true);
    expect(isZero(Buffer.from([0, 0, 1]), 0, 3)).toBe(false);
    // Ranges of several of the 64 KiB stretches it compares at a time, with one byte set near the end.
    const large = Buffer.alloc(200_000);
    large[150_001] = 1;
    expect([isZero(large, 0, 150_001), isZero(large, 0, 150_002), isZero(large, 150_001, 150_002), isZero(large, 150_002, 200_000)]).toEqual([true, false, false, true]);
    expect([alignUp(0, 8), alignUp(1, 8), alignUp(8, 8), alignUp(9, 8)]).toEqual([0, 8, 8, 16]);
  });
});
