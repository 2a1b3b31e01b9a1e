import fc from 'fast-check';
import { segmentIndex } from '../../test/chain/arbitraries';
import { applyMutations, decodeOrFormatError, FUZZ_RUNS, largestAllocationBytes, mutationsArbitrary } from '../../test/chain/mutations';
import { FormatError } from '../errors/format.error';
import {
  decodeIndexBlock,
  encodeIndexBlock,
  INDEX_COMMIT_ENTRY_BYTES,
  INDEX_HEADER_BYTES,
  INDEX_MAGIC,
  INDEX_STREAM_ENTRY_HEADER_BYTES,
  findStream,
  IndexBlockInput,
  indexedStreams,
  SegmentIndex,
  streamIdAt,
} from './index-block';

/** A decoded index in the shape the encoder takes, to compare round trips. */
function asInput(index: SegmentIndex): IndexBlockInput {
  const { eventCount, commitOffsets, commitPositionDeltas, commitRecordedAtMs } = index;
  return { eventCount, commitOffsets, commitPositionDeltas, commitRecordedAtMs, streams: indexedStreams(index) };
}

const sample: IndexBlockInput = {
  eventCount: 3,
  commitOffsets: Uint32Array.from([320, 500]),
  commitPositionDeltas: Uint32Array.from([0, 2]),
  commitRecordedAtMs: Float64Array.from([1_700_000_000_000, 1_700_000_000_001]),
  streams: [
    { streamId: 'a', firstVersion: 4, eventOffsets: Uint32Array.from([384, 564]) },
    { streamId: 'bb', firstVersion: 0, eventOffsets: Uint32Array.from([440]) },
  ],
};

/** Offsets of the count and length fields: the header's, then each stream entry's. */
function countFields(index: IndexBlockInput): number[] {
  const fields = [4, 8, 12];
  let cursor = INDEX_HEADER_BYTES + index.commitOffsets.length * INDEX_COMMIT_ENTRY_BYTES;
  for (const stream of index.streams) {
    fields.push(cursor, cursor + 4, cursor + 12);
    cursor += INDEX_STREAM_ENTRY_HEADER_BYTES + Buffer.byteLength(stream.streamId) + stream.eventOffsets.length * 4;
  }
  return fields;
}

