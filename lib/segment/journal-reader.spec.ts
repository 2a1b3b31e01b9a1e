import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { nodeHashes } from '../chain/hash-functions';
import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import { checksum, COMMIT_BLOCK_HEADER_BYTES, decodeJournalHeader, encodeJournalFrame, JOURNAL_HEADER_BYTES, JournalHeader } from '../format';
import { commitEvent, decodeBlock } from '../../test/support/events';
import { useTempDirectories } from '../../test/support/temp-directory';
import { NodeFileSystem } from './file-system';
import { ChainTail, checkCommitLinks, readJournal, readJournalBlocks } from './journal-reader';
import { JournalBytes, scanJournal } from './journal-scan';
import { silentLogger } from './logger';
import { SegmentLog } from './segment-log';
import { StoreLayout } from './store-layout';

const tempDirectory = useTempDirectories();

interface BuiltJournal {
  directory: string;
  path: string;
  bytes: Buffer;
  header: JournalHeader;
  /** The chain tail the journal continues. */
  previous: ChainTail;
}

/**
 * A store whose only journal holds about 5 MiB of frames: small ones, a group commit of 3,000
 * commits in one frame larger than the reader's 1 MiB window, a commit of one 1.5 MiB event.
 */
async function buildJournal(): Promise<BuiltJournal> {
  const directory = tempDirectory();
  const log = await SegmentLog.open({ directory, segmentSizeBytes: 256 * 1024 * 1024, durability: 'none', readOnly: false, logger: silentLogger });
  const previous: ChainTail = { nextPosition: 0, lastCommitHash: log.genesisHash(), lastRecordedAtMs: 0 };
  const versions = new Map<string, number>();
  const commit = (streamId: string, count: number, paddingBytes = 300) => {
    const first = versions.get(streamId) ?? 0;
    versions.set(streamId, first + count);
    const events = Array.from({ length: count }, (_, i) => commitEvent(streamId, first + i, 'Tested', { padding: 'x'.repeat(paddingBytes) }));
    return log.appendCommit(events).durable;
  };
  for (let batch = 0; batch < 100; batch++) {
    await Promise.all(Array.from({ length: 1 + (batch % 40) }, (_, i) => commit(`stream-${(batch * 7 + i) % 23}`, 1 + (i % 3))));
  }
  await Promise.all(Array.from({ length: 3000 }, (_, i) => commit(`group-${i % 50}`, 1)));
  await commit('large', 1, 1536 * 1024);
  for (let batch = 0; batch < 40; batch++) await Promise.all(Array.from({ length: 30 }, (_, i) => commit(`stream-${i % 23}`, 1)));
  await log.close();
  const path = new StoreLayout(directory).journalPath(1);
  const bytes = readFileSync(path);
  const header = decodeJournalHeader(bytes);
  if (header instanceof FormatError) throw header;
  return { directory, path, bytes, header, previous };
}

/** What reading the whole file into memory and checking it in turn gives: the reference for readJournal. */
function readWhole(bytes: Buffer, header: JournalHeader, previous: ChainTail): { tail: ChainTail; validEnd: number; tornBytes: number; blocks: Buffer[] } {
  const scan = scanJournal(bytes, header);
  if (scan.kind === 'corrupt') throw new CorruptionError('journal/00000001.wal', scan.offset, scan.reason);
  const blocks = scan.commits.map((commit) => bytes.subarray(commit.offset, commit.offset + commit.length));
  const tail = checkCommitLinks('journal/00000001.wal', scan.commits, blocks, previous);
  return { tail, validEnd: scan.validEnd, tornBytes: scan.tornBytes, blocks };
}

/** The outcome of a read as plain data, errors included, for toEqual. */
async function outcome<T>(read: () => Promise<T> | T, describe: (value: T) => object): Promise<object> {
  try {
    return describe(await read());
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw error;
    return { segment: error.segment, offset: error.offset, reason: error.reason };
  }
}

const describeTail = (tail: ChainTail) => ({ ...tail, lastCommitHash: tail.lastCommitHash.toString('hex') });

/**
 * A JournalBytes that copies every stretch asked for into a fresh buffer and poisons the one it
 * gave before: a scan that kept a view past the next read would see the poison.
 */
