import fc from 'fast-check';
import { commitInput } from '../../test/chain/arbitraries';
import { applyMutations, decodeOrFormatError, flipBit, FUZZ_RUNS, largestAllocationBytes, mutationsArbitrary } from '../../test/chain/mutations';
import { FormatError } from '../errors/format.error';
import { checksum } from './bytes';
import {
  COMMIT_BLOCK_HEADER_BYTES,
  CommitBlockHeader,
  commitChecksumsHold,
  decodeCommitBlockHeader,
  parentHashOf,
  decodeCommitEvents,
  encodeCommitBlock,
  EncodeCommitInput,
  PARENT_HASH_BYTES,
} from './commit-block';
import { EVENT_RECORD_HEADER_BYTES, EventRecord } from './event-record';

/** Offsets of the block's length and count fields, and of its first event's (docs/FORMAT.md). */
const LENGTH_FIELDS = [0, 8, 16, 24, 64, 68, 70, 64 + 48, 64 + 52];

const event = (version: number, data = '{}') => ({
  version,
  id: Buffer.alloc(16, version),
  streamId: Buffer.from('s'),
  type: Buffer.from('T'),
  data: Buffer.from(data),
  metadata: Buffer.alloc(0),
});
const sample: EncodeCommitInput = { firstPosition: 5, recordedAtMs: 1_700_000_000_000, parentHash: Buffer.alloc(32, 0xab), events: [event(0), event(1)] };

/** Re-computes the block checksum after a deliberate change, so the decoder's other checks are reached. */
function reseal(block: Buffer): Buffer {
  if (block.length < 8) return block;
  const length = block.readUInt32LE(0);
  if (length >= 8 && length <= block.length) block.writeUInt32LE(checksum(block, 8, length), 4);
  return block;
}

function decodeAll(block: Buffer): { header: CommitBlockHeader; events: EventRecord[] } | FormatError {
  const header = decodeCommitBlockHeader(block, 0, block.length);
  if (header instanceof FormatError) return header;
  const events = decodeCommitEvents(block, 0, header);
  return events instanceof FormatError ? events : { header, events };
}

