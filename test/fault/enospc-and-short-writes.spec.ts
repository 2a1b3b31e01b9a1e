import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreFailedError } from '../../lib/errors';
import { FileSystem, SegmentLog, silentLogger, verifyStore } from '../../lib/segment';
import { commitEvent } from '../support/events';
import { SynchronousNodeFileSystem } from '../support/fault-file-system';
import { errorCode, IO_SEGMENT_SIZE_BYTES, runIoWorkload } from '../support/io-fault-workload';
import { PowerLossDisk } from '../support/power-loss-file-system';
import { seededRandom } from '../support/seeded-random';
import { checkRecovery, Ledger, runPowerLossSeed, STORE_DIRECTORY } from '../support/power-loss-workload';
import { checkStoreAfterCrash, SubmittedCommit } from '../support/recovered-store';

/**
 * A full disk: the simulator's byte budget (all live files together) is set to every Nth byte of
 * the workload's peak use — CHAINSTORE_ENOSPC_STRIDE=1 for every byte. A write past the budget is
 * short, the next fails with ENOSPC, as Linux does. The batch that did not fit is not acknowledged,
 * the store is fail-stop; a reopen on the still-full disk either works or fails cleanly; once
 * space is freed the store opens with every acknowledged commit and goes on. Then short writes
 * (the write loop must complete them) and EINTR (it must fail cleanly, fail-stop).
 */
const stride = Number(process.env.CHAINSTORE_ENOSPC_STRIDE ?? 0);

