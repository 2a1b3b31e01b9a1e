import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { genesisHash, GENESIS_LABEL } from '../../lib/chain/genesis';
import { HashFunctions, nobleHashes, nodeHashes } from '../../lib/chain/hash-functions';
import { buildSegment } from '../../lib/chain/link';
import { SegmentExpectation, validateSegment, ValidSegment } from '../../lib/chain/validate-segment';
import { verifySegmentContents } from '../../lib/chain/verify-segment-contents';
import { CorruptionError } from '../../lib/errors/corruption.error';
import { FormatError } from '../../lib/errors/format.error';
import {
  BODY_OFFSET,
  CHAIN_HASH_BYTES,
  CHAIN_HASH_OFFSET,
  decodeCommitBlockHeader,
  decodeJournalHeader,
  decodeSegmentHeader,
  END_MARKER_BYTES,
  JournalHeader,
  SegmentHeader,
} from '../../lib/format';
import { scanJournal, SegmentLog, silentLogger, verifyStore } from '../../lib/segment';
import { commitEvent, decodeBlock } from '../support/events';
import { useTempDirectories } from '../support/temp-directory';

/**
 * Builds a real store with the engine (several sealed segments and an open journal), then
 * recomputes every digest it holds with @noble/hashes, independently of node:crypto, and compares
 * with node:crypto's digests and with the bytes on disk.
 */
const tempDirectory = useTempDirectories();

/** RFC 9162 Merkle Tree Hash, written out here so that the check does not reuse lib/chain/merkle.ts. */
function referenceMerkleRoot(records: readonly Buffer[], hashes: HashFunctions): Buffer {
  if (records.length === 0) return hashes.sha256([]);
  if (records.length === 1) return hashes.sha256([Buffer.from([0x00]), records[0] as Buffer]);
  let k = 1;
  while (k * 2 < records.length) k *= 2;
  return hashes.sha256([Buffer.from([0x01]), referenceMerkleRoot(records.slice(0, k), hashes), referenceMerkleRoot(records.slice(k), hashes)]);
}

function commitBlocksOf(bytes: Buffer, start: number, end: number): Buffer[] {
  const blocks: Buffer[] = [];
  for (let cursor = start; cursor < end; ) {
    const header = decodeCommitBlockHeader(bytes, cursor, end);
    if (header instanceof FormatError) throw header;
    blocks.push(bytes.subarray(cursor, cursor + header.blockLength));
    cursor += header.blockLength;
  }
  return blocks;
}

function eventRecordsOf(block: Buffer): Buffer[] {
  const records: Buffer[] = [];
  for (let cursor = 64; cursor < block.length; cursor += block.readUInt32LE(cursor)) records.push(block.subarray(cursor, cursor + block.readUInt32LE(cursor)));
  return records;
}

async function buildStore(directory: string): Promise<{ head: string; events: number }> {
  const log = await SegmentLog.open({ directory, segmentSizeBytes: 2048, durability: 'none', readOnly: false, logger: silentLogger });
  const versions = new Map<string, number>();
  const next = (streamId: string) => {
    const version = (versions.get(streamId) ?? -1) + 1;
    versions.set(streamId, version);
    return commitEvent(streamId, version, 'Differential', { padding: 'x'.repeat(version % 40) });
  };
  let events = 0;
  for (let round = 0; round < 40; round++) {
    // A few appends at once so that some frames carry several commits (group commit).
    const pending = Array.from({ length: 1 + (round % 4) }, (_, i) => {
      const commit = Array.from({ length: 1 + ((round + i) % 3) }, (_, j) => next(`stream-${(round + i + j) % 5}`));
      events += commit.length;
      return log.appendCommit(commit).durable;
    });
    await Promise.all(pending);
  }
  await log.settle();
  const head = log.head().hash;
  await log.close();
  return { head, events };
}

