import { FormatError } from '../errors/format.error';
import { checksum, readU64, writeU64 } from './bytes';

/**
 * The first bytes of `journal/NNNNNNNN.wal`, written and fsynced before the file gets its name.
 *
 *   magic:         u32  // 0x4C4A5343, the bytes "CSJL"
 *   formatVersion: u16  // 1
 *   headerBytes:   u16  // 64
 *   storeId:       16 bytes // random at store creation; binds the file to its store
 *   segmentNumber: u32  // the segment this journal becomes when sealed
 *   reserved:      u32  // zero
 *   salt:          8 bytes  // random per journal file; every frame repeats it
 *   firstPosition: u64  // position of the first event this journal holds
 *   reserved:      12 bytes // zero
 *   checksum:      u32  // CRC-32 of bytes [0, 60)
 */
export const JOURNAL_MAGIC = 0x4c4a5343;
export const JOURNAL_FORMAT_VERSION = 1;
export const STORE_ID_BYTES = 16;
export const SALT_BYTES = 8;
export const JOURNAL_HEADER_BYTES = 4 + 2 + 2 + STORE_ID_BYTES + 4 + 4 + SALT_BYTES + 8 + 12 + 4;

export interface JournalHeader {
  storeId: Buffer;
  segmentNumber: number;
  salt: Buffer;
  firstPosition: number;
}

export function encodeJournalHeader(header: JournalHeader): Buffer {
  const bytes = Buffer.alloc(JOURNAL_HEADER_BYTES);
  bytes.writeUInt32LE(JOURNAL_MAGIC, 0);
  bytes.writeUInt16LE(JOURNAL_FORMAT_VERSION, 4);
  bytes.writeUInt16LE(JOURNAL_HEADER_BYTES, 6);
  bytes.set(header.storeId, 8);
  bytes.writeUInt32LE(header.segmentNumber, 24);
  bytes.set(header.salt, 32);
  writeU64(bytes, 40, header.firstPosition);
  bytes.writeUInt32LE(checksum(bytes, 0, 60), 60);
  return bytes;
}

export function decodeJournalHeader(bytes: Buffer): JournalHeader | FormatError {
  const fail = (offset: number, reason: string) => new FormatError('journal header', offset, reason);
  if (bytes.length < JOURNAL_HEADER_BYTES) return fail(0, `shorter than ${JOURNAL_HEADER_BYTES} bytes`);
  if (bytes.readUInt32LE(0) !== JOURNAL_MAGIC) return fail(0, 'bad magic');
  if (bytes.readUInt32LE(60) !== checksum(bytes, 0, 60)) return fail(60, 'checksum mismatch');
  if (bytes.readUInt16LE(4) !== JOURNAL_FORMAT_VERSION) return fail(4, `unsupported format version ${bytes.readUInt16LE(4)}`);
  if (bytes.readUInt16LE(6) !== JOURNAL_HEADER_BYTES) return fail(6, 'unexpected header size');
  const firstPosition = readU64(bytes, 40);
  if (firstPosition < 0) return fail(40, 'first position above 2^53');
  return {
    storeId: Buffer.from(bytes.subarray(8, 24)),
    segmentNumber: bytes.readUInt32LE(24),
    salt: Buffer.from(bytes.subarray(32, 40)),
    firstPosition,
  };
}
