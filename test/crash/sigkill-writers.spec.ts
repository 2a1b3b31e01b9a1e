import { join } from 'node:path';
import { SegmentLog, silentLogger, verifyStore } from '../../lib/segment';
import { spawnTypeScript } from '../support/child-process';
import { readRecoveredCommits } from '../support/recovered-store';
import { useTempDirectories } from '../support/temp-directory';
import { seededRandom } from '../support/seeded-random';

const WRITER_PROCESS = join(__dirname, 'fixtures', 'writer-process.ts');
const ROUNDS = 20;
const SEGMENT_SIZE_BYTES = 64 * 1024;
/** Kill moments are drawn up to this long after the child is ready (or after spawn, for recovery kills). */
const MAX_KILL_DELAY_MS = 300;


interface Acknowledged {
  firstPosition: number;
  ids: string[];
}

function parseAck(line: string): Acknowledged | undefined {
  const match = /^ack (\d+) ([0-9a-f]{32}(?:,[0-9a-f]{32})*)$/.exec(line);
  return match ? { firstPosition: Number(match[1]), ids: (match[2] as string).split(',') } : undefined;
}

/**
 * DESIGN §3, for real: a child process with 8 concurrent writers (group commit, rotation, background
 * seals) is killed with SIGKILL at a random moment, 20 times against one directory. Whatever the
 * child printed as acknowledged (after its durable promise resolved) must be there after each kill,
 * at the position it was given, with dense positions and a chain that verifies.
 */
describe('a writer process killed with SIGKILL', () => {
  const tempDirectory = useTempDirectories();

  it('loses no acknowledged commit over 20 kills at random moments (seeded)', async () => {
    const seed = Number(process.env.CHAINSTORE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    const directory = tempDirectory();
    const acknowledged = new Map<number, Acknowledged>();
    const problems: string[] = [];

    for (let round = 0; round < ROUNDS && problems.length === 0; round++) {
      const child = spawnTypeScript(WRITER_PROCESS, ['write', directory, String(SEGMENT_SIZE_BYTES)]);
      // One round in four is killed counting from spawn: often while it opens and recovers.
      const fromSpawn = random() < 0.25;
      const delayMs = Math.floor(random() * MAX_KILL_DELAY_MS);
      if (!fromSpawn) await child.lineMatching(/^ready$/);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.process.kill('SIGKILL');
      const exit = await child.exited;
      const where = `round ${round} (killed ${delayMs} ms after ${fromSpawn ? 'spawn' : 'ready'})`;
      if (exit.signal !== 'SIGKILL') problems.push(`${where}: the child exited by itself (${exit.code}): ${child.stderr()}`);
      for (const line of child.lines) {
        const ack = parseAck(line);
        if (ack) acknowledged.set(ack.firstPosition, ack);
      }
      problems.push(...(await checkAfterKill(directory, acknowledged)).map((problem) => `${where}: ${problem}`));
    }
    if (problems.length > 0) throw new Error(`seed ${seed} (rerun with CHAINSTORE_CRASH_SEED=${seed}):\n${problems.join('\n')}`);
    // The kills must have landed while commits were being acknowledged, or the test proves little.
    expect(acknowledged.size).toBeGreaterThan(ROUNDS);
  });
});

/** Reopens (recovery runs, the dead child's LOCK is taken over) and checks every acknowledged commit. */
async function checkAfterKill(directory: string, acknowledged: Map<number, Acknowledged>): Promise<string[]> {
  const problems: string[] = [];
  const log = await SegmentLog.open({ directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: false, logger: silentLogger });
  try {
    await log.settle();
    const byPosition = new Map<number, string[]>();
    let nextPosition = 0;
    for (const commit of await readRecoveredCommits(directory)) {
      for (const event of commit.events) {
        if (event.position !== nextPosition) problems.push(`event at position ${event.position} where ${nextPosition} follows: positions are not dense`);
        nextPosition = event.position + 1;
      }
      byPosition.set(commit.firstPosition, commit.events.map((event) => event.id.toString('hex')));
    }
    for (const ack of acknowledged.values()) {
      const found = byPosition.get(ack.firstPosition);
      if (found?.join() !== ack.ids.join()) problems.push(`acknowledged commit at position ${ack.firstPosition} is ${found ? `[${found.join()}]` : 'missing'}, expected [${ack.ids.join()}]`);
    }
    if (log.durableNextPosition !== nextPosition) problems.push(`the reopened log continues at ${log.durableNextPosition}, the files end at ${nextPosition}`);
  } finally {
    await log.close();
  }
  try {
    await verifyStore(directory);
  } catch (error) {
    problems.push(`verifyStore: ${(error as Error).message}`);
  }
  return problems;
}
