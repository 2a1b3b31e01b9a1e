import { cpSync } from 'node:fs';
import { SegmentLog, silentLogger, verifyStore } from '../../lib/segment';
import { FaultFileSystem, SimulatedCrash } from '../support/fault-file-system';
import { CRASH_SEGMENT_SIZE_BYTES, runWorkload, WorkloadRun } from '../support/crash-workload';
import { checkStoreAfterCrash, readRecoveredCommits, removeLock, SubmittedCommit } from '../support/recovered-store';
import { useTempDirectories } from '../support/temp-directory';

/**
 * DESIGN §3: a process may die between any two file-system calls. For every N, the workload (open,
 * group-committed appends, rotations, background seals, close) runs on a file system that "dies"
 * at its Nth counted call; the test process then drops the log as it is, and a reopen with the real
 * file system must find every acknowledged commit, dense positions, each commit whole or absent,
 * a chain that verifies, and a store that takes the next append.
 */
describe('a crash at any step of appending, rotating and sealing', () => {
  const tempDirectory = useTempDirectories();

  /** Runs the workload once without a crash: the op log every crash case is a prefix of. */
  async function fullRun(splitWrites = false): Promise<{ log: string[]; run: WorkloadRun }> {
    const directory = tempDirectory();
    const fileSystem = new FaultFileSystem({ root: directory, splitWrites });
    const run = await runWorkload(fileSystem, directory);
    expect(run.stoppedBy).toBeUndefined();
    return { log: fileSystem.log, run };
  }

  /** Crashes the workload at step N on a fresh directory; returns what went wrong, naming the step. */
  async function crashCase(step: number, expectedLine: string | undefined, splitWrites = false): Promise<string[]> {
    const directory = tempDirectory();
    const fileSystem = new FaultFileSystem({ root: directory, splitWrites }).crashAt(step);
    const run = await runWorkload(fileSystem, directory);
    fileSystem.closeLeftovers();
    removeLock(directory);
    const name = `crash at ${fileSystem.crash ?? `step ${step} (never reached)`}`;
    if (fileSystem.crash !== `${expectedLine}`) return [`${name}: the run did not replay the crash-free run, whose step ${step} is ${expectedLine}`];
    if (!(run.stoppedBy instanceof SimulatedCrash) && !isFailedByCrash(run.stoppedBy)) {
      return [`${name}: the workload stopped with ${String(run.stoppedBy)}, not the crash`];
    }
    const problems = await checkStoreAfterCrash(directory, run.submitted, run.acknowledged, CRASH_SEGMENT_SIZE_BYTES);
    return problems.map((problem) => `${name}: ${problem}`);
  }

  it.each([
    ['whole writes', false],
    ['short writes (a crash between the two halves of a write tears it)', true],
  ])('loses no acknowledged commit and leaves no partial commit, with %s', async (_label, splitWrites) => {
    const { log, run } = await fullRun(splitWrites);
    // The sweep is only as good as its workload: it must seal segments and group commits.
    expect(log.filter((line) => / link segments\//.test(line)).length).toBeGreaterThanOrEqual(3);
    expect(run.submitted.length).toBeGreaterThan(log.filter((line) => / fdatasync /.test(line)).length);

    const problems: string[] = [];
    for (let step = 1; step <= log.length; step++) problems.push(...(await crashCase(step, log[step - 1], splitWrites)));
    expect(problems).toEqual([]);
  });

  it('a torn journal frame left by a crash is truncated on reopen, and the bytes removed are logged', async () => {
    const { log } = await fullRun(true);
    // The second half of a frame write never happened: the first half is a torn frame on disk.
    const secondHalf = log.findIndex((line, i) => i > 0 && / write journal\/00000001\.wal /.test(line) && / write journal\/00000001\.wal /.test(log[i - 1] ?? '')) + 1;
    expect(secondHalf).toBeGreaterThan(0);
    const directory = tempDirectory();
    const fileSystem = new FaultFileSystem({ root: directory, splitWrites: true }).crashAt(secondHalf);
    await runWorkload(fileSystem, directory);
    fileSystem.closeLeftovers();
    removeLock(directory);
    expect((await verifyStore(directory)).tornBytes).toBeGreaterThan(0);

    const warnings: string[] = [];
    const reopened = await SegmentLog.open({
      directory,
      segmentSizeBytes: CRASH_SEGMENT_SIZE_BYTES,
      durability: 'fsync',
      readOnly: false,
      logger: { ...silentLogger, warn: (message) => warnings.push(message) },
    });
    await reopened.close();
    expect(warnings).toEqual([expect.stringMatching(/^journal\/00000001\.wal: truncated a torn tail of \d+ bytes at offset \d+/)]);
    expect((await verifyStore(directory)).tornBytes).toBe(0);
  });

  it('loses no acknowledged commit when the process dies again during recovery', async () => {
    // A first death right before the first seal publishes its segment: recovery must seal that
    // journal itself (and truncate the torn tail of the open one), and may die at any step of that too.
    const { log } = await fullRun(true);
    const firstLink = log.findIndex((line) => / link segments\//.test(line)) + 1;
    const base = tempDirectory();
    const first = await runWorkload(new FaultFileSystem({ root: base, splitWrites: true }).crashAt(firstLink), base);
    removeLock(base);
    // Commits of the first run that are on disk (acknowledged or not): the second run continues from them.
    const baseCount = (await readRecoveredCommits(base)).length;

    const probe = tempDirectory();
    cpSync(base, probe, { recursive: true });
    const probeFileSystem = new FaultFileSystem({ root: probe });
    const probeRun = await runWorkload(probeFileSystem, probe, 'again');
    expect(probeRun.stoppedBy).toBeUndefined();
    const recoverySteps = probeFileSystem.log.length;
    expect(probeFileSystem.log.slice(0, 20).some((line) => / link segments\//.test(line))).toBe(true);

    const problems: string[] = [];
    for (let step = 1; step <= recoverySteps; step++) {
      const directory = tempDirectory();
      cpSync(base, directory, { recursive: true });
      const fileSystem = new FaultFileSystem({ root: directory }).crashAt(step);
      const second = await runWorkload(fileSystem, directory, 'again');
      fileSystem.closeLeftovers();
      removeLock(directory);
      const submitted: SubmittedCommit[] = [...first.submitted.slice(0, baseCount), ...second.submitted];
      const acknowledged = new Set([...first.acknowledged, ...[...second.acknowledged].map((i) => i + baseCount)]);
      const onDisk = await checkStoreAfterCrash(directory, submitted, acknowledged, CRASH_SEGMENT_SIZE_BYTES);
      problems.push(...onDisk.map((problem) => `second crash at ${fileSystem.crash}: ${problem}`));
    }
    expect(problems).toEqual([]);
  });
});

/** A crash inside a background seal reaches the workload as the StoreFailedError it caused. */
function isFailedByCrash(error: unknown): boolean {
  return error instanceof Error && error.cause instanceof SimulatedCrash;
}
