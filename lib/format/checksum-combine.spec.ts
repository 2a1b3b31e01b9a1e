import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { combineChecksums, continueChecksum } from './checksum-combine';

describe('checksum arithmetic', () => {
  it('combines the checksums of A and B into that of A‖B, as zlib computes it', () => {
    // B up to 300 KiB: its length sets bits up to 2^18, so the first 19 shift tables are used.
    const part = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 60_000, maxLength: 300_000 }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), part, (a, b) => {
        expect(combineChecksums(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])));
      }),
      { numRuns: 60 },
    );
  });

  it('carries a checksum past n then m bytes as past n + m, for every length below 2^32', () => {
    // Combining with an empty checksum only carries the first past the bytes. Lengths 2^(k-1) twice
    // against 2^k check each power's table from the one below it, up to the last (2^31); the
    // small lengths are checked against zlib above.
    const carried = (crc: number, byteCount: number) => combineChecksums(crc, 0, byteCount);
    for (let k = 1; k < 32; k++) {
      const half = 2 ** (k - 1);
      expect(carried(carried(0x1234_5678, half), half)).toBe(carried(0x1234_5678, 2 * half));
    }
    fc.assert(
      fc.property(fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 0x7fff_ffff }), fc.nat({ max: 0x7fff_ffff }), (crc, n, m) => {
        expect(carried(carried(crc, n), m)).toBe(carried(crc, n + m));
      }),
      { numRuns: 300 },
    );
  });

  it('continues a checksum over bytes as zlib does from a seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat({ max: 0xffff_ffff }), (bytes, seed) => {
        expect(continueChecksum(seed, bytes, 0, bytes.length)).toBe(crc32(bytes, seed));
        const middle = bytes.length >> 1;
        expect(continueChecksum(continueChecksum(seed, bytes, 0, middle), bytes, middle, bytes.length)).toBe(crc32(bytes, seed));
      }),
      { numRuns: 300 },
    );
  });
});
