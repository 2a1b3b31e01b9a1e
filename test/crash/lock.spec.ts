import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StoreLockedError } from '../../lib/errors';
import { LOCK_FILE_NAME, SegmentLog, SegmentLogOptions, silentLogger } from '../../lib/segment';
import { spawnTypeScript, TypeScriptChild } from '../support/child-process';
import { commitEvent } from '../support/events';
import { useTempDirectories } from '../support/temp-directory';

const WRITER_PROCESS = join(__dirname, 'fixtures', 'writer-process.ts');

/** DESIGN §3 rule 1: one writer per directory; a dead writer's LOCK does not block forever. */
describe('the store LOCK', () => {
  const tempDirectory = useTempDirectories();
  const children: TypeScriptChild[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  });

  function options(directory: string, readOnly = false): SegmentLogOptions {
    return { directory, segmentSizeBytes: 1024 * 1024, durability: 'fsync', readOnly, logger: silentLogger };
  }

  /** A child process that opened the store and holds its LOCK until killed. */
  async function holder(directory: string): Promise<TypeScriptChild> {
    const child = spawnTypeScript(WRITER_PROCESS, ['hold', directory]);
    children.push(child);
    await child.lineMatching(/^locked \d+$/);
    return child;
  }

  async function appendOne(log: SegmentLog, streamId: string): Promise<void> {
    await log.appendCommit([commitEvent(streamId, 0)]).durable;
  }

  it('a second process opening the directory gets StoreLockedError naming the holder pid, without waiting', async () => {
    const directory = tempDirectory();
    const child = await holder(directory);
    const opening = SegmentLog.open(options(directory));
    await expect(opening).rejects.toBeInstanceOf(StoreLockedError);
    await expect(opening).rejects.toMatchObject({ directory, pid: child.process.pid });
  });

  it('a LOCK left by a process killed with SIGKILL does not block the next open', async () => {
    const directory = tempDirectory();
    const child = await holder(directory);
    child.process.kill('SIGKILL');
    await child.exited;
    expect(JSON.parse(readFileSync(join(directory, LOCK_FILE_NAME), 'utf8'))).toMatchObject({ pid: child.process.pid });

    const log = await SegmentLog.open(options(directory));
    await appendOne(log, 'after-kill');
    expect(JSON.parse(readFileSync(join(directory, LOCK_FILE_NAME), 'utf8'))).toMatchObject({ pid: process.pid });
    await log.close();
    expect(existsSync(join(directory, LOCK_FILE_NAME))).toBe(false);
  });

  it('a second open in the same process gets StoreLockedError, and the directory opens again once the first is closed', async () => {
    const directory = tempDirectory();
    const first = await SegmentLog.open(options(directory));
    const second = SegmentLog.open(options(directory));
    await expect(second).rejects.toBeInstanceOf(StoreLockedError);
    await expect(second).rejects.toMatchObject({ pid: process.pid });
    await appendOne(first, 'still-writing');
    await first.close();
    const again = await SegmentLog.open(options(directory));
    await again.close();
  });

  it('a read-only open takes no lock: it opens while another process writes, and leaves no LOCK behind', async () => {
    const directory = tempDirectory();
    const writer = await SegmentLog.open(options(directory));
    await appendOne(writer, 'written');
    await writer.close();

    const reader = await SegmentLog.open(options(directory, true));
    expect(existsSync(join(directory, LOCK_FILE_NAME))).toBe(false);
    // While it reads, a writer may still open the directory.
    const writerAgain = await SegmentLog.open(options(directory));
    await writerAgain.close();
    await reader.close();

    await holder(directory);
    const readerWhileHeld = await SegmentLog.open(options(directory, true));
    expect(readerWhileHeld.durableNextPosition).toBe(1);
    await readerWhileHeld.close();
    expect(existsSync(join(directory, LOCK_FILE_NAME))).toBe(true);
  });

  it('a LOCK naming a live process that started after the owner (a reused pid) does not block the open', async () => {
    const directory = tempDirectory();
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(directory, LOCK_FILE_NAME), JSON.stringify({ pid: other.pid, host: hostname(), startTime: '1' }));
      const log = await SegmentLog.open(options(directory));
      await log.close();
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a LOCK torn by a crash while it was written does not block the open', async () => {
    const directory = tempDirectory();
    writeFileSync(join(directory, LOCK_FILE_NAME), '{"pid": 12');
    const log = await SegmentLog.open(options(directory));
    await log.close();
  });
});