describe('commit block', () => {
  it('has a 64-byte header: a block of no event is exactly the header', () => {
    expect(COMMIT_BLOCK_HEADER_BYTES).toBe(64);
    expect(PARENT_HASH_BYTES).toBe(32);
    expect(encodeCommitBlock({ ...sample, events: [] }).length).toBe(COMMIT_BLOCK_HEADER_BYTES);
  });

  it('puts its fields at their documented offsets and checksums bytes [8, blockLength)', () => {
    const block = encodeCommitBlock(sample);
    expect(block.readUInt32LE(0)).toBe(block.length);
    expect(block.readUInt32LE(4)).toBe(checksum(block, 8, block.length));
    expect(block.readUInt32LE(8)).toBe(2);
    expect(block.readUInt32LE(12)).toBe(0);
    expect(block.readBigUInt64LE(16)).toBe(5n);
    expect(block.readBigUInt64LE(24)).toBe(1_700_000_000_000n);
    expect(block.subarray(32, 64)).toEqual(Buffer.alloc(32, 0xab));
    expect(block.readUInt32LE(64)).toBe(EVENT_RECORD_HEADER_BYTES + 1 + 1 + 2);
  });

  it('takes the parent hash as bytes or as latin1 text, and refuses one that is not 32 bytes', () => {
    const parent = Buffer.from(Array.from({ length: 32 }, (_, i) => 0xe0 + (i % 32)));
    const asText = encodeCommitBlock({ ...sample, parentHash: parent.toString('latin1') });
    expect(asText).toEqual(encodeCommitBlock({ ...sample, parentHash: parent }));
    expect(parentHashOf(asText)).toEqual(parent);
    expect(() => encodeCommitBlock({ ...sample, parentHash: parent.toString('latin1').slice(1) })).toThrow(RangeError);
    expect(() => encodeCommitBlock({ ...sample, parentHash: Buffer.alloc(31) })).toThrow(RangeError);
  });

  it('gives each event the commit time and the next dense position', () => {
    const decoded = decodeAll(encodeCommitBlock(sample));
    if (decoded instanceof FormatError) throw decoded;
    expect(decoded.events.map((e) => [e.position, e.version, e.recordedAtMs])).toEqual([
      [5, 0, 1_700_000_000_000],
      [6, 1, 1_700_000_000_000],
    ]);
  });

  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(commitInput(), (input) => {
        const block = encodeCommitBlock(input);
        const decoded = decodeAll(block);
        if (decoded instanceof FormatError) throw decoded;
        expect(decoded.header).toEqual({
          blockLength: block.length,
          eventCount: input.events.length,
          firstPosition: input.firstPosition,
          recordedAtMs: input.recordedAtMs,
        });
        expect(parentHashOf(block)).toEqual(Buffer.from(input.parentHash));
        decoded.events.forEach((record, i) => {
          const original = input.events[i];
          expect(record.position).toBe(input.firstPosition + i);
          expect(record.version).toBe(original?.version);
          expect(Buffer.from(record.data)).toEqual(original?.data);
          expect(Buffer.from(record.streamId)).toEqual(original?.streamId);
        });
      }),
      FUZZ_RUNS,
    );
  });

  it('reports any single flipped bit (the checksum or the length check catches it)', () => {
    const block = encodeCommitBlock(sample);
    for (let bit = 0; bit < block.length * 8; bit++) {
      const damaged = Buffer.from(block);
      flipBit(damaged, bit);
      expect(decodeCommitBlockHeader(damaged, 0, damaged.length)).toBeInstanceOf(FormatError);
    }
  });

  it('reports every truncation of a block as shorter than its length', () => {
    const block = encodeCommitBlock(sample);
    for (let length = 0; length < block.length; length++) {
      expect(decodeCommitBlockHeader(block.subarray(0, length), 0, length)).toBeInstanceOf(FormatError);
    }
  });

  it('reports a block cut short by its buffer, even when `end` says more bytes follow', () => {
    const block = encodeCommitBlock(sample);
    for (const length of [0, COMMIT_BLOCK_HEADER_BYTES - 1, COMMIT_BLOCK_HEADER_BYTES, block.length - 1]) {
      expect(decodeCommitBlockHeader(block.subarray(0, length), 0, block.length)).toBeInstanceOf(FormatError);
    }
  });

  it('reports a checksum-valid block that holds no event', () => {
    const block = encodeCommitBlock({ ...sample, events: [] });
    expect(decodeCommitBlockHeader(block, 0, block.length)).toMatchObject({ offset: 8, reason: 'a commit holds no event' });
  });

  it('reports an event count that disagrees with the events present', () => {
    for (const count of [1, 3, 0xffff_ffff]) {
      const block = encodeCommitBlock(sample);
      block.writeUInt32LE(count, 8);
      expect(decodeAll(reseal(block))).toMatchObject({ offset: 8, reason: expect.stringContaining(`event count ${count}`) });
    }
  });

  it('reports an event whose position or recordedAt is not its commit\'s', () => {
    const block = encodeCommitBlock(sample);
    const secondEvent = COMMIT_BLOCK_HEADER_BYTES + block.readUInt32LE(COMMIT_BLOCK_HEADER_BYTES);
    block.writeUInt32LE(9, secondEvent + 8);
    expect(decodeAll(reseal(block))).toMatchObject({ offset: secondEvent, reason: expect.stringContaining('disagrees with its commit') });
  });

  it('returns a FormatError or a consistent block for damaged bytes, resealed or not; never throws or over-allocates', () => {
    fc.assert(
      fc.property(commitInput(3), mutationsArbitrary(LENGTH_FIELDS), fc.boolean(), (input, mutations, resealAfter) => {
        const damaged = applyMutations(encodeCommitBlock(input), mutations);
        if (resealAfter) reseal(damaged);
        let result: ReturnType<typeof decodeAll> | undefined;
        const allocated = largestAllocationBytes(() => {
          result = decodeOrFormatError(damaged.length, () => decodeAll(damaged));
        });
        expect(allocated).toBeLessThanOrEqual(damaged.length);
        if (result !== undefined && !(result instanceof FormatError)) {
          const { header, events } = result;
          expect(header.blockLength).toBeLessThanOrEqual(damaged.length);
          expect(events).toHaveLength(header.eventCount);
          const eventBytes = events.reduce((sum, record) => sum + record.recordLength, 0);
          expect(COMMIT_BLOCK_HEADER_BYTES + eventBytes).toBe(header.blockLength);
        }
      }),
      FUZZ_RUNS,
    );
  });

  it('returns a FormatError or a value for random bytes, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (random, resealAfter) => {
        const bytes = Buffer.from(random);
        if (resealAfter) reseal(bytes);
        decodeOrFormatError(bytes.length, () => decodeAll(bytes));
      }),
      FUZZ_RUNS,
    );
  });
});