describe('a full disk, short writes, EINTR', () => {
  jest.setTimeout(10 * 60 * 1000);

  it('ENOSPC at every budget: the batch that did not fit is not acknowledged; after space is freed the store goes on', async () => {
    const probe = new PowerLossDisk('/disk', seededRandom(0));
    const clean = await runIoWorkload(probe.mount(), { submitted: [], acknowledged: new Set() });
    expect(clean.stoppedBy).toBeUndefined();
    const peak = probe.peakUsedBytes;
    // By default ~400 budgets spread over the whole range; a prime step so they fall at all offsets within writes.
    const step = stride > 0 ? stride : Math.max(1, Math.floor(peak / 400) | 1);
    const problems: string[] = [];
    let runs = 0;
    let enospc = 0;
    for (let capacity = 0; capacity <= peak; capacity += step) {
      runs++;
      const disk = new PowerLossDisk('/disk', seededRandom(capacity));
      disk.capacityBytes = capacity;
      const ledger: Ledger = { submitted: [], acknowledged: new Set() };
      const run = await runIoWorkload(disk.mount(), ledger);
      const name = `budget ${capacity} of ${peak} bytes`;
      problems.push(...run.problems.map((problem) => `${name}: ${problem}`));
      if (run.stoppedBy !== undefined && errorCode(run.stoppedBy) !== 'ENOSPC') problems.push(`${name}: stopped by ${String(run.stoppedBy)}, not ENOSPC`);
      enospc += disk.stats.enospc;
      disk.powerLoss();
      // Still full: recovery (truncating, sealing, creating a journal) may fail with ENOSPC, but must damage nothing.
      disk.removeDurably(`${STORE_DIRECTORY}/LOCK`);
      const stillFull = await reopenAndClose(disk.mount());
      if (stillFull !== undefined && errorCode(stillFull) !== 'ENOSPC') problems.push(`${name}: the reopen on a full disk failed with ${String(stillFull)}`);
      disk.powerLoss();
      disk.capacityBytes = Number.POSITIVE_INFINITY;
      problems.push(...(await checkRecovery(disk, ledger, IO_SEGMENT_SIZE_BYTES)).map((problem) => `${name}, space freed: ${problem}`));
    }
    process.stdout.write(`enospc: ${runs} budgets (step ${step} bytes, peak ${peak}), ${enospc} ENOSPC errors, ${problems.length} problems\n`);
    expect(enospc).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('short writes of any length are completed by the write loop: no seed loses an acknowledged commit', async () => {
    const problems: string[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      const result = await runPowerLossSeed(seed, undefined, false, 110, true);
      problems.push(...result.problems.map((problem) => `seed ${seed} with short writes: ${problem}`));
    }
    expect(problems).toEqual([]);
  });

  it('EINTR from any journal or segment write fails the store cleanly (the loop does not take it for progress)', async () => {
    const problems: string[] = [];
    const isWrite = (operation: string, path: string): boolean => operation === 'write' && /\.(wal|edb\.tmp)$/.test(path);
    for (let nth = 1; nth <= 30; nth++) {
      const disk = new PowerLossDisk('/disk', seededRandom(nth));
      const ledger: Ledger = { submitted: [], acknowledged: new Set() };
      const run = await runIoWorkload(disk.mount({ faults: [{ matches: isWrite, nth, errno: 'EINTR' }] }), ledger);
      problems.push(...run.problems);
      if (run.stoppedBy !== undefined && !(run.stoppedBy instanceof StoreFailedError && errorCode(run.stoppedBy) === 'EINTR')) problems.push(`write ${nth}: stopped by ${String(run.stoppedBy)}`);
      disk.powerLoss();
      problems.push(...(await checkRecovery(disk, ledger, IO_SEGMENT_SIZE_BYTES)).map((problem) => `EINTR at write ${nth}: ${problem}`));
    }
    expect(problems).toEqual([]);
  });

  /** A real small tmpfs, where this process may mount one (root on Linux); elsewhere it says so and checks nothing. */
  it('on a real 256 KiB tmpfs: ENOSPC stops the store, nothing acknowledged is lost, and it goes on once space is freed', async () => {
    const tmpfs = mountTmpfs();
    if (tmpfs === undefined) {
      process.stdout.write('enospc: no tmpfs could be mounted here (needs root on Linux): only the simulator budget ran\n');
      return;
    }
    const directory = join(tmpfs, 'store');
    try {
      const fileSystem = new SynchronousNodeFileSystem(true);
      const log = await SegmentLog.open({ directory, segmentSizeBytes: 16 * 1024, durability: 'fsync', readOnly: false, fileSystem, logger: silentLogger });
      const submitted: SubmittedCommit[] = [];
      const acknowledged = new Set<number>();
      let failure: unknown;
      for (let i = 0; i < 2000 && failure === undefined; i++) {
        const events = [commitEvent(`tmpfs-${i % 5}`, i, 'Tested', { pad: 'z'.repeat(500) })];
        const pending = log.appendCommit(events);
        const index = submitted.push({ firstPosition: pending.firstPosition, ids: events.map((event) => Buffer.from(event.id).toString('hex')) }) - 1;
        await pending.durable.then(() => acknowledged.add(index), (error: unknown) => (failure = error));
        if (failure === undefined) await log.settle();
        failure ??= log.failedWith;
      }
      expect(failure).toBeInstanceOf(StoreFailedError);
      expect(errorCode(failure)).toBe('ENOSPC');
      await log.close();
      execFileSync('mount', ['-o', 'remount,size=4m', tmpfs]);
      expect(await checkStoreAfterCrash(directory, submitted, acknowledged, 16 * 1024)).toEqual([]);
      expect((await verifyStore(directory)).events).toBeGreaterThan(acknowledged.size);
    } finally {
      execFileSync('umount', [tmpfs]);
      rmdirSync(tmpfs);
    }
  });
});

async function reopenAndClose(fileSystem: FileSystem): Promise<unknown> {
  try {
    const log = await SegmentLog.open({ directory: STORE_DIRECTORY, segmentSizeBytes: IO_SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: false, fileSystem, logger: silentLogger });
    await log.settle();
    const failed = log.failedWith;
    await log.close();
    return failed;
  } catch (error) {
    return error;
  }
}

function mountTmpfs(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const directory = mkdtempSync(join(tmpdir(), 'chainstore-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', directory], { stdio: 'ignore' });
    return directory;
  } catch {
    rmdirSync(directory);
    return undefined;
  }
}