class PoisoningBytes implements JournalBytes {
  largestRead = 0;
  private last: Buffer | undefined;
  constructor(private readonly bytes: Buffer) {}
  get fileBytes(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Buffer {
    this.last?.fill(0xa5);
    this.largestRead = Math.max(this.largestRead, length);
    this.last = Buffer.from(this.bytes.subarray(offset, offset + length));
    return this.last;
  }
}

describe('readJournal', () => {
  let journal: BuiltJournal;
  beforeAll(async () => {
    journal = await buildJournal();
  });

  it('reads a journal larger than its window as a whole-file read does, and keeps no block', async () => {
    const { directory, bytes, header, previous } = journal;
    expect(bytes.length).toBeGreaterThan(4 * 1024 * 1024);
    const read = await readJournal(new NodeFileSystem(), new StoreLayout(directory), 1, header.storeId, previous);
    const whole = readWhole(bytes, header, previous);
    expect(describeTail(read.tail)).toEqual(describeTail(whole.tail));
    expect({ validEnd: read.validEnd, tornBytes: read.tornBytes }).toEqual({ validEnd: whole.validEnd, tornBytes: whole.tornBytes });
    expect(read.commits.map((commit) => digest(bytes.subarray(commit.offset, commit.offset + commit.length)))).toEqual(whole.blocks.map(digest));
    const events = whole.blocks.flatMap((block, i) => decodeBlock(block).map((record) => ({ record, blockOffset: (read.commits[i] as { offset: number }).offset, block })));
    expect(read.events.streamIds).toEqual(events.map(({ record }) => record.streamId));
    expect(read.events.versions).toEqual(events.map(({ record }) => record.version));
    // Each record offset names the record: its position is where the record says.
    read.events.recordOffsets.forEach((offset, i) => expect(bytes.readUInt32LE(offset + 8)).toBe(events[i]?.record.position));
    expect(Object.keys(read)).not.toContain('blocks');
  });

  it('hands out copies of the blocks when asked for them', async () => {
    const { directory, bytes, header, previous } = journal;
    const read = await readJournalBlocks(new NodeFileSystem(), new StoreLayout(directory), 1, header.storeId, previous);
    expect(read.blocks.map(digest)).toEqual(readWhole(bytes, header, previous).blocks.map(digest));
  });

  it('gives the verdict of a whole-file read on torn tails and damage anywhere in the file', async () => {
    const { directory, path, bytes, header, previous } = journal;
    const frames = scanJournal(bytes, header);
    if (frames.kind !== 'ok') throw new Error(frames.reason);
    const validEnd = frames.validEnd;
    const window = 1024 * 1024;
    const commitAfter = (offset: number) => (frames.commits.find((commit) => commit.offset + commit.length > offset) as { offset: number }).offset;
    const largest = [...frames.commits].sort((a, b) => b.length - a.length);
    const damages: Array<{ what: string; apply: (copy: Buffer) => Buffer }> = [
      { what: 'zeros from a commit in the second window on', apply: (copy) => copy.fill(0, commitAfter(window + 5000)) },
      { what: 'a torn write after the last frame', apply: (copy) => copy.fill(0x5a, validEnd, validEnd + 300) },
      { what: 'the file cut in its last frame', apply: (copy) => copy.subarray(0, validEnd - 100) },
      { what: 'a byte of the commit that straddles the end of the first window', apply: (copy) => flip(copy, commitAfter(JOURNAL_HEADER_BYTES + window) + 70) },
      { what: 'a byte of the 1.5 MiB commit', apply: (copy) => flip(copy, (largest[0] as { offset: number }).offset + 5000) },
      { what: 'a byte of the group commit frame, larger than the window', apply: (copy) => flip(copy, commitAfter((largest[0] as { offset: number }).offset - 1000) + 90) },
      { what: 'a byte of the last frame', apply: (copy) => flip(copy, validEnd - 20) },
      { what: 'a byte of the first frame', apply: (copy) => flip(copy, 100) },
    ];
    for (const { what, apply } of damages) {
      const damaged = apply(Buffer.from(bytes));
      writeFileSync(path, damaged);
      const read = await outcome(
        () => readJournal(new NodeFileSystem(), new StoreLayout(directory), 1, header.storeId, previous),
        (result) => ({ tail: describeTail(result.tail), validEnd: result.validEnd, tornBytes: result.tornBytes }),
      );
      const whole = await outcome(
        () => readWhole(damaged, header, previous),
        (result) => ({ tail: describeTail(result.tail), validEnd: result.validEnd, tornBytes: result.tornBytes }),
      );
      expect({ what, read }).toEqual({ what, read: whole });
    }
    writeFileSync(path, bytes);
    truncateSync(path, 40);
    await expect(readJournal(new NodeFileSystem(), new StoreLayout(directory), 1, header.storeId, previous)).rejects.toMatchObject({ offset: 0, reason: 'shorter than 64 bytes' });
    writeFileSync(path, bytes);
  });

  it('names a commit whose events do not fill its block, though its checksums hold', async () => {
    const directory = tempDirectory();
    const log = await SegmentLog.open({ directory, segmentSizeBytes: 1024 * 1024, durability: 'none', readOnly: false, logger: silentLogger });
    const previous: ChainTail = { nextPosition: 0, lastCommitHash: log.genesisHash(), lastRecordedAtMs: 0 };
    await log.appendCommit([commitEvent('a', 0), commitEvent('a', 1)]).durable;
    await log.close();
    const path = new StoreLayout(directory).journalPath(1);
    const bytes = readFileSync(path);
    const header = decodeJournalHeader(bytes) as JournalHeader;
    const frames = scanJournal(bytes, header);
    if (frames.kind !== 'ok') throw new Error(frames.reason);
    const commit = frames.commits[0] as { offset: number; length: number };
    // The second event claims position 5: a writer's bug, sealed in with valid checksums.
    const block = Buffer.from(bytes.subarray(commit.offset, commit.offset + commit.length));
    const second = COMMIT_BLOCK_HEADER_BYTES + block.readUInt32LE(COMMIT_BLOCK_HEADER_BYTES);
    block.writeUInt32LE(5, second + 8);
    block.writeUInt32LE(checksum(block, 8, block.length), 4);
    encodeJournalFrame(header.salt, 0, [block]).copy(bytes, JOURNAL_HEADER_BYTES);
    writeFileSync(path, bytes);
    await expect(readJournal(new NodeFileSystem(), new StoreLayout(directory), 1, header.storeId, previous)).rejects.toMatchObject({
      segment: 'journal/00000001.wal',
      offset: commit.offset + second,
      reason: 'event position or recordedAt disagrees with its commit',
    });
  });

  it('scans through a window that changes its bytes after every read as it scans the file in memory', () => {
    const { bytes, header } = journal;
    const frames = scanJournal(bytes, header);
    if (frames.kind !== 'ok') throw new Error(frames.reason);
    const variants = [
      bytes,
      flip(Buffer.from(bytes), (frames.commits[400] as { offset: number }).offset + 90),
      Buffer.from(bytes).fill(0x77, frames.validEnd, frames.validEnd + 64),
      Buffer.from(bytes).fill(0, (frames.commits[frames.commits.length - 5] as { offset: number }).offset),
    ];
    for (const variant of variants) {
      const hashes = (source: Buffer | JournalBytes) => {
        const seen: string[] = [];
        const scan = scanJournal(source, header, (commit, block) => seen.push(`${commit.offset} ${digest(block)}`));
        return { scan, seen };
      };
      const poisoning = new PoisoningBytes(variant);
      expect(hashes(poisoning)).toEqual(hashes(variant));
      expect(poisoning.largestRead).toBeLessThan(variant.length / 2);
    }
  });
});

/** Deep equality of thousands of Buffers is slow in Jest: compare digests. */
function digest(bytes: Buffer): string {
  return nodeHashes.sha256([bytes]).toString('hex');
}

function flip(bytes: Buffer, offset: number): Buffer {
  bytes[offset] = (bytes[offset] as number) ^ 0x10;
  return bytes;
}

function largestCommit(commits: ReadonlyArray<{ offset: number; length: number }>): number {
  return commits.reduce((largest, commit) => (commit.length > largest.length ? commit : largest)).offset;
}
