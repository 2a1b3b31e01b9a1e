import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../lib/cli/cli-io';
import { fileError } from '../../lib/cli/store-access';
import { useTempDirectories } from '../support/temp-directory';
import { buildFixture, runCli } from './cli-harness';

describe('chainstore errors and help', () => {
  const tempDirectory = useTempDirectories();
  const commands = ['verify', 'inspect', 'read', 'tail'];

  it.each(commands)('%s says "no such directory" in one line and exits 2', async (command) => {
    const missing = join(tempDirectory(), 'nope');
    const result = await runCli([command, missing]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `chainstore ${command}: no such directory: ${missing}\n` });
  });

  it.each(commands)('%s says "not a chainstore directory" for a directory without a store, and creates nothing there', async (command) => {
    const directory = tempDirectory();
    mkdirSync(join(directory, 'segments'));
    const result = await runCli([command, directory]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `chainstore ${command}: not a chainstore directory: ${directory} (no segments/*.edb or journal/*.wal)\n` });
    expect(readdirSync(directory, { recursive: true })).toEqual(['segments']);
  });

  it('says "not a directory" for a file', async () => {
    const file = join(tempDirectory(), 'file');
    writeFileSync(file, 'x');
    expect(await runCli(['inspect', file])).toMatchObject({ code: 2, stderr: `chainstore inspect: not a directory: ${file}\n` });
  });

  (process.getuid?.() === 0 ? it.skip : it)('says "permission denied" for a directory it may not read', async () => {
    const directory = tempDirectory();
    await buildFixture(directory, 3);
    chmodSync(join(directory, 'segments'), 0o000);
    chmodSync(join(directory, 'journal'), 0o000);
    try {
      expect(await runCli(['inspect', directory])).toMatchObject({ code: 2, stderr: `chainstore inspect: permission denied: ${join(directory, 'segments')}\n` });
    } finally {
      chmodSync(join(directory, 'segments'), 0o755);
      chmodSync(join(directory, 'journal'), 0o755);
    }
  });

  it('turns EACCES, ENOENT and ENOTDIR into one-line usage errors naming the path', () => {
    const error = (code: string) => Object.assign(new Error(code), { code, path: '/store/segments' });
    expect(fileError(error('EACCES'), '/store')).toEqual(new UsageError('permission denied: /store/segments'));
    expect(fileError(error('ENOENT'), '/store')).toEqual(new UsageError('no such directory: /store/segments'));
    expect(fileError(error('ENOTDIR'), '/store')).toEqual(new UsageError('not a directory: /store/segments'));
    const other = error('EIO');
    expect(fileError(other, '/store')).toBe(other);
  });

  it('names a damaged store in one line when a read meets the damage (exit 1)', async () => {
    const directory = tempDirectory();
    await buildFixture(directory, 3);
    const journal = join(directory, 'journal', '00000001.wal');
    chmodSync(journal, 0o644);
    writeFileSync(journal, 'not a journal at all, and too short for a header');
    const result = await runCli(['read', directory]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^chainstore read: the store is damaged: journal\/00000001\.wal at offset \d+: .+ \(run chainstore verify\)\n$/);
  });

  it('exits 2 with one line for a missing directory argument, an unknown command or no command', async () => {
    const missing = await runCli(['verify']);
    expect(missing).toMatchObject({ code: 2, stderr: "chainstore verify: missing required argument 'directory' (see chainstore verify --help)\n" });
    const unknown = await runCli(['frobnicate', '/tmp']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^chainstore: unknown command 'frobnicate'/);
    expect((await runCli([])).code).toBe(2);
  });

  it('prints help at the top level with the commands and exit codes, and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: chainstore <command> <directory> [options]');
    for (const command of commands) expect(result.stdout).toMatch(new RegExp(`\\n\\s+${command} `));
    expect(result.stdout).toContain('Exit codes:');
  });

  it.each(commands)('prints help for %s, and exits 0', async (command) => {
    const result = await runCli([command, '--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Usage: chainstore ${command} [options] <directory>`);
  });

  it('explains in verify --help that --expect-head is how truncation and rollback are caught', async () => {
    const { stdout } = await runCli(['verify', '--help']);
    expect(stdout).toContain('--expect-head <hash>');
    expect(stdout).toMatch(/truncation\s+and rollback are caught/);
  });
});