/**
 * commitChecksumsHold checks a run of blocks with one crc32 pass: it must say true exactly when
 * each block's own checksum does (decodeCommitBlockHeader) and the blocks fill the span.
 */
describe('commit blocks checked together', () => {
  const run = fc.array(commitInput(3), { minLength: 1, maxLength: 12 }).map((inputs) => {
    const blocks = inputs.map(encodeCommitBlock);
    return { bytes: Buffer.concat([Buffer.from('lead'), ...blocks, Buffer.from('tail')]), start: 4, end: 4 + blocks.reduce((sum, block) => sum + block.length, 0) };
  });

  it('holds for blocks laid end to end, at any offset of the buffer', () => {
    fc.assert(
      fc.property(run, ({ bytes, start, end }) => {
        expect(commitChecksumsHold(bytes, start, end)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('fails for any single flipped bit in the blocks, whichever block it hits', () => {
    fc.assert(
      fc.property(run, fc.nat(), ({ bytes, start, end }, pick) => {
        const bit = start * 8 + (pick % ((end - start) * 8));
        expect(commitChecksumsHold(flipBit(Buffer.from(bytes), bit), start, end)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('fails for one damaged block among intact ones, wherever it is in the run', () => {
    const blocks = [0, 1, 2, 3].map((i) => encodeCommitBlock({ ...sample, firstPosition: 5 + 2 * i }));
    for (let damaged = 0; damaged < blocks.length; damaged++) {
      const copy = blocks.map((block) => Buffer.from(block));
      flipBit(copy[damaged] as Buffer, (COMMIT_BLOCK_HEADER_BYTES + 10) * 8 + 5);
      const bytes = Buffer.concat(copy);
      expect(commitChecksumsHold(bytes, 0, bytes.length)).toBe(false);
      expect(decodeCommitBlockHeader(bytes, copy.slice(0, damaged).reduce((sum, block) => sum + block.length, 0), bytes.length)).toMatchObject({ reason: 'checksum mismatch' });
    }
  });

  it('fails when the blocks do not fill the span exactly, or the span is empty or past the buffer', () => {
    const block = encodeCommitBlock(sample);
    const bytes = Buffer.concat([block, block]);
    expect(commitChecksumsHold(bytes, 0, bytes.length)).toBe(true);
    expect(commitChecksumsHold(bytes, 0, bytes.length - 1)).toBe(false);
    expect(commitChecksumsHold(Buffer.concat([bytes, Buffer.alloc(1)]), 0, bytes.length + 1)).toBe(false);
    expect(commitChecksumsHold(bytes, 0, block.length + COMMIT_BLOCK_HEADER_BYTES)).toBe(false);
    expect(commitChecksumsHold(bytes, 0, 0)).toBe(false);
    expect(commitChecksumsHold(bytes, 0, bytes.length + 1)).toBe(false);
  });

  it('lets decodeCommitBlockHeader skip the checksum it has checked, and only that', () => {
    const block = encodeCommitBlock(sample);
    const damaged = Buffer.from(block);
    flipBit(damaged, (COMMIT_BLOCK_HEADER_BYTES + 10) * 8 + 5);
    expect(decodeCommitBlockHeader(damaged, 0, damaged.length)).toMatchObject({ reason: 'checksum mismatch' });
    expect(decodeCommitBlockHeader(damaged, 0, damaged.length, true)).toMatchObject({ blockLength: block.length, eventCount: 2 });
    damaged.writeUInt32LE(damaged.length + 1, 0);
    expect(decodeCommitBlockHeader(damaged, 0, damaged.length, true)).toMatchObject({ reason: `block length ${damaged.length + 1} out of range` });
  });
});
