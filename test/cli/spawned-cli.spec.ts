import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { EventStore } from '../../lib/store';
import { useTempDirectories } from '../support/temp-directory';
import { jsonLines, openTestStore } from './cli-harness';

const ROOT = join(__dirname, '..', '..');

/** The real CLI in a child process, TypeScript compiled on the fly as in development. */
function spawnCli(args: string[]): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'lib/cli/main.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return Object.assign(child, { output });
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

async function until(condition: () => boolean, what: string, child: ReturnType<typeof spawnCli>): Promise<void> {
  for (let turn = 0; turn < 30000; turn++) {
    if (condition()) return;
    if (child.exitCode !== null) throw new Error(`the CLI exited (${child.exitCode}) before ${what}: ${child.output.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`never happened: ${what}`);
}

describe('the chainstore CLI as a separate process', () => {
  const tempDirectory = useTempDirectories();
  let writer: EventStore | undefined;

  afterEach(async () => {
    await writer?.close();
    writer = undefined;
  });

  it('reads, inspects and verifies a directory while a writer in another process holds its lock', async () => {
    const directory = tempDirectory();
    writer = await openTestStore(directory, 1024);
    for (let i = 0; i < 20; i++) await writer.appendToStream(`account-${i % 2}`, [{ type: 'Deposited', data: { i, pad: 'x'.repeat(50) } }]);
    const head = await writer.head();

    const read = spawnCli(['read', directory, '--stream', 'account-1']);
    expect(await exitOf(read)).toBe(0);
    expect(read.output.stderr).toBe('');
    expect(jsonLines(read.output.stdout).map((event) => (event.data as { i: number }).i)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);

    const verify = spawnCli(['verify', directory, '--json', '--expect-head', head.hash]);
    expect(await exitOf(verify)).toBe(0);
    expect(JSON.parse(verify.output.stdout)).toMatchObject({ ok: true, events: 20, head });

    const inspect = spawnCli(['inspect', directory]);
    expect(await exitOf(inspect)).toBe(0);
    expect(inspect.output.stdout).toContain(`hash      ${head.hash}`);

    // The writer still owns the directory: the CLI took no lock.
    await writer.appendToStream('account-0', [{ type: 'Deposited', data: { i: 20 } }]);
    expect((await writer.head()).position).toBe(20);
  });

  it('tails a store that another process appends to, across seals, and exits 0 on SIGINT', async () => {
    const directory = tempDirectory();
    writer = await openTestStore(directory, 1024);
    for (let i = 0; i < 3; i++) await writer.appendToStream('account-0', [{ type: 'Deposited', data: { i } }]);
    const tail = spawnCli(['tail', directory, '--from-position', '0', '--interval-ms', '10']);
    try {
      await until(() => jsonLines(tail.output.stdout).length >= 3, 'the existing events', tail);
      for (let i = 3; i < 60; i++) await writer.appendToStream(`account-${i % 3}`, [{ type: 'Deposited', data: { i, pad: 'x'.repeat(50) } }]);
      await until(() => jsonLines(tail.output.stdout).length >= 60, 'the appended events', tail);
    } finally {
      tail.kill('SIGINT');
    }
    expect(await exitOf(tail)).toBe(0);
    expect(tail.output.stderr).toBe('');
    const events = jsonLines(tail.output.stdout);
    expect(events.map((event) => event.position)).toEqual([...Array(60).keys()]);
    expect(events.map((event) => (event.data as { i: number }).i)).toEqual([...Array(60).keys()]);
    expect((await writer.head()).position).toBe(59);
  });

  it('prints one line and exits 2 for a directory that does not exist', async () => {
    const missing = join(tempDirectory(), 'missing');
    const child = spawnCli(['verify', missing]);
    expect(await exitOf(child)).toBe(2);
    expect(child.output).toEqual({ stdout: '', stderr: `chainstore verify: no such directory: ${missing}\n` });
  });
});
