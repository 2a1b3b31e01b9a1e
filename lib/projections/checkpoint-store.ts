import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, promises as fs } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a projection's position is kept: the position of the last event it applied. Implement it
 * on the projection itself to keep the checkpoint in the read model's own database, written in the
 * same transaction as the read model (then `saveCheckpoint` may do nothing).
 */
export interface ProjectionCheckpointStore {
  loadCheckpoint(projection: string): Promise<number | undefined>;
  saveCheckpoint(projection: string, position: number): Promise<void>;
}

export function isCheckpointStore(value: unknown): value is ProjectionCheckpointStore {
  const candidate = value as Partial<ProjectionCheckpointStore> | null;
  return typeof candidate?.loadCheckpoint === 'function' && typeof candidate.saveCheckpoint === 'function';
}

/** Checkpoints as small JSON files in `<store directory>/projections/`, replaced atomically. */
export class FileCheckpointStore implements ProjectionCheckpointStore {
  private readonly directory: string;

  constructor(storeDirectory: string) {
    this.directory = join(storeDirectory, 'projections');
  }

  async loadCheckpoint(projection: string): Promise<number | undefined> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.pathOf(projection), 'utf8')) as { position?: unknown };
      return typeof parsed.position === 'number' && Number.isSafeInteger(parsed.position) ? parsed.position : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Writes a temporary file, fsyncs it, renames it over the old one and fsyncs the directory. */
  async saveCheckpoint(projection: string, position: number): Promise<void> {
    await fs.mkdir(this.directory, { recursive: true });
    const path = this.pathOf(projection);
    const tmpPath = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await fs.open(tmpPath, 'w');
    try {
      await handle.writeFile(JSON.stringify({ projection, position }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmpPath, path);
    const directoryFd = openSync(this.directory, 'r');
    try {
      fsyncSync(directoryFd);
    } finally {
      closeSync(directoryFd);
    }
  }

  async clear(projection: string): Promise<void> {
    await fs.rm(this.pathOf(projection), { force: true });
  }

  private pathOf(projection: string): string {
    return join(this.directory, `${encodeURIComponent(projection)}.checkpoint.json`);
  }
}
