import { join } from 'node:path';
import { BuiltSegment } from '../chain/link';
import { Steps } from '../chain/steps';
import { CorruptionError } from '../errors/corruption.error';
import { segmentFileName } from '../format';
import { FileSystem, writeFully } from './file-system';
import { Durability } from './journal-file';

/**
 * Writes a sealed segment (DESIGN §3 rule 4): `NNNNNNNN.edb.tmp` is written, made read-only and
 * fsynced; it is published under its final name with link(), which never replaces a file; the
 * directory is fsynced. Only after this returns may the journal be retired.
 */
export async function writeSealedSegment(
  fileSystem: FileSystem,
  segmentsDirectory: string,
  segmentNumber: number,
  built: BuiltSegment,
  durability: Durability,
): Promise<void> {
  const name = segmentFileName(segmentNumber);
  const path = join(segmentsDirectory, name);
  const tmpPath = `${path}.tmp`;
  await fileSystem.unlink(tmpPath).catch(ignoreMissing);
  const fd = await fileSystem.open(tmpPath, 'wx');
  try {
    await writeFully(fileSystem, fd, built.bytes, 0);
    if (durability === 'fsync') await fileSystem.fsync(fd);
  } finally {
    await fileSystem.close(fd);
  }
  await fileSystem.chmod(tmpPath, 0o444);
  await publishWithoutReplacing(fileSystem, tmpPath, path, built.bytes, `segments/${name}`);
  if (durability === 'fsync') await fileSystem.syncDirectory(segmentsDirectory);
}

async function publishWithoutReplacing(
  fileSystem: FileSystem,
  tmpPath: string,
  path: string,
  bytes: Buffer,
  name: string,
): Promise<void> {
  try {
    await fileSystem.link(tmpPath, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // Only the same bytes may stand there (a seal that completed before a crash); anything else is damage.
      const existing = await fileSystem.readFile(path);
      if (!existing.equals(bytes)) throw new CorruptionError(name, 0, 'a different segment already exists under this name');
    } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      // File systems without hard links: check, then rename (the lock keeps other writers out).
      if (await fileSystem.exists(path)) throw new CorruptionError(name, 0, 'a segment already exists under this name');
      await fileSystem.rename(tmpPath, path);
      return;
    } else {
      throw error;
    }
  }
  await fileSystem.unlink(tmpPath);
}

/** Runs a computation in slices with a turn of the event loop between them: appends go on meanwhile. */
export async function runCooperatively<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
