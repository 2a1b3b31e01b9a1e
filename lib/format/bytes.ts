import { crc32 } from 'node:zlib';

/** Largest u64 the format accepts: positions, versions and lengths stay exact in a JS number. */
export const MAX_SAFE_U64 = Number.MAX_SAFE_INTEGER;

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Reads a little-endian u64; returns -1 when it is above 2^53 - 1 (callers turn that into a
 * FormatError). A RangeError when the 8 bytes are not all inside `bytes`; u64At is the unchecked read.
 */
export function readU64(bytes: Buffer, offset: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset + 8 > bytes.length) throw new RangeError(`a u64 at offset ${offset} is outside ${bytes.length} bytes`);
  return u64At(bytes, offset);
}

/**
 * The little-endian u32 at `offset`, read byte by byte: for decoders that run once per record of a
 * replay, where Buffer.readUInt32LE's call and checks cost more than the loads. The caller has
 * checked that the 4 bytes are inside `bytes` (a load past the end reads as 0 here, not a RangeError).
 */
export function u32At(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] as number) | ((bytes[offset + 1] as number) << 8) | ((bytes[offset + 2] as number) << 16) | ((bytes[offset + 3] as number) << 24)) >>> 0;
}

/** u32At's u16. */
export function u16At(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
}

/** readU64 as u32At reads: -1 above 2^53 - 1. The caller has checked that the 8 bytes are there. */
export function u64At(bytes: Uint8Array, offset: number): number {
  const high = u32At(bytes, offset + 4);
  if (high >= 0x20_0000) return -1;
  return high * TWO_POW_32 + u32At(bytes, offset);
}

/**
 * A DataView of the buffer's bytes, for decoders that read many fields: `getUint32(at, true)`
 * compiles to one load, where Buffer.readUInt32LE loads and checks each of the four bytes.
 */
export function viewOf(bytes: Buffer): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** readU64 through a DataView: -1 above 2^53 - 1. The caller has checked that the 8 bytes are there. */
export function viewU64(view: DataView, offset: number): number {
  const high = view.getUint32(offset + 4, true);
  if (high >= 0x20_0000) return -1;
  return high * TWO_POW_32 + view.getUint32(offset, true);
}

export function writeU64(bytes: Buffer, offset: number, value: number): void {
  bytes.writeUInt32LE(value % TWO_POW_32, offset);
  bytes.writeUInt32LE(Math.floor(value / TWO_POW_32), offset + 4);
}

/** CRC-32 (ISO-HDLC, zlib's) of `bytes[start, end)`, continuing from `seed`. */
export function checksum(bytes: Buffer, start: number, end: number, seed = 0): number {
  return crc32(bytes.subarray(start, end), seed);
}

const ZEROS = Buffer.alloc(64 * 1024);

/**
 * True when every byte of `bytes[start, end)` is zero. Compared with a buffer of zeros (memcmp) a
 * stretch at a time: the space preallocated after a journal's frames can be a whole segment's size.
 */
export function isZero(bytes: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at += ZEROS.length) {
    const stop = Math.min(end, at + ZEROS.length);
    if (bytes.compare(ZEROS, 0, stop - at, at, stop) !== 0) return false;
  }
  return true;
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
