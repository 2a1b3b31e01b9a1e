import { SegmentLog, silentLogger } from '../../lib/segment';
import { commitEvent } from '../support/events';
import { FlushMutation, PowerLossDisk, PowerLossStats } from '../support/power-loss-file-system';
import { seededRandom } from '../support/seeded-random';
import { checkRecovery, runPowerLossSeed, STORE_DIRECTORY } from '../support/power-loss-workload';

/**
 * DESIGN §3 under power loss: every write not covered by an fsync may be applied, dropped or torn,
 * every directory change not covered by a directory fsync may be undone (see
 * test/support/power-loss-file-system.ts for the model). Per seed: a few cycles of concurrent
 * appends, rotations and seals, each cut at a seeded step, then recovered and checked: no
 * acknowledged commit lost, every commit whole, positions dense, verifyStore passes, the next
 * append continues the chain.
 *
 *   CHAINSTORE_POWER_SEEDS=20000 npx jest test/fault/power-loss     more seeds
 *   CHAINSTORE_POWER_SEED=123 npx jest test/fault/power-loss        one seed alone, with its op log
 */
const DEFAULT_SEEDS = 2000;
const seedCount = Number(process.env.CHAINSTORE_POWER_SEEDS ?? DEFAULT_SEEDS);
const firstSeed = Number(process.env.CHAINSTORE_POWER_FIRST_SEED ?? 1);
const onlySeed = process.env.CHAINSTORE_POWER_SEED === undefined ? undefined : Number(process.env.CHAINSTORE_POWER_SEED);
/** Stop after this many failing seeds: each one prints itself. */
const MAX_FAILURES = 5;

function rerun(seed: number, mutation?: FlushMutation): string {
  return `rerun alone: CHAINSTORE_POWER_SEED=${seed}${mutation ? ` CHAINSTORE_POWER_MUTATION=${mutation}` : ''} npx jest test/fault/power-loss`;
}

function addStats(total: PowerLossStats, stats: PowerLossStats): void {
  for (const key of Object.keys(total) as Array<keyof PowerLossStats>) total[key] += stats[key];
}

describe('power loss at any step: acknowledged means durable', () => {
  jest.setTimeout(30 * 60 * 1000);

  test('TheDirectoriesOfANewStoreAreDurableBeforeItsFirstAcknowledgement', async () => {
    // mkdir makes segments/, journal/ and the store directory itself durable only once their parent
    // is fsynced; the harshest cut (every unsynced change lost) must still find the commit.
    const disk = new PowerLossDisk('/disk', seededRandom(1));
    const log = await SegmentLog.open({ directory: STORE_DIRECTORY, segmentSizeBytes: 1024, durability: 'fsync', readOnly: false, fileSystem: disk.mount(), logger: silentLogger });
    const event = commitEvent('account-1', 0);
    await log.appendCommit([event]).durable;
    disk.powerLoss({ dropAllUnsynced: true });
    const ledger = { submitted: [{ firstPosition: 0, ids: [Buffer.from(event.id).toString('hex')] }], acknowledged: new Set([0]) };
    expect(await checkRecovery(disk, ledger, 1024)).toEqual([]);
  });

  it(onlySeed === undefined ? `loses no acknowledged commit over ${seedCount} seeds` : `seed ${onlySeed}`, async () => {
    const seeds = onlySeed === undefined ? Array.from({ length: seedCount }, (_, i) => firstSeed + i) : [onlySeed];
    const mutation = onlySeed === undefined ? undefined : (process.env.CHAINSTORE_POWER_MUTATION as FlushMutation | undefined);
    const failures: string[] = [];
    const totals = { seeds: 0, powerCuts: 0, acknowledgedCommits: 0 };
    let stats: PowerLossStats | undefined;
    const started = Date.now();
    for (const seed of seeds) {
      const result = await runPowerLossSeed(seed, mutation, onlySeed !== undefined);
      totals.seeds++;
      totals.powerCuts += result.powerCuts;
      totals.acknowledgedCommits += result.acknowledged;
      if (stats === undefined) stats = { ...result.disk.stats };
      else addStats(stats, result.disk.stats);
      if (result.problems.length > 0) {
        failures.push(`seed ${seed} (${rerun(seed, mutation)}):\n  ${result.problems.join('\n  ')}`);
        if (failures.length >= MAX_FAILURES) break;
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`power-loss: ${totals.seeds} seeds, ${totals.powerCuts} power cuts, ${totals.acknowledgedCommits} acknowledged commits, ${failures.length} failing seeds, ${seconds} s; faults ${JSON.stringify(stats)}\n`);
    expect(failures).toEqual([]);
    expect(totals.acknowledgedCommits).toBeGreaterThan(0);
  });

  /**
   * A simulator that cannot catch a missing flush proves nothing: with each flush the crash rules
   * need removed (made a no-op for those files only, exactly as if the call were deleted from the
   * engine), some seed of the default budget must lose an acknowledged commit or refuse to open.
   */
  it.each([
    ['journal-fdatasync', 'the fdatasync of the journal (*.wal) before an append is acknowledged'],
    ['journal-create-fsync', "the fsync of a new journal's file (*.wal.tmp, a spare or not) once its header is written, before it is renamed into place"],
    ['segment-fsync', 'the fsync of the temporary segment (*.edb.tmp) before it is published'],
    ['directory-fsync', 'every directory fsync (journal creation, segment publication, journal retirement)'],
  ] as const)('catches the removal of %s: %s', async (mutation, _description) => {
    if (onlySeed !== undefined) return;
    let caught: string | undefined;
    let seed = firstSeed;
    for (; seed < firstSeed + seedCount && caught === undefined; seed++) {
      const result = await runPowerLossSeed(seed, mutation);
      if (result.problems.length > 0) caught = `seed ${seed}: ${result.problems[0]}`;
    }
    process.stdout.write(`power-loss mutation ${mutation}: caught after ${seed - firstSeed} seeds: ${caught?.slice(0, 300)}\n`);
    expect(caught).toBeDefined();
  });
});
