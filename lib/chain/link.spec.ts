import { createHash } from 'node:crypto';
import { flipBit } from '../../test/chain/mutations';
import { commitEvent } from '../../test/support/events';
import { FormatError } from '../errors/format.error';
import {
  BODY_OFFSET,
  CHAIN_HASH_OFFSET,
  decodeEventRecord,
  decodeIndexBlock,
  decodeSegmentHeader,
  encodeCommitBlock,
  EventRecord,
  SEGMENT_OVERHEAD_BYTES,
  SegmentHeader,
  SegmentIndex,
  indexedStreams,
} from '../format';
import { genesisHash } from './genesis';
import { nobleHashes } from './hash-functions';
import { buildSegment } from './link';
import { merkleLeafHash, merkleRoot } from './merkle';

const storeId = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();

/** Commits of `[streamId, version][]` each, chained by parent hash from `parent`. */
function chainedCommits(firstPosition: number, parent: Buffer, commits: Array<Array<[string, number]>>): Buffer[] {
  let position = firstPosition;
  let parentHash = parent;
  return commits.map((events, i) => {
    const block = encodeCommitBlock({ firstPosition: position, recordedAtMs: 1_700_000_000_000 + i, parentHash, events: events.map(([s, v]) => commitEvent(s, v)) });
    position += events.length;
    parentHash = sha256(block);
    return block;
  });
}

describe('buildSegment', () => {
  const genesis = genesisHash(storeId);
  const commits = chainedCommits(10, genesis, [[['a', 0], ['b', 0]], [['a', 1]], [['c', 0], ['a', 2], ['b', 1]]]);
  const built = buildSegment({ storeId, segmentNumber: 4, previousEndMarker: genesis, commits });
  const header = decodeSegmentHeader(built.bytes) as SegmentHeader;
  const index = decodeIndexBlock(built.bytes.subarray(header.indexOffset, built.bytes.length - 32)) as SegmentIndex;

  it('lays out header, chain hash, the commits verbatim, the index, then the end marker', () => {
    const commitBytes = Buffer.concat(commits);
    expect(built.bytes.subarray(BODY_OFFSET, BODY_OFFSET + commitBytes.length)).toEqual(commitBytes);
    expect(header.indexOffset).toBe(BODY_OFFSET + commitBytes.length);
    expect(header.bodyLength).toBe(commitBytes.length + header.indexLength);
    expect(built.bytes.length).toBe(SEGMENT_OVERHEAD_BYTES + header.bodyLength);
    expect(header.indexOffset + header.indexLength).toBe(built.bytes.length - 32);
  });

  it('fills the header from the commits: numbers, counts, times, last commit hash, Merkle root of the records', () => {
    expect(header).toMatchObject({ storeId, segmentNumber: 4, commitCount: 3, firstPosition: 10, eventCount: 6, firstRecordedAtMs: 1_700_000_000_000, lastRecordedAtMs: 1_700_000_000_002 });
    expect(header.lastCommitHash).toEqual(sha256(commits[2] as Buffer));
    const records: Buffer[] = [];
    for (const commit of commits) {
      for (let cursor = 64; cursor < commit.length; cursor += commit.readUInt32LE(cursor)) records.push(commit.subarray(cursor, cursor + commit.readUInt32LE(cursor)));
    }
    expect(records).toHaveLength(6);
    expect(header.merkleRoot).toEqual(merkleRoot(records.map((record) => merkleLeafHash(record))));
    expect(built.eventCount).toBe(6);
  });

  it('links to the previous segment: chain hash = SHA-512(previous end marker || body), end marker = SHA-256(all before it)', () => {
    const body = built.bytes.subarray(BODY_OFFSET, built.bytes.length - 32);
    const chainHash = createHash('sha512').update(genesis).update(body).digest();
    expect(built.bytes.subarray(CHAIN_HASH_OFFSET, BODY_OFFSET)).toEqual(chainHash);
    expect(built.endMarker).toEqual(sha256(built.bytes.subarray(0, built.bytes.length - 32)));
    expect(built.bytes.subarray(built.bytes.length - 32)).toEqual(built.endMarker);
    const other = buildSegment({ storeId, segmentNumber: 4, previousEndMarker: Buffer.alloc(32), commits });
    expect(other.bytes.subarray(CHAIN_HASH_OFFSET, BODY_OFFSET)).not.toEqual(chainHash);
  });

  it('indexes every commit and every stream\'s events in version order, by file offset', () => {
    const decodeAt = (offset: number) => decodeEventRecord(built.bytes, offset, header.indexOffset) as EventRecord;
    expect([...index.commitPositionDeltas]).toEqual([0, 2, 3]);
    expect([...index.commitRecordedAtMs]).toEqual([1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002]);
    index.commitOffsets.forEach((offset, i) => expect(built.bytes.subarray(offset, offset + (commits[i] as Buffer).length)).toEqual(commits[i]));
    expect(indexedStreams(index).map((stream) => [stream.streamId, stream.firstVersion])).toEqual([['a', 0], ['b', 0], ['c', 0]]);
    for (const stream of indexedStreams(index)) {
      const events = [...stream.eventOffsets].map(decodeAt);
      expect(events.every((event) => !(event instanceof FormatError) && event.streamId === stream.streamId)).toBe(true);
      expect(events.map((event) => event.version)).toEqual(events.map((_, i) => stream.firstVersion + i));
    }
  });

  it('builds the same bytes with @noble/hashes as with node:crypto', () => {
    expect(buildSegment({ storeId, segmentNumber: 4, previousEndMarker: genesis, commits }, nobleHashes).bytes).toEqual(built.bytes);
  });

  it('refuses to build a segment of no commit, or of a block that does not decode', () => {
    expect(() => buildSegment({ storeId, segmentNumber: 1, previousEndMarker: genesis, commits: [] })).toThrow(RangeError);
    const broken = Buffer.from(commits[0] as Buffer);
    flipBit(broken, 100 * 8);
    expect(() => buildSegment({ storeId, segmentNumber: 1, previousEndMarker: genesis, commits: [broken] })).toThrow(/not a valid block/);
  });
});
