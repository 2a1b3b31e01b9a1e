/**
 * CRC-32 arithmetic (zlib's crc32_combine, written in JS): the checksum of A‖B from the checksums of
 * A and B and the length of B, without B's bytes. A reader that holds many checksummed blocks side by
 * side checks them all with one pass of zlib's crc32 over the whole span and this arithmetic per
 * block, instead of one call per block: the call, not the bytes, is most of a small block's cost.
 *
 * Polynomials are held as zlib holds them, reflected: bit 31 is x^0, bit 0 is x^31.
 */

/** The CRC-32 polynomial (ISO-HDLC), reflected. */
const POLYNOMIAL = 0xedb88320;

/** The register after one byte: the classic table (what zlib's crc32 computes, a byte at a time). */
const BYTE_STEP = Int32Array.from({ length: 256 }, (_, byte) => {
  let register = byte;
  for (let bit = 0; bit < 8; bit++) register = register & 1 ? (register >>> 1) ^ POLYNOMIAL : register >>> 1;
  return register;
});

/** a × b modulo the polynomial: the bits of `a` pick shifted copies of `b`. */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  let term = b;
  for (let bit = 0x8000_0000; bit !== 0; bit >>>= 1) {
    if (a & bit) product ^= term;
    term = term & 1 ? (term >>> 1) ^ POLYNOMIAL : term >>> 1;
  }
  return product >>> 0;
}

/**
 * x^(2^k) modulo the polynomial, for k < 32 (x^1 is bit 30). The powers repeat with period 32
 * (x^(2^32) = x modulo this polynomial, as zlib relies on too), so k is taken modulo 32.
 */
const X_TO_TWO_TO_THE = new Uint32Array(32);
X_TO_TWO_TO_THE[0] = 0x4000_0000;
for (let k = 1; k < 32; k++) X_TO_TWO_TO_THE[k] = multiplyModP(X_TO_TWO_TO_THE[k - 1] as number, X_TO_TWO_TO_THE[k - 1] as number);

/**
 * Table k multiplies by x^(8 × 2^k), a byte of the operand at a time: four 256-entry tables side by
 * side, one per byte position. Made when first needed (block lengths use a few low bits of k).
 */
const shiftTables: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(32).fill(undefined);

function shiftTable(k: number): Int32Array {
  const existing = shiftTables[k];
  if (existing !== undefined) return existing;
  const factor = X_TO_TWO_TO_THE[(k + 3) & 31] as number;
  const table = new Int32Array(1024);
  for (let position = 0; position < 4; position++) {
    for (let byte = 0; byte < 256; byte++) table[position * 256 + byte] = multiplyModP(factor, (byte << (8 * position)) >>> 0);
  }
  shiftTables[k] = table;
  return table;
}

/** The checksum `crc` multiplied by x^(8 × byteCount), byteCount a u32: carried past that many bytes without reading them. */
function shiftChecksum(crc: number, byteCount: number): number {
  let shifted = crc;
  for (let k = 0, rest = byteCount >>> 0; rest !== 0; k++, rest >>>= 1) {
    if ((rest & 1) === 0) continue;
    const table = shiftTable(k);
    shifted =
      (table[shifted & 0xff] as number) ^
      (table[256 + ((shifted >>> 8) & 0xff)] as number) ^
      (table[512 + ((shifted >>> 16) & 0xff)] as number) ^
      (table[768 + (shifted >>> 24)] as number);
  }
  return shifted >>> 0;
}

/** The checksum of A‖B, from `first` = checksum(A), `second` = checksum(B) and B's length (below 2^32). */
export function combineChecksums(first: number, second: number, secondBytes: number): number {
  return (shiftChecksum(first, secondBytes) ^ second) >>> 0;
}

/**
 * checksum(bytes, start, end, seed) a byte at a time in JS: for a handful of bytes, where the call
 * into zlib costs more than the bytes do.
 */
export function continueChecksum(seed: number, bytes: Uint8Array, start: number, end: number): number {
  let register = ~seed;
  for (let at = start; at < end; at++) register = (BYTE_STEP[(register ^ (bytes[at] as number)) & 0xff] as number) ^ (register >>> 8);
  return ~register >>> 0;
}
