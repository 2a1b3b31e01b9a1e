import { SEGMENT_HEADER_BYTES } from './segment-header';

/**
 * Where the parts of a sealed segment `segments/NNNNNNNN.edb` sit:
 *
 *   0x0000 header      SEGMENT_HEADER_BYTES
 *   0x0100 chain hash  SHA-512(end marker of the previous segment || body)
 *   0x0140 body        commit blocks back to back, then the index block
 *   end-32 end marker  SHA-256 of every byte before it
 */
export const CHAIN_HASH_BYTES = 64;
export const END_MARKER_BYTES = 32;
export const CHAIN_HASH_OFFSET = SEGMENT_HEADER_BYTES;
export const BODY_OFFSET = CHAIN_HASH_OFFSET + CHAIN_HASH_BYTES;
export const SEGMENT_OVERHEAD_BYTES = BODY_OFFSET + END_MARKER_BYTES;

/** Most bytes one segment may take: offsets inside it are u32. */
export const MAX_SEGMENT_BYTES = 0xffff_ffff;

export function segmentFileName(segmentNumber: number): string {
  return `${String(segmentNumber).padStart(8, '0')}.edb`;
}

export function journalFileName(segmentNumber: number): string {
  return `${String(segmentNumber).padStart(8, '0')}.wal`;
}

/** Parses `NNNNNNNN.<extension>`; returns undefined for any other name. */
export function parseNumberedFileName(name: string, extension: 'edb' | 'wal'): number | undefined {
  const match = /^(\d{8})\.(edb|wal)$/.exec(name);
  if (!match || match[2] !== extension) return undefined;
  const segmentNumber = Number(match[1]);
  return segmentNumber > 0 ? segmentNumber : undefined;
}
