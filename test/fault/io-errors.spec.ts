import { StoreFailedError } from '../../lib/errors';
import { errorCode, IO_SEGMENT_SIZE_BYTES, runIoWorkload } from '../support/io-fault-workload';
import { FaultOperation, PowerLossDisk } from '../support/power-loss-file-system';
import { seededRandom } from '../support/seeded-random';
import { checkRecovery, Ledger } from '../support/power-loss-workload';

/**
 * DESIGN §3 rule 5, swept: for every N, the Nth call of a kind fails with EIO — once, or from then
 * on — in a workload of concurrent appends, rotations, seals and reads through the EventStore
 * (its readers' synchronous reads included). The append whose write or flush failed is rejected,
 * the store is fail-stop (every later append rejects with StoreFailedError), no flush of the failed
 * file is ever issued again, a read fails with the error rather than return wrong events, and after
 * a power cut and a reopen every acknowledged commit is there. test/crash/fail-stop.spec.ts pins
 * single cases (which call, which error, what is logged); this sweep covers every call.
 */
const CATEGORIES: Array<[string, (operation: FaultOperation, path: string) => boolean]> = [
  ['the journal', (operation, path) => path.includes('/journal/') && operation !== 'close' && operation !== 'closeSync'],
  ['the temporary segment', (operation, path) => path.includes('.edb.tmp') && operation !== 'close'],
  ['the directories', (operation) => ['syncDirectory', 'readdir', 'mkdir', 'link', 'rename', 'unlink'].includes(operation)],
  ['reads (readFile, and the readers\' openSync/readSync)', (operation) => ['read', 'readSync', 'readFile', 'openSync', 'fileSize', 'sizeOf'].includes(operation)],
];

const FLUSHES = / (fsync|fdatasync) /;

/** Calls matching `matches` in a run without faults: the Ns to sweep. */
async function countCalls(matches: (operation: FaultOperation, path: string) => boolean): Promise<number> {
  let count = 0;
  const disk = new PowerLossDisk('/disk', seededRandom(0));
  const counting = (operation: FaultOperation, path: string): boolean => (matches(operation, path) ? (count++, false) : false);
  const run = await runIoWorkload(disk.mount({ faults: [{ matches: counting, nth: Number.MAX_SAFE_INTEGER, errno: 'EIO' }] }), { submitted: [], acknowledged: new Set() });
  expect(run.stoppedBy).toBeUndefined();
  expect(run.problems).toEqual([]);
  return count;
}

async function faultCase(label: string, matches: (operation: FaultOperation, path: string) => boolean, nth: number, persistent: boolean): Promise<string[]> {
  const name = `${label}, call ${nth}${persistent ? ' and every later one' : ''}`;
  const disk = new PowerLossDisk('/disk', seededRandom(nth * 2 + (persistent ? 1 : 0)));
  const fileSystem = disk.mount({ faults: [{ matches, nth, errno: 'EIO', persistent }], log: true });
  const ledger: Ledger = { submitted: [], acknowledged: new Set() };
  const run = await runIoWorkload(fileSystem, ledger);
  const problems = [...run.problems];
  const failedAt = fileSystem.log.findIndex((line) => line.endsWith('[EIO]'));
  if (failedAt < 0) return [`${name}: the fault never fired: the run did not replay the counting run`];
  const failedLine = fileSystem.log[failedAt] as string;
  const failedPath = failedLine.split(' ').find((word) => word.startsWith('store/'));
  if (FLUSHES.test(failedLine) && fileSystem.log.slice(failedAt + 1).some((line) => FLUSHES.test(line) && failedPath !== undefined && line.includes(` ${failedPath}`))) {
    problems.push(`a failed flush was issued again: ${failedLine}`);
  }
  if (/ (write|fdatasync) store\/journal\/\d+\.wal /.test(failedLine) && !(run.stoppedBy instanceof StoreFailedError)) {
    problems.push(`the append whose journal ${failedLine.split(' ')[3]} failed was not rejected with StoreFailedError (got ${String(run.stoppedBy)})`);
  }
  for (const error of run.readErrors) if (errorCode(error) !== 'EIO') problems.push(`a read failed with ${String(error)}, not the EIO`);
  disk.powerLoss();
  problems.push(...(await checkRecovery(disk, ledger, IO_SEGMENT_SIZE_BYTES)));
  return problems.map((problem) => `${name} (${failedLine}): ${problem}`);
}

describe('an I/O error at every call', () => {
  jest.setTimeout(10 * 60 * 1000);

  it.each(CATEGORIES)('on %s: fail-stop, nothing flushed again, every acknowledged commit recovered', async (label, matches) => {
    const calls = await countCalls(matches);
    expect(calls).toBeGreaterThan(5);
    const problems: string[] = [];
    for (let nth = 1; nth <= calls; nth++) {
      for (const persistent of [false, true]) problems.push(...(await faultCase(label, matches, nth, persistent)));
    }
    process.stdout.write(`io-errors on ${label}: ${calls} calls, ${calls * 2} runs, ${problems.length} problems\n`);
    expect(problems).toEqual([]);
  });
});
