import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { commitEvent } from '../../test/support/events';
import { genesisHash } from '../chain/genesis';
import { buildSegment } from '../chain/link';
import { CorruptionError } from '../errors/corruption.error';
import { StoreFailedError } from '../errors/store-failed.error';
import { encodeCommitBlock, encodeJournalFrame, encodeJournalHeader, JOURNAL_HEADER_BYTES } from '../format';
import { useTempDirectories } from '../../test/support/temp-directory';
import { silentLogger } from './logger';
import { SealJob, SealThread } from './seal-thread';
import { SegmentLog } from './segment-log';
import { StoreLayout } from './store-layout';

const storeId = Buffer.from('0f0e0d0c0b0a09080706050403020100', 'hex');

/** A journal file's bytes: its header, then frames of a few commit blocks chained by parent hash, then zeros. */
function journalOf(commitCount: number): { journal: Buffer; commits: Buffer[]; job: SealJob } {
  let parentHash = genesisHash(storeId);
  const commits: Buffer[] = [];
  let position = 0;
  for (let i = 0; i < commitCount; i++) {
    const events = Array.from({ length: 1 + (i % 3) }, (_, e) => commitEvent(`stream-${i % 5}`, i * 3 + e));
    const block = encodeCommitBlock({ firstPosition: position, recordedAtMs: 1_700_000_000_000 + i, parentHash, events });
    commits.push(block);
    position += events.length;
    parentHash = createHash('sha256').update(block).digest();
  }
  const salt = randomBytes(8);
  const parts = [encodeJournalHeader({ storeId, segmentNumber: 1, salt, firstPosition: 0 })];
  for (let first = 0, at = 0; first < commits.length; first += 3) {
    const frameCommits = commits.slice(first, first + 3);
    parts.push(encodeJournalFrame(salt, at, frameCommits));
    at += frameCommits.reduce((sum, block) => sum + block.readUInt32LE(8), 0);
  }
  parts.push(Buffer.alloc(4096));
  const journal = Buffer.concat(parts);
  return { journal, commits, job: { storeId, segmentNumber: 1, previousEndMarker: genesisHash(storeId), journal, firstPosition: 0 } };
}

describe('SealThread', () => {
  it('builds on its thread the same segment, byte for byte, as buildSegment on the event loop', async () => {
    const thread = new SealThread();
    try {
      for (const commitCount of [1, 40]) {
        const { commits, job } = journalOf(commitCount);
        const expected = buildSegment({ storeId, segmentNumber: 1, previousEndMarker: genesisHash(storeId), commits: commits.map((block) => Buffer.from(block)) });
        const built = await thread.build(job);
        expect(built.bytes.equals(expected.bytes)).toBe(true);
        expect(built.endMarker).toEqual(expected.endMarker);
        expect(built.eventCount).toBe(expected.eventCount);
      }
    } finally {
      await thread.close();
    }
  });

  it('rejects when its thread dies before answering, and starts a new thread for the next build', async () => {
    let started = 0;
    const thread = new SealThread(() => {
      started++;
      return new Worker('process.exit(3)', { eval: true });
    });
    await expect(thread.build(journalOf(2).job)).rejects.toThrow('the sealing thread exited (code 3) before it answered');
    await expect(thread.build(journalOf(2).job)).rejects.toThrow('exited (code 3)');
    expect(started).toBe(2);
    await thread.close();
  });

  it('rejects with the CorruptionError of a journal that does not check, and builds the next one', async () => {
    const thread = new SealThread();
    try {
      const damaged = journalOf(4).job;
      damaged.journal.writeUInt8(damaged.journal.readUInt8(JOURNAL_HEADER_BYTES + 40) ^ 0xff, JOURNAL_HEADER_BYTES + 40); // inside the first frame, which others follow
      const error = await thread.build(damaged).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CorruptionError);
      expect(error).toMatchObject({ segment: 'journal/00000001.wal', offset: JOURNAL_HEADER_BYTES, reason: expect.stringMatching(/followed by a valid frame/) });
      const elsewhere = journalOf(2).job;
      await expect(thread.build({ ...elsewhere, firstPosition: 5 })).rejects.toMatchObject({ reason: 'journal changed under the writer' });
      await expect(thread.build(journalOf(2).job)).resolves.toMatchObject({ eventCount: 3 });
    } finally {
      await thread.close();
    }
  });
});