describe('index block', () => {
  it('has a 16-byte header, 16-byte commit entries and 16-byte stream entry headers', () => {
    expect([INDEX_HEADER_BYTES, INDEX_COMMIT_ENTRY_BYTES, INDEX_STREAM_ENTRY_HEADER_BYTES]).toEqual([16, 16, 16]);
    const empty: IndexBlockInput = { eventCount: 0, commitOffsets: new Uint32Array(0), commitPositionDeltas: new Uint32Array(0), commitRecordedAtMs: new Float64Array(0), streams: [] };
    expect(encodeIndexBlock(empty).length).toBe(INDEX_HEADER_BYTES);
    const expected = INDEX_HEADER_BYTES + 2 * INDEX_COMMIT_ENTRY_BYTES + (INDEX_STREAM_ENTRY_HEADER_BYTES + 1 + 2 * 4) + (INDEX_STREAM_ENTRY_HEADER_BYTES + 2 + 4);
    expect(encodeIndexBlock(sample).length).toBe(expected);
  });

  it('puts its fields at their documented offsets', () => {
    const bytes = encodeIndexBlock(sample);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('CIDX');
    expect([0, 4, 8, 12].map((at) => bytes.readUInt32LE(at))).toEqual([INDEX_MAGIC, 2, 2, 3]);
    expect([16, 20, 32, 36].map((at) => bytes.readUInt32LE(at))).toEqual([320, 0, 500, 2]);
    expect(Number(bytes.readBigUInt64LE(40))).toBe(1_700_000_000_001);
    expect([bytes.readUInt16LE(48), bytes.readUInt16LE(50), bytes.readUInt32LE(52), Number(bytes.readBigUInt64LE(56))]).toEqual([1, 0, 2, 4]);
    expect(bytes.toString('utf8', 64, 65)).toBe('a');
    expect([bytes.readUInt32LE(65), bytes.readUInt32LE(69)]).toEqual([384, 564]);
  });

  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(segmentIndex, (index) => {
        const byId = [...index.streams].sort((a, b) => Buffer.compare(Buffer.from(a.streamId), Buffer.from(b.streamId)));
        expect(asInput(decodeIndexBlock(encodeIndexBlock(index)) as SegmentIndex)).toEqual({ ...index, streams: byId });
      }),
      FUZZ_RUNS,
    );
  });

  it('reports every truncation and any extra byte', () => {
    const bytes = encodeIndexBlock(sample);
    for (let length = 0; length < bytes.length; length++) {
      expect(decodeIndexBlock(bytes.subarray(0, length))).toBeInstanceOf(FormatError);
    }
    expect(decodeIndexBlock(Buffer.concat([bytes, Buffer.alloc(1)]))).toMatchObject({ reason: 'bytes left after the last stream entry' });
  });

  it('reports counts that run past the block without allocating for them', () => {
    for (const [field, value] of [[4, 0xffff_ffff], [8, 0xffff_ffff], [52, 0x4000_0000], [48, 0xffff]] as const) {
      const bytes = encodeIndexBlock(sample);
      if (field === 48) bytes.writeUInt16LE(value, field);
      else bytes.writeUInt32LE(value, field);
      let result: unknown;
      const allocated = largestAllocationBytes(() => (result = decodeIndexBlock(bytes)));
      expect(result).toBeInstanceOf(FormatError);
      expect(allocated).toBeLessThanOrEqual(bytes.length);
    }
  });

  it('sees the allocations the decoder makes (so the bound above can fail)', () => {
    const bytes = encodeIndexBlock(sample);
    const allocated = largestAllocationBytes(() => decodeIndexBlock(bytes));
    expect(allocated).toBe(sample.commitOffsets.length * Float64Array.BYTES_PER_ELEMENT);
  });

  it('reports an event count that disagrees with the indexed events, and an empty stream entry', () => {
    const count = encodeIndexBlock(sample);
    count.writeUInt32LE(4, 12);
    expect(decodeIndexBlock(count)).toMatchObject({ offset: 12 });
    const emptyStream = encodeIndexBlock({ ...sample, streams: [{ streamId: 'a', firstVersion: 0, eventOffsets: new Uint32Array(0) }] });
    expect(decodeIndexBlock(emptyStream)).toBeInstanceOf(FormatError);
    const noId = encodeIndexBlock({ ...sample, eventCount: 1, streams: [{ streamId: '', firstVersion: 0, eventOffsets: Uint32Array.from([1]) }] });
    expect(decodeIndexBlock(noId)).toMatchObject({ reason: 'stream id length out of range' });
  });

  it('returns a FormatError or a self-consistent index for damaged bytes; never throws or over-allocates', () => {
    fc.assert(
      fc.property(
        segmentIndex.chain((index) => fc.tuple(fc.constant(index), mutationsArbitrary(countFields(index)))),
        ([index, mutations]) => {
          const damaged = applyMutations(encodeIndexBlock(index), mutations);
          let result: SegmentIndex | FormatError | undefined;
          const allocated = largestAllocationBytes(() => {
            result = decodeOrFormatError(damaged.length, () => decodeIndexBlock(damaged));
          });
          expect(allocated).toBeLessThanOrEqual(damaged.length);
          if (result !== undefined && !(result instanceof FormatError)) {
            expect(indexedStreams(result).reduce((sum, stream) => sum + stream.eventOffsets.length, 0)).toBe(result.eventCount);
            const entries = result.commitOffsets.length * INDEX_COMMIT_ENTRY_BYTES + result.streamCount * INDEX_STREAM_ENTRY_HEADER_BYTES;
            expect(INDEX_HEADER_BYTES + entries + result.eventCount * 4).toBeLessThanOrEqual(damaged.length);
          }
        },
      ),
      FUZZ_RUNS,
    );
  });

  it('sorts stream entries by id bytes, finds each by binary search, and refuses ids out of order', () => {
    const ids = ['zeta', 'alpha', 'Beta', 'alpha-2', 'é', 'a'];
    const streams = ids.map((streamId, i) => ({ streamId, firstVersion: i, eventOffsets: Uint32Array.from([400 + i]) }));
    const bytes = encodeIndexBlock({ ...sample, eventCount: ids.length, streams });
    const index = decodeIndexBlock(bytes) as SegmentIndex;
    expect(indexedStreams(index).map((stream) => stream.streamId)).toEqual(['Beta', 'a', 'alpha', 'alpha-2', 'zeta', 'é']);
    for (const [i, streamId] of ids.entries()) {
      const entry = findStream(index, Buffer.from(streamId));
      expect(index.streamFirstVersions[entry]).toBe(i);
    }
    expect(findStream(index, Buffer.from('alph'))).toBe(-1);
    expect(findStream(index, Buffer.from('zz'))).toBe(-1);
    // Renaming the first id to one that sorts after the second breaks the order.
    const firstId = INDEX_HEADER_BYTES + 2 * INDEX_COMMIT_ENTRY_BYTES + INDEX_STREAM_ENTRY_HEADER_BYTES;
    expect(bytes.toString('utf8', firstId, firstId + 4)).toBe('Beta');
    bytes.write('zzzz', firstId, 'utf8');
    expect(decodeIndexBlock(bytes)).toMatchObject({ reason: 'stream ids are not in ascending order' });
  });

  it('sorts an id with a character above U+FFFF after one with U+E000–U+FFFF, as their UTF-8 bytes do', () => {
    // UTF-16 puts the surrogate pair of U+1F600 before U+E000; UTF-8 (F0 9F 98 80) after EF BF BD.
    const ids = ['\u{1F600}', '\ufffd', 'z', '\ue000', 'a\u{1F600}', 'a\ufffd'];
    const streams = ids.map((streamId, i) => ({ streamId, firstVersion: i, eventOffsets: Uint32Array.from([400 + i]) }));
    const index = decodeIndexBlock(encodeIndexBlock({ ...sample, eventCount: ids.length, streams })) as SegmentIndex;
    expect(indexedStreams(index).map((stream) => stream.streamId)).toEqual(['a\ufffd', 'a\u{1F600}', 'z', '\ue000', '\ufffd', '\u{1F600}']);
    for (const [i, streamId] of ids.entries()) expect(index.streamFirstVersions[findStream(index, Buffer.from(streamId))]).toBe(i);
  });

  it('decodes a stream id that is not valid UTF-8 to U+FFFD: the index does not check UTF-8', () => {
    const bytes = encodeIndexBlock(sample);
    // The last entry's id ("bb"): 0xff 'b' still sorts after "a", so only the UTF-8 is broken.
    const idOffset = INDEX_HEADER_BYTES + 2 * INDEX_COMMIT_ENTRY_BYTES + (INDEX_STREAM_ENTRY_HEADER_BYTES + 1 + 2 * 4) + INDEX_STREAM_ENTRY_HEADER_BYTES;
    expect(bytes.toString('utf8', idOffset, idOffset + 2)).toBe('bb');
    bytes[idOffset] = 0xff;
    expect(streamIdAt(decodeIndexBlock(bytes) as SegmentIndex, 1)).toBe('\ufffdb');
  });

  it('returns a FormatError or a value for random bytes behind a valid magic, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (random) => {
        const bytes = Buffer.concat([Buffer.from('CIDX', 'latin1'), random]);
        decodeOrFormatError(bytes.length, () => decodeIndexBlock(bytes));
      }),
      FUZZ_RUNS,
    );
  });
});
