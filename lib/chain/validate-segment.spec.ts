import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { flipBit } from '../../test/chain/mutations';
import { commitEvent } from '../../test/support/events';
import { CorruptionError } from '../errors/corruption.error';
import { BODY_OFFSET, checksum, encodeCommitBlock, encodeSegmentHeader, SEGMENT_HEADER_BYTES, SegmentHeader } from '../format';
import { genesisHash } from './genesis';
import { buildSegment } from './link';
import { SegmentExpectation, validateSegment, ValidSegment } from './validate-segment';
import { verifySegmentContents } from './verify-segment-contents';

const storeId = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const genesis = genesisHash(storeId);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();

function commits(firstPosition: number, parent: Buffer, count: number, firstRecordedAtMs: number): Buffer[] {
  let parentHash = parent;
  return Array.from({ length: count }, (_, i) => {
    const block = encodeCommitBlock({ firstPosition: firstPosition + 2 * i, recordedAtMs: firstRecordedAtMs + i, parentHash, events: [commitEvent('s', 2 * i), commitEvent('t', 2 * i)] });
    parentHash = sha256(block);
    return block;
  });
}

const firstCommits = commits(0, genesis, 3, 1000);
const first = buildSegment({ storeId, segmentNumber: 1, previousEndMarker: genesis, commits: firstCommits });
const secondCommits = commits(6, sha256(firstCommits[2] as Buffer), 4, 2000);
const second = buildSegment({ storeId, segmentNumber: 2, previousEndMarker: first.endMarker, commits: secondCommits });
const expectSecond: SegmentExpectation = {
  name: 'segments/00000002.edb',
  storeId,
  segmentNumber: 2,
  firstPosition: 6,
  previousEndMarker: first.endMarker,
  previousCommitHash: sha256(firstCommits[2] as Buffer),
  previousRecordedAtMs: 1002,
};

/** Re-seals a segment after a deliberate change: header checksum, chain hash and end marker all made to match again. */
function reseal(bytes: Buffer, previousEndMarker: Buffer): Buffer {
  bytes.writeUInt32LE(checksum(bytes, 0, SEGMENT_HEADER_BYTES - 4), SEGMENT_HEADER_BYTES - 4);
  createHash('sha512').update(previousEndMarker).update(bytes.subarray(BODY_OFFSET, bytes.length - 32)).digest().copy(bytes, 256);
  sha256(bytes.subarray(0, bytes.length - 32)).copy(bytes, bytes.length - 32);
  return bytes;
}

