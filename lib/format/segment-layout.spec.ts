import {
  BODY_OFFSET,
  CHAIN_HASH_BYTES,
  CHAIN_HASH_OFFSET,
  END_MARKER_BYTES,
  journalFileName,
  parseNumberedFileName,
  SEGMENT_OVERHEAD_BYTES,
  segmentFileName,
} from './segment-layout';

describe('segment layout', () => {
  it('puts the chain hash at 0x100, the body at 0x140, and 32 bytes of end marker after the body', () => {
    expect([CHAIN_HASH_OFFSET, CHAIN_HASH_BYTES, BODY_OFFSET, END_MARKER_BYTES]).toEqual([0x100, 64, 0x140, 32]);
    expect(SEGMENT_OVERHEAD_BYTES).toBe(0x140 + 32);
  });

  it('names files with eight digits and parses only those names back', () => {
    expect(segmentFileName(1)).toBe('00000001.edb');
    expect(journalFileName(123)).toBe('00000123.wal');
    expect(parseNumberedFileName('00000042.edb', 'edb')).toBe(42);
    expect(parseNumberedFileName('00000042.wal', 'edb')).toBeUndefined();
    expect(parseNumberedFileName('00000000.wal', 'wal')).toBeUndefined();
    expect(parseNumberedFileName('00000042.edb.tmp', 'edb')).toBeUndefined();
    expect(parseNumberedFileName('0000042.edb', 'edb')).toBeUndefined();
  });
});
