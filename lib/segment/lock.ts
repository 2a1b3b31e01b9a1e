import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StoreLockedError } from '../errors/store-locked.error';
import { FileSystem } from './file-system';

export const LOCK_FILE_NAME = 'LOCK';

interface LockOwner {
  pid: number;
  host: string;
  /** Process start time from /proc (Linux), so a reused pid is not taken for the dead owner. */
  startTime?: string;
}

/**
 * One writer per directory: LOCK is created exclusively and names its owner. A second live owner
 * gets StoreLockedError at once; a LOCK whose owner process is gone (killed, crashed) is taken over.
 */
export class StoreLock {
  private constructor(
    private readonly fileSystem: FileSystem,
    private readonly path: string,
  ) {}

  static async acquire(fileSystem: FileSystem, directory: string): Promise<StoreLock> {
    const path = join(directory, LOCK_FILE_NAME);
    const owner: LockOwner = { pid: process.pid, host: hostname(), startTime: processStartTime(process.pid) };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fileSystem.writeFile(path, JSON.stringify(owner), 'wx');
        return new StoreLock(fileSystem, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readOwner(fileSystem, path);
      if (holder !== undefined && isAlive(holder)) throw new StoreLockedError(directory, holder.pid);
      await fileSystem.unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    throw new StoreLockedError(directory);
  }

  async release(): Promise<void> {
    const holder = await readOwner(this.fileSystem, this.path);
    if (holder?.pid === process.pid && holder.host === hostname()) await this.fileSystem.unlink(this.path);
  }
}

async function readOwner(fileSystem: FileSystem, path: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse((await fileSystem.readFile(path)).toString('utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid, host: parsed.host, startTime: parsed.startTime };
  } catch {
    // A LOCK torn by a crash while it was written, or removed meanwhile: nobody holds it.
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // cannot see another host's processes: assume it lives
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const fields = procStatFields(owner.pid);
  if (fields === undefined) return true;
  if (fields[0] === 'Z') return false; // killed, not yet reaped by its parent
  return owner.startTime === undefined || fields[19] === owner.startTime;
}

function processStartTime(pid: number): string | undefined {
  return procStatFields(pid)?.[19];
}

/** Fields of /proc/<pid>/stat after the parenthesised command name (which may hold spaces): state first. */
function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
