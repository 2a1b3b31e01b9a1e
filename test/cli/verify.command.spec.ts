import { chmodSync, closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { StoreLayout } from '../../lib/segment';
import { useTempDirectories } from '../support/temp-directory';
import { buildFixture, runCli } from './cli-harness';

describe('chainstore verify', () => {
  const tempDirectory = useTempDirectories();

  async function fixture(count = 60): Promise<string> {
    const directory = tempDirectory();
    await buildFixture(directory, count);
    return directory;
  }

  function headHash(stdout: string): string {
    return (JSON.parse(stdout) as { head: { hash: string } }).head.hash;
  }

  it('reports a valid chain with a summary and exits 0', async () => {
    const directory = await fixture();
    const result = await runCli(['verify', directory]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`${directory}: the chain is valid from genesis to head`);
    expect(result.stdout).toMatch(/segments {2}\d+ sealed, 1 open \(journal\)/);
    expect(result.stdout).toContain('events    60');
    expect(result.stdout).toMatch(/head {6}position 59 in segment \d+/);
    expect(result.stdout).toMatch(/hash {6}[0-9a-f]{64}/);
    expect(result.stdout).toMatch(/elapsed {3}\d/);
  });

  it('prints one JSON object with --json', async () => {
    const directory = await fixture();
    const result = await runCli(['verify', directory, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ ok: true, directory, events: 60, journals: 1, tornBytes: 0, head: { position: 59 } });
    expect(report.segments).toBeGreaterThanOrEqual(2);
    expect(Object.keys(report).sort()).toEqual(['bytes', 'directory', 'elapsedMs', 'events', 'head', 'journals', 'ok', 'segments', 'storeId', 'tornBytes']);
  });

  it('passes with --expect-head when the head hash is the one given', async () => {
    const directory = await fixture();
    const hash = headHash((await runCli(['verify', directory, '--json'])).stdout);
    const result = await runCli(['verify', directory, '--expect-head', hash.toUpperCase()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`expected  ${hash} (matches)`);
  });

  it('catches a truncated tail with --expect-head: the shorter chain is valid, its head is not the one kept', async () => {
    const directory = await fixture();
    const hash = headHash((await runCli(['verify', directory, '--json'])).stdout);
    rmSync(new StoreLayout(directory).journalDirectory, { recursive: true });
    expect((await runCli(['verify', directory])).code).toBe(0);

    const result = await runCli(['verify', directory, '--expect-head', hash]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('the chain is valid, but its head is not the expected one');
    expect(result.stderr).toMatch(new RegExp(`^chainstore verify: FAILED: head is [0-9a-f]{64} \\(position \\d+\\), expected ${hash}: the store was truncated or rolled back.*\\n$`));
    const json = JSON.parse((await runCli(['verify', directory, '--json', '--expect-head', hash])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ ok: false, failure: { kind: 'head-mismatch', expected: hash } });
  });

  it('names the file, offset and check of a flipped byte in a sealed segment, and exits 1', async () => {
    const directory = await fixture();
    const path = new StoreLayout(directory).segmentPath(1);
    chmodSync(path, 0o644); // sealed segments are read-only files
    flipByte(path, 1000);
    const result = await runCli(['verify', directory]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^chainstore verify: FAILED: segments\/00000001\.edb at offset \d+: .+\n$/);
    const json = JSON.parse((await runCli(['verify', directory, '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ ok: false, failure: { kind: 'corruption', file: 'segments/00000001.edb' } });
    expect(typeof (json.failure as { offset: unknown }).offset).toBe('number');
  });

  it('refuses a hash that is not 64 hex digits as a usage error (exit 2, one line)', async () => {
    const directory = await fixture(3);
    const result = await runCli(['verify', directory, '--expect-head', 'abc123']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^chainstore verify: option '--expect-head <hash>' argument 'abc123' is invalid\. expected a head hash: 64 hexadecimal digits.*\n$/);
  });

  it('draws a progress bar on a terminal and none otherwise', async () => {
    const directory = await fixture();
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    let drawn = '';
    terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    const withBar = await runCli(['verify', directory], { terminal: terminal as unknown as NodeJS.WriteStream });
    expect(withBar.code).toBe(0);
    expect(drawn).toMatch(/verifying \[.*\] \d+% \| .* of .* \| segment \d+\/\d+/);
    expect((await runCli(['verify', directory])).stdout).not.toContain('verifying');
  });
});

function flipByte(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, offset);
    byte[0] = (byte[0] as number) ^ 0xff;
    writeSync(fd, byte, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}
