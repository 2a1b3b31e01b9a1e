import { FormatError } from '../errors/format.error';
import { checksum, readU64, writeU64 } from './bytes';

/**
 * The first 256 bytes of a sealed segment; checksummed on its own so it can be trusted without
 * reading the body (the end marker covers it again).
 *
 *   magic:           u32  // 0x47455343, the bytes "CSEG"
 *   formatVersion:   u16  // 1
 *   headerBytes:     u16  // 256
 *   storeId:         16 bytes
 *   segmentNumber:   u32  // 1, 2, 3, ... with no gap
 *   commitCount:     u32
 *   firstPosition:   u64  // position of the first event
 *   eventCount:      u32
 *   flags:           u32  // zero; reserved
 *   firstRecordedAt: u64  // ms since the Unix epoch, of the first commit
 *   lastRecordedAt:  u64  // ms since the Unix epoch, of the last commit
 *   bodyLength:      u64  // bytes from 0x140 to the end marker: commits then index block
 *   indexOffset:     u64  // file offset of the index block
 *   indexLength:     u64  // bytes of the index block; it ends where the end marker starts
 *   merkleRoot:      32 bytes // RFC 9162 root over the event records (leaf = SHA-256(0x00 || record))
 *   lastCommitHash:  32 bytes // SHA-256 of the segment's last commit block: the head when it ends the chain
 *   reserved:        100 bytes // zero
 *   checksum:        u32  // CRC-32 of bytes [0, 252)
 */
export const SEGMENT_MAGIC = 0x47455343;
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_RESERVED_BYTES = 100;
export const SEGMENT_HEADER_BYTES =
  4 + 2 + 2 + 16 + 4 + 4 + 8 + 4 + 4 + 8 + 8 + 8 + 8 + 8 + 32 + 32 + SEGMENT_HEADER_RESERVED_BYTES + 4;
const CHECKSUM_OFFSET = SEGMENT_HEADER_BYTES - 4;

export interface SegmentHeader {
  storeId: Buffer;
  segmentNumber: number;
  commitCount: number;
  firstPosition: number;
  eventCount: number;
  firstRecordedAtMs: number;
  lastRecordedAtMs: number;
  bodyLength: number;
  indexOffset: number;
  indexLength: number;
  merkleRoot: Buffer;
  lastCommitHash: Buffer;
}

export function encodeSegmentHeader(header: SegmentHeader): Buffer {
  const bytes = Buffer.alloc(SEGMENT_HEADER_BYTES);
  bytes.writeUInt32LE(SEGMENT_MAGIC, 0);
  bytes.writeUInt16LE(SEGMENT_FORMAT_VERSION, 4);
  bytes.writeUInt16LE(SEGMENT_HEADER_BYTES, 6);
  bytes.set(header.storeId, 8);
  bytes.writeUInt32LE(header.segmentNumber, 24);
  bytes.writeUInt32LE(header.commitCount, 28);
  writeU64(bytes, 32, header.firstPosition);
  bytes.writeUInt32LE(header.eventCount, 40);
  writeU64(bytes, 48, header.firstRecordedAtMs);
  writeU64(bytes, 56, header.lastRecordedAtMs);
  writeU64(bytes, 64, header.bodyLength);
  writeU64(bytes, 72, header.indexOffset);
  writeU64(bytes, 80, header.indexLength);
  bytes.set(header.merkleRoot, 88);
  bytes.set(header.lastCommitHash, 120);
  bytes.writeUInt32LE(checksum(bytes, 0, CHECKSUM_OFFSET), CHECKSUM_OFFSET);
  return bytes;
}

export function decodeSegmentHeader(bytes: Buffer): SegmentHeader | FormatError {
  const fail = (offset: number, reason: string) => new FormatError('segment header', offset, reason);
  if (bytes.length < SEGMENT_HEADER_BYTES) return fail(0, `shorter than ${SEGMENT_HEADER_BYTES} bytes`);
  if (bytes.readUInt32LE(0) !== SEGMENT_MAGIC) return fail(0, 'bad magic');
  if (bytes.readUInt32LE(CHECKSUM_OFFSET) !== checksum(bytes, 0, CHECKSUM_OFFSET)) return fail(CHECKSUM_OFFSET, 'header checksum mismatch');
  const version = bytes.readUInt16LE(4);
  if (version !== SEGMENT_FORMAT_VERSION) return fail(4, `unsupported format version ${version}`);
  if (bytes.readUInt16LE(6) !== SEGMENT_HEADER_BYTES) return fail(6, 'unexpected header size');
  const u64Fields = [32, 48, 56, 64, 72, 80].map((offset) => readU64(bytes, offset));
  const bad = u64Fields.findIndex((value) => value < 0);
  if (bad >= 0) return fail([32, 48, 56, 64, 72, 80][bad] ?? 0, 'a u64 field is above 2^53');
  const [firstPosition = 0, firstRecordedAtMs = 0, lastRecordedAtMs = 0, bodyLength = 0, indexOffset = 0, indexLength = 0] = u64Fields;
  return {
    storeId: Buffer.from(bytes.subarray(8, 24)),
    segmentNumber: bytes.readUInt32LE(24),
    commitCount: bytes.readUInt32LE(28),
    firstPosition,
    eventCount: bytes.readUInt32LE(40),
    firstRecordedAtMs,
    lastRecordedAtMs,
    bodyLength,
    indexOffset,
    indexLength,
    merkleRoot: Buffer.from(bytes.subarray(88, 120)),
    lastCommitHash: Buffer.from(bytes.subarray(120, 152)),
  };
}
