import { createHash, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { commitEvent } from '../../test/support/events';
import { genesisHash } from '../chain/genesis';
import { buildSegment } from '../chain/link';
import { encodeCommitBlock } from '../format';
import { useTempDirectories } from '../../test/support/temp-directory';
import { silentLogger } from './logger';
import { SealJob, SealThread } from './seal-thread';
import { SegmentLog } from './segment-log';

const storeId = Buffer.from('0f0e0d0c0b0a09080706050403020100', 'hex');

/** A journal-like buffer: commit blocks chained by parent hash, with other bytes between them. */
function journalOf(commitCount: number): { journal: Buffer; commits: Buffer[]; job: SealJob } {
  let parentHash = genesisHash(storeId);
  const commits: Buffer[] = [];
  for (let i = 0; i < commitCount; i++) {
    const events = Array.from({ length: 1 + (i % 3) }, (_, e) => commitEvent(`stream-${i % 5}`, i * 3 + e));
    const block = encodeCommitBlock({ firstPosition: commits.length === 0 ? 0 : i * 10, recordedAtMs: 1_700_000_000_000 + i, parentHash, events });
    commits.push(block);
    parentHash = createHash('sha256').update(block).digest();
  }
  const parts: Buffer[] = [];
  const places: Array<{ offset: number; length: number }> = [];
  let offset = 0;
  for (const block of commits) {
    const gap = randomBytes(7);
    parts.push(gap, block);
    places.push({ offset: offset + gap.length, length: block.length });
    offset += gap.length + block.length;
  }
  const journal = Buffer.concat(parts);
  return { journal, commits, job: { storeId, segmentNumber: 1, previousEndMarker: genesisHash(storeId), journal, commits: places } };
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

  it('rejects with the error of a build that throws (commits that are not blocks)', async () => {
    const thread = new SealThread();
    const { job } = journalOf(2);
    const broken: SealJob = { ...job, commits: [{ offset: 0, length: 3 }] };
    await expect(thread.build(broken)).rejects.toThrow(/not a valid block/);
    await thread.close();
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
});