describe('validateSegment', () => {
  it('accepts a segment that continues the chain, and returns its end marker', () => {
    const valid = validateSegment(second.bytes, expectSecond) as ValidSegment;
    expect(valid).not.toBeInstanceOf(CorruptionError);
    expect(valid.endMarker).toEqual(second.endMarker);
    expect(valid.header.eventCount).toBe(8);
    expect(verifySegmentContents(second.bytes, valid, expectSecond)).toBeUndefined();
  });

  it('reports any single flipped bit anywhere in the file as corruption inside the file', () => {
    fc.assert(
      fc.property(fc.nat({ max: second.bytes.length * 8 - 1 }), (bit) => {
        const damaged = Buffer.from(second.bytes);
        flipBit(damaged, bit);
        const result = validateSegment(damaged, expectSecond);
        expect(result).toBeInstanceOf(CorruptionError);
        expect((result as CorruptionError).offset).toBeGreaterThanOrEqual(0);
        expect((result as CorruptionError).offset).toBeLessThan(damaged.length);
      }),
      { numRuns: 300 },
    );
  });

  it('names the commit block whose bytes were damaged', () => {
    const damaged = Buffer.from(second.bytes);
    const thirdCommit = BODY_OFFSET + (secondCommits[0] as Buffer).length + (secondCommits[1] as Buffer).length;
    flipBit(damaged, (thirdCommit + 100) * 8 + 4);
    expect(validateSegment(damaged, expectSecond)).toMatchObject({ offset: thirdCommit + 4, reason: expect.stringContaining('checksum mismatch') });
  });

  it('reports a truncated or extended file', () => {
    for (const bytes of [second.bytes.subarray(0, second.bytes.length - 1), second.bytes.subarray(0, 300), Buffer.concat([second.bytes, Buffer.alloc(1)])]) {
      expect(validateSegment(bytes, expectSecond)).toBeInstanceOf(CorruptionError);
    }
  });

  it('refuses a segment of another store, another number or position, or spliced after another segment', () => {
    expect(validateSegment(second.bytes, { ...expectSecond, storeId: Buffer.alloc(16) })).toMatchObject({ offset: 8 });
    expect(validateSegment(second.bytes, { ...expectSecond, segmentNumber: 3 })).toMatchObject({ offset: 24 });
    expect(validateSegment(second.bytes, { ...expectSecond, firstPosition: 7 })).toMatchObject({ offset: 32 });
    expect(validateSegment(second.bytes, { ...expectSecond, previousEndMarker: genesis })).toMatchObject({ offset: 256, reason: expect.stringContaining('chain hash') });
    expect(validateSegment(second.bytes, { ...expectSecond, previousCommitHash: genesis })).toMatchObject({ offset: BODY_OFFSET + 32 });
    expect(validateSegment(second.bytes, { ...expectSecond, previousRecordedAtMs: 5000 })).toMatchObject({ offset: 48, reason: 'recordedAt goes back in time' });
  });

  it('never throws, whatever the bytes: damaged and re-sealed segments come back as CorruptionError or valid', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }), fc.boolean(), (writes, resealAfter) => {
        const damaged = Buffer.from(second.bytes);
        for (const [at, value] of writes) damaged[at % damaged.length] = value;
        if (resealAfter) reseal(damaged, first.endMarker);
        const result = validateSegment(damaged, expectSecond);
        if (!(result instanceof CorruptionError)) {
          const deep = verifySegmentContents(damaged, result, expectSecond);
          if (deep !== undefined) expect(deep).toBeInstanceOf(CorruptionError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('verifySegmentContents', () => {
  it('finds a forged Merkle root that was re-sealed so that the link checks pass', () => {
    const forged = Buffer.from(second.bytes);
    flipBit(forged, 88 * 8);
    reseal(forged, first.endMarker);
    const valid = validateSegment(forged, expectSecond);
    expect(valid).not.toBeInstanceOf(CorruptionError);
    expect(verifySegmentContents(forged, valid as ValidSegment, expectSecond)).toMatchObject({ offset: 88 });
  });

  it('finds a commit in the middle whose parent hash does not name the commit before it', () => {
    const broken = [...secondCommits];
    const third = encodeCommitBlock({ firstPosition: 10, recordedAtMs: 2002, parentHash: Buffer.alloc(32, 7), events: [commitEvent('s', 4), commitEvent('t', 4)] });
    broken[2] = third;
    const bytes = buildSegment({ storeId, segmentNumber: 2, previousEndMarker: first.endMarker, commits: broken }).bytes;
    const valid = validateSegment(bytes, expectSecond);
    expect(valid).not.toBeInstanceOf(CorruptionError);
    const offset = BODY_OFFSET + (secondCommits[0] as Buffer).length + (secondCommits[1] as Buffer).length + 32;
    expect(verifySegmentContents(bytes, valid as ValidSegment, expectSecond)).toMatchObject({ offset, reason: expect.stringContaining('parent hash') });
  });

  it('finds header counts that were changed and re-sealed', () => {
    const valid = validateSegment(second.bytes, expectSecond) as ValidSegment;
    const header: SegmentHeader = { ...valid.header, lastRecordedAtMs: valid.header.lastRecordedAtMs + 1 };
    const forged = Buffer.from(second.bytes);
    encodeSegmentHeader(header).copy(forged, 0);
    reseal(forged, first.endMarker);
    const revalidated = validateSegment(forged, expectSecond) as ValidSegment;
    expect(revalidated).not.toBeInstanceOf(CorruptionError);
    expect(verifySegmentContents(forged, revalidated, expectSecond)).toMatchObject({ offset: 56 });
  });
});
