import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StoreFailedError } from '../../lib/errors';
import { JournalFlush, SegmentLog, silentLogger } from '../../lib/segment';
import { commitEvent } from '../support/events';
import { FaultFileSystem, FaultRule } from '../support/fault-file-system';
import { checkStoreAfterCrash, SubmittedCommit } from '../support/recovered-store';
import { useTempDirectories } from '../support/temp-directory';

/**
 * DESIGN §3 rules 2 and 5: an append resolves only after its fdatasync returned; a write or flush
 * that fails stops the store: the failed batch, everything queued behind it and every later append
 * reject with StoreFailedError, nothing is flushed again (a failed fsync may have dropped the dirty
 * pages, and a retry that succeeds would acknowledge data that is gone), and a reopen recovers
 * every commit acknowledged before.
 */
describe('fail-stop after a failed write or flush', () => {
  const tempDirectory = useTempDirectories();
  /** Journal tests: one journal holds everything. Seal tests: a few commits fill a journal. */
  const largeSegmentBytes = 1024 * 1024;
  const smallSegmentBytes = 1024;

  interface Harness {
    directory: string;
    segmentSizeBytes: number;
    fileSystem: FaultFileSystem;
    log: SegmentLog;
    submitted: SubmittedCommit[];
    acknowledged: Set<number>;
    /** Appends one commit of `eventCount` events; resolves to its index once durable. */
    append(eventCount?: number): { index: number; durable: Promise<number> };
  }

  async function openHarness(
    rule: FaultRule | undefined,
    onOperation?: (line: string, harness: Harness) => void,
    segmentSizeBytes = largeSegmentBytes,
    journalFlush: JournalFlush = 'blocking',
  ): Promise<Harness> {
    const directory = tempDirectory();
    let harness: Harness | undefined;
    const fileSystem = new FaultFileSystem({ root: directory, beforeOperation: (line) => harness && onOperation?.(line, harness) });
    if (rule) fileSystem.inject(rule);
    const log = await SegmentLog.open({ directory, segmentSizeBytes, durability: 'fsync', journalFlush, readOnly: false, fileSystem, logger: silentLogger });
    const submitted: SubmittedCommit[] = [];
    const acknowledged = new Set<number>();
    let counter = 0;
    harness = {
      directory,
      segmentSizeBytes,
      fileSystem,
      log,
      submitted,
      acknowledged,
      append(eventCount = 1) {
        const streamId = `account-${counter++}`;
        const events = Array.from({ length: eventCount }, (_, version) => commitEvent(streamId, version));
        const pending = log.appendCommit(events);
        const index = submitted.push({ firstPosition: pending.firstPosition, ids: events.map((event) => Buffer.from(event.id).toString('hex')) }) - 1;
        return { index, durable: pending.durable.then(() => (acknowledged.add(index), index)) };
      },
    };
    return harness;
  }

  /** Log lines after the failed call: what the engine did once it had failed. */
  function linesAfterFailure(fileSystem: FaultFileSystem): string[] {
    const failedAt = fileSystem.log.findIndex((line) => /\[(EIO|ENOSPC)\]$/.test(line));
    expect(failedAt).toBeGreaterThanOrEqual(0);
    return fileSystem.log.slice(failedAt + 1);
  }

  async function expectRecovered(harness: Harness): Promise<void> {
    await harness.log.close();
    expect(await checkStoreAfterCrash(harness.directory, harness.submitted, harness.acknowledged, harness.segmentSizeBytes)).toEqual([]);
  }

  // The journal's fdatasync on the event loop (the default) or in the thread pool: the same rules.
  describe.each(['blocking', 'thread-pool'] as const)('journalFlush %s', (journalFlush) => {
    it.each([
      ['fdatasync', 'EIO'],
      ['write', 'EIO'],
      ['write', 'ENOSPC'],
    ] as const)('a failed journal %s (%s) rejects its batch, the queue behind it and every later append with StoreFailedError', async (operation, errno) => {
      // The 4th journal call of its kind fails: three appends before it were acknowledged.
      let queuedBehind: Promise<number> | undefined;
      const harness = await openHarness({ operation, path: 'journal/00000001.wal', nth: 4, errno }, (line, h) => {
        // While the failing batch is in flight, another append queues behind it.
        if (queuedBehind === undefined && /\[(EIO|ENOSPC)\]$/.test(line) === false && line.includes(`${operation} journal/00000001.wal`) && h.acknowledged.size === 3) {
          queuedBehind = h.append().durable;
          queuedBehind.catch(() => undefined);
        }
      }, largeSegmentBytes, journalFlush);
      for (let i = 0; i < 3; i++) await harness.append(2).durable;

      const failing = harness.append(1).durable;
      await expect(failing).rejects.toBeInstanceOf(StoreFailedError);
      await expect(failing).rejects.toMatchObject({ cause: { code: errno } });
      expect(queuedBehind).toBeDefined();
      await expect(queuedBehind).rejects.toBeInstanceOf(StoreFailedError);
      expect(() => harness.append()).toThrow(StoreFailedError);
      expect(harness.log.failedWith).toBeInstanceOf(StoreFailedError);

      await harness.log.settle();
      const after = linesAfterFailure(harness.fileSystem);
      expect(after.filter((line) => / (fsync|fdatasync|write) /.test(line))).toEqual([]);
      expect(harness.acknowledged).toEqual(new Set([0, 1, 2]));
      await expectRecovered(harness);
    });

    it('an fdatasync that fails once is not retried: the append still rejects, although a retry would succeed', async () => {
      const harness = await openHarness({ operation: 'fdatasync', nth: 2, errno: 'EIO' }, undefined, largeSegmentBytes, journalFlush);
      await harness.append().durable;
      await expect(harness.append().durable).rejects.toBeInstanceOf(StoreFailedError);
      await harness.log.settle();
      expect(harness.fileSystem.operations('fdatasync')).toHaveLength(2);
      expect(linesAfterFailure(harness.fileSystem).filter((line) => / (fsync|fdatasync) /.test(line))).toEqual([]);
      await expectRecovered(harness);
    });

    it('an append resolves only after its fdatasync returned', async () => {
      const events: string[] = [];
      const harness = await openHarness(undefined, (line) => {
        if (/ (write|fdatasync) journal\//.test(line)) events.push(line.split(' ')[1] as string);
      }, largeSegmentBytes, journalFlush);
      const first = harness.append();
      const second = harness.append();
      await first.durable.then(() => events.push('resolved'));
      await second.durable.then(() => events.push('resolved'));
      // Both commits went out in one frame (group commit): one write, one fdatasync, then both resolve.
      expect(events).toEqual(['write', 'fdatasync', 'resolved', 'resolved']);
      await expectRecovered(harness);
    });
  });

  it('short writes are completed before the flush: every acknowledged commit is whole after reopen', async () => {
    const directory = tempDirectory();
    const fileSystem = new FaultFileSystem({ root: directory, splitWrites: true });
    const segmentSizeBytes = smallSegmentBytes;
    const log = await SegmentLog.open({ directory, segmentSizeBytes, durability: 'fsync', readOnly: false, fileSystem, logger: silentLogger });
    const submitted: SubmittedCommit[] = [];
    for (let i = 0; i < 12; i++) {
      const events = [commitEvent(`short-${i}`, 0), commitEvent(`short-${i}`, 1)];
      const pending = log.appendCommit(events);
      submitted.push({ firstPosition: pending.firstPosition, ids: events.map((event) => Buffer.from(event.id).toString('hex')) });
      await pending.durable;
    }
    await log.close();
    expect(fileSystem.log.filter((line) => / link segments\//.test(line)).length).toBeGreaterThan(1);
    expect(await checkStoreAfterCrash(directory, submitted, new Set(submitted.keys()), segmentSizeBytes)).toEqual([]);
  });

  it.each([
    ['its write', { operation: 'write', pathIncludes: '.edb.tmp', nth: 1, errno: 'ENOSPC' }],
    ['its fsync', { operation: 'fsync', pathIncludes: '.edb.tmp', nth: 1, errno: 'EIO' }],
    ['publishing it (link)', { operation: 'link', pathIncludes: '.edb.tmp', nth: 1, errno: 'EIO' }],
    ['the fsync of the segments directory', { operation: 'syncDirectory', path: 'segments', nth: 1, errno: 'EIO' }],
    ['retiring the journal', { operation: 'unlink', path: 'journal/00000001.wal', nth: 1, errno: 'EIO' }],
    ['rotating to the next journal', { operation: 'fsync', pathIncludes: 'journal/00000002.wal.tmp', nth: 1, errno: 'EIO' }],
  ] as const)('a failure while sealing a segment (%s) stops the store, and a reopen seals it', async (_label, rule) => {
    const harness = await openHarness(rule, undefined, smallSegmentBytes);
    const acknowledgedBefore: number[] = [];
    try {
      while (!harness.log.failedWith && harness.submitted.length < 40) {
        acknowledgedBefore.push(await harness.append(3).durable);
        await harness.log.settle();
      }
    } catch (error) {
      expect(error).toBeInstanceOf(StoreFailedError);
    }
    await harness.log.settle();
    expect(harness.log.failedWith).toBeInstanceOf(StoreFailedError);
    expect(() => harness.append()).toThrow(StoreFailedError);
    expect(linesAfterFailure(harness.fileSystem).filter((line) => / (fsync|fdatasync) /.test(line))).toEqual([]);
    expect(acknowledgedBefore.length).toBeGreaterThan(0);
    await expectRecovered(harness);
    expect(existsSync(join(harness.directory, 'segments', '00000001.edb'))).toBe(true);
  });
});