describe('differential check of every digest of a real store: @noble/hashes against node:crypto and the disk', () => {
  let directory: string;
  let built: { head: string; events: number };
  let segmentFiles: Buffer[];
  let journalFiles: Buffer[];

  beforeAll(async () => {
    directory = tempDirectory();
    built = await buildStore(directory);
    segmentFiles = readdirSync(join(directory, 'segments')).sort().map((name) => readFileSync(join(directory, 'segments', name)));
    journalFiles = readdirSync(join(directory, 'journal')).sort().map((name) => readFileSync(join(directory, 'journal', name)));
  });

  it('sealed several segments and kept an open journal', () => {
    expect(segmentFiles.length).toBeGreaterThanOrEqual(3);
    expect(journalFiles).toHaveLength(1);
  });

  it('recomputes the genesis hash from the documented label and the store id', () => {
    const storeId = (decodeSegmentHeader(segmentFiles[0] as Buffer) as SegmentHeader).storeId;
    const noble = nobleHashes.sha256([Buffer.from('nestjs-chainstore genesis v1', 'utf8'), storeId]);
    expect(GENESIS_LABEL).toBe('nestjs-chainstore genesis v1');
    expect(genesisHash(storeId, nobleHashes)).toEqual(noble);
    expect(genesisHash(storeId, nodeHashes)).toEqual(noble);
    expect(segmentFiles[0]?.subarray(BODY_OFFSET + 32, BODY_OFFSET + 64)).toEqual(noble);
  });

  it('recomputes each commit hash, parent link, chain hash, end marker and Merkle root of every segment and the journal', () => {
    const storeId = (decodeSegmentHeader(segmentFiles[0] as Buffer) as SegmentHeader).storeId;
    let previousEndMarker = genesisHash(storeId, nobleHashes);
    let previousCommitHash = previousEndMarker;
    let previousRecordedAtMs = 0;
    let nextPosition = 0;
    segmentFiles.forEach((bytes, i) => {
      const header = decodeSegmentHeader(bytes) as SegmentHeader;
      expect(header).not.toBeInstanceOf(FormatError);
      const blocks = commitBlocksOf(bytes, BODY_OFFSET, header.indexOffset);
      const commitHashBefore = previousCommitHash;
      for (const block of blocks) {
        expect(block.subarray(32, 64)).toEqual(previousCommitHash);
        previousCommitHash = nobleHashes.sha256([block]);
        expect(nodeHashes.sha256([block])).toEqual(previousCommitHash);
      }
      expect(header.lastCommitHash).toEqual(previousCommitHash);
      const body = bytes.subarray(BODY_OFFSET, bytes.length - END_MARKER_BYTES);
      const chainHash = nobleHashes.sha512([previousEndMarker, body]);
      expect(nodeHashes.sha512([previousEndMarker, body])).toEqual(chainHash);
      expect(bytes.subarray(CHAIN_HASH_OFFSET, CHAIN_HASH_OFFSET + CHAIN_HASH_BYTES)).toEqual(chainHash);
      const endMarker = nobleHashes.sha256([bytes.subarray(0, bytes.length - END_MARKER_BYTES)]);
      expect(nodeHashes.sha256([bytes.subarray(0, bytes.length - END_MARKER_BYTES)])).toEqual(endMarker);
      expect(bytes.subarray(bytes.length - END_MARKER_BYTES)).toEqual(endMarker);
      const records = blocks.flatMap(eventRecordsOf);
      expect(records).toHaveLength(header.eventCount);
      const root = referenceMerkleRoot(records, nobleHashes);
      expect(referenceMerkleRoot(records, nodeHashes)).toEqual(root);
      expect(header.merkleRoot).toEqual(root);

      const expectation: SegmentExpectation = {
        name: `segment ${i + 1}`,
        storeId,
        segmentNumber: i + 1,
        firstPosition: nextPosition,
        previousEndMarker,
        previousCommitHash: commitHashBefore,
        previousRecordedAtMs,
      };
      for (const hashes of [nobleHashes, nodeHashes]) {
        const valid = validateSegment(bytes, expectation, hashes);
        expect(valid).not.toBeInstanceOf(CorruptionError);
        expect(verifySegmentContents(bytes, valid as ValidSegment, expectation, hashes)).toBeUndefined();
        expect(buildSegment({ storeId, segmentNumber: i + 1, previousEndMarker, commits: blocks }, hashes).bytes).toEqual(bytes);
      }
      previousEndMarker = endMarker;
      previousRecordedAtMs = header.lastRecordedAtMs;
      nextPosition = header.firstPosition + header.eventCount;
    });

    const journal = journalFiles[0] as Buffer;
    const journalHeader = decodeJournalHeader(journal) as JournalHeader;
    expect(journalHeader).not.toBeInstanceOf(FormatError);
    expect(journalHeader.firstPosition).toBe(nextPosition);
    const scan = scanJournal(journal, journalHeader);
    if (scan.kind !== 'ok') throw new Error(scan.reason);
    for (const commit of scan.commits) {
      const block = journal.subarray(commit.offset, commit.offset + commit.length);
      expect(block.subarray(32, 64)).toEqual(previousCommitHash);
      previousCommitHash = nobleHashes.sha256([block]);
      nextPosition += decodeBlock(block).length;
    }
    expect(nextPosition).toBe(built.events);
    expect(previousCommitHash.toString('hex')).toBe(built.head);
  });

  it('agrees with what verifyStore reports from the files', async () => {
    const report = await verifyStore(directory);
    expect(report.head.hash).toBe(built.head);
    expect(report.events).toBe(built.events);
    expect(report.segments).toBe(segmentFiles.length);
  });
});