describe('SegmentLog sealing through the thread', () => {
  const tempDirectory = useTempDirectories();

  async function appendAndSeal(directory: string, warnings: string[]): Promise<SegmentLog> {
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const log = await SegmentLog.open({ directory, segmentSizeBytes: 1024, durability: 'none', readOnly: false, logger });
    for (let i = 0; i < 12; i++) await log.appendCommit([commitEvent(`s-${i}`, 0), commitEvent(`s-${i}`, 1)]).durable;
    await log.settle();
    return log;
  }

  afterEach(() => jest.restoreAllMocks());

  it('seals on the thread by default, and the segments validate when the store is opened again', async () => {
    const build = jest.spyOn(SealThread.prototype, 'build');
    const directory = tempDirectory();
    const warnings: string[] = [];
    const log = await appendAndSeal(directory, warnings);
    expect(log.sealedSegments.length).toBeGreaterThan(1);
    expect(build).toHaveBeenCalledTimes(log.sealedSegments.length);
    await log.close();
    build.mockRestore();
    const reopened = await SegmentLog.open({ directory, segmentSizeBytes: 1024, durability: 'none', readOnly: true, logger: silentLogger });
    expect(reopened.durableNextPosition).toBe(24);
    expect(warnings).toEqual([]);
    await reopened.close();
  });

  it('builds a segment on the event loop, with a warning, when the thread fails', async () => {
    jest.spyOn(SealThread.prototype, 'build').mockRejectedValue(new Error('no thread here'));
    const directory = tempDirectory();
    const warnings: string[] = [];
    const log = await appendAndSeal(directory, warnings);
    expect(log.failedWith).toBeUndefined();
    expect(log.sealedSegments.length).toBeGreaterThan(1);
    expect(warnings[0]).toMatch(/00000001\.edb: the sealing thread failed \(no thread here\); sealing on the event loop/);
    expect(warnings).toHaveLength(log.sealedSegments.length);
    await log.close();
    jest.restoreAllMocks();
    const reopened = await SegmentLog.open({ directory, segmentSizeBytes: 1024, durability: 'none', readOnly: true, logger: silentLogger });
    expect(reopened.sealedSegments.length).toBe(log.sealedSegments.length);
    await reopened.close();
  });

  // The journal is read back and checked by whoever builds the segment: a journal damaged on disk
  // after its frames were acknowledged stops the store with the damage named, on either path, and
  // is not taken for a failure of the thread.
  it.each(['worker', 'event-loop'] as const)('fails the store with the CorruptionError of a journal damaged before its seal (%s)', async (sealOn) => {
    const directory = tempDirectory();
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const log = await SegmentLog.open({ directory, segmentSizeBytes: 2048, durability: 'none', readOnly: false, sealOn, logger });
    for (let i = 0; i < 3; i++) await log.appendCommit([commitEvent(`s-${i}`, 0)]).durable;
    const journalPath = new StoreLayout(directory).journalPath(1);
    const damaged = readFileSync(journalPath);
    damaged.writeUInt8(damaged.readUInt8(JOURNAL_HEADER_BYTES + 40) ^ 0xff, JOURNAL_HEADER_BYTES + 40);
    writeFileSync(journalPath, damaged);
    for (let i = 3; i < 12 && !log.failedWith; i++) await log.appendCommit([commitEvent(`s-${i}`, 0), commitEvent(`s-${i}`, 1)]).durable.catch(() => undefined);
    await log.settle();
    expect(log.failedWith).toBeInstanceOf(StoreFailedError);
    expect((log.failedWith as StoreFailedError).cause).toMatchObject({ segment: 'journal/00000001.wal', offset: JOURNAL_HEADER_BYTES });
    expect(log.sealedSegments).toHaveLength(0);
    expect(warnings).toEqual([]);
    await log.close();
  });
});
