import { join } from 'node:path';
import { LOCK_FILE_NAME, SegmentLog, silentLogger, verifyStore } from '../../lib/segment';
import { FaultOperation, MUTATING_OPERATIONS, PowerLossDisk } from '../support/power-loss-file-system';
import { seededRandom } from '../support/seeded-random';
import { Ledger, readCommits, runAppenders, shapeOf, STORE_DIRECTORY } from '../support/power-loss-workload';

/**
 * DESIGN §3 rule 6, made robust: recovery writes too (it truncates torn tails, seals full
 * journals, retires sealed ones, creates the next journal), so it may itself be cut by a power
 * loss or an I/O error at any of its steps. Recovering again must then give exactly the result of
 * an uninterrupted recovery: the same commits, a chain that verifies.
 *
 *   CHAINSTORE_RECOVERY_STATES=50 npx jest test/fault/recovery-faults     more crashed states
 */
const states = Number(process.env.CHAINSTORE_RECOVERY_STATES ?? 12);

/** A crashed store: a seeded workload cut by a power loss, mid-seal or mid-append. */
async function crashedDisk(seed: number): Promise<PowerLossDisk> {
  const random = seededRandom(seed);
  const disk = new PowerLossDisk('/disk', random);
  const shape = { ...shapeOf(random), appenders: 3, commitsPerAppender: 4, segmentSizeBytes: 1024, throughEventStore: false };
  const ledger: Ledger = { submitted: [], acknowledged: new Set() };
  await runAppenders(disk.mount({ crashAtStep: 20 + Math.floor(random() * 40) }), random, shape, ledger);
  if (disk.list(join(STORE_DIRECTORY, 'journal')).length === 0) return crashedDisk(seed + 1000);
  disk.powerLoss();
  disk.removeDurably(join(STORE_DIRECTORY, LOCK_FILE_NAME));
  return disk;
}

/** Recovers (open, let seals finish, close); returns the commits' ids, or the error that stopped it. */
async function recover(disk: PowerLossDisk, options: Parameters<PowerLossDisk['mount']>[0] = {}): Promise<{ ids?: string[]; error?: unknown; steps: number }> {
  const fileSystem = disk.mount(options);
  try {
    const log = await SegmentLog.open({ directory: STORE_DIRECTORY, segmentSizeBytes: 1024, durability: 'fsync', readOnly: false, fileSystem, logger: silentLogger });
    await log.settle();
    const failed = log.failedWith;
    await log.close();
    if (failed) return { error: failed, steps: fileSystem.stepCount };
    const ids = (await readCommits(fileSystem)).flatMap((commit) => commit.events.map((event) => `${event.position}:${event.id.toString('hex')}`));
    await verifyStore(STORE_DIRECTORY, { fileSystem });
    return { ids, steps: fileSystem.stepCount };
  } catch (error) {
    return { error, steps: fileSystem.stepCount };
  }
}

describe('a crash or an I/O error during recovery', () => {
  jest.setTimeout(10 * 60 * 1000);

  it(`recovery cut at any step, then run again, gives the uninterrupted result (${states} crashed states)`, async () => {
    const problems: string[] = [];
    let cases = 0;
    for (let seed = 1; seed <= states; seed++) {
      const base = await crashedDisk(seed);
      const reference = await recover(base.clone(seededRandom(seed)));
      if (reference.error !== undefined) {
        problems.push(`state ${seed}: the uninterrupted recovery failed: ${String(reference.error)}`);
        continue;
      }
      for (let step = 1; step <= reference.steps; step++) {
        for (const fault of ['power loss', 'EIO', 'persistent EIO'] as const) {
          cases++;
          const disk = base.clone(seededRandom(seed * 1000 + step));
          const matchesStep = (operation: FaultOperation): boolean => MUTATING_OPERATIONS.has(operation);
          const first =
            fault === 'power loss'
              ? await recover(disk, { crashAtStep: step })
              : await recover(disk, { faults: [{ matches: matchesStep, nth: step, errno: 'EIO', persistent: fault === 'persistent EIO' }] });
          disk.powerLoss();
          disk.removeDurably(join(STORE_DIRECTORY, LOCK_FILE_NAME));
          const again = await recover(disk);
          const name = `state ${seed}, ${fault} at recovery step ${step}${first.error ? ` (${String(first.error).slice(0, 120)})` : ''}`;
          if (again.error !== undefined) problems.push(`${name}: recovering again failed: ${String(again.error)}`);
          else if (again.ids?.join() !== reference.ids?.join()) problems.push(`${name}: recovered ${again.ids?.length} events, the uninterrupted recovery ${reference.ids?.length}`);
        }
      }
    }
    process.stdout.write(`recovery-faults: ${states} crashed states, ${cases} interrupted recoveries, ${problems.length} problems\n`);
    expect(problems).toEqual([]);
    expect(cases).toBeGreaterThan(states * 10);
  });
});
