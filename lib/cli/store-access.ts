import { readdir, stat } from 'node:fs/promises';
import { CorruptionError } from '../errors/corruption.error';
import { isChainstoreError } from '../errors/chainstore.error';
import { ChainstoreLogger, StoreLayout } from '../segment';
import { StoreCore } from '../store';
import { UsageError } from './cli-io';

const STORE_FILE = /^\d{8}\.(edb|wal)$/;

/**
 * Checks that `directory` exists, can be read and holds a store (a segment or a journal), so that
 * the user gets one clear line rather than an error from deep in the engine. Never creates anything.
 */
export async function checkStoreDirectory(directory: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(directory)).isDirectory();
  } catch (error) {
    throw fileError(error, directory);
  }
  if (!isDirectory) throw new UsageError(`not a directory: ${directory}`);
  const layout = new StoreLayout(directory);
  const names: string[] = [];
  for (const sub of [layout.segmentsDirectory, layout.journalDirectory]) {
    try {
      names.push(...(await readdir(sub)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error, sub);
    }
  }
  if (!names.some((name) => STORE_FILE.test(name))) {
    throw new UsageError(`not a chainstore directory: ${directory} (no segments/*.edb or journal/*.wal)`);
  }
}

/** Opens the store read-only: no lock, nothing written, so it works while another process writes. */
export async function openReadOnly(directory: string, logger: ChainstoreLogger): Promise<StoreCore> {
  await checkStoreDirectory(directory);
  return whileFilesMove(() => StoreCore.open({ directory, readOnly: true, durability: 'none', logger }));
}

/**
 * Runs `work` again when a file it listed disappeared before it read it: a writer in another process
 * sealed a journal meanwhile (the journal becomes a segment). Any other error goes through.
 */
export async function whileFilesMove<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 5 || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** A file-system error as a user error (one line), or the error itself when it is not one. */
export function fileError(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const where = (error as NodeJS.ErrnoException).path ?? path;
  if (code === 'ENOENT') return new UsageError(`no such directory: ${where}`);
  if (code === 'EACCES' || code === 'EPERM') return new UsageError(`permission denied: ${where}`);
  if (code === 'ENOTDIR') return new UsageError(`not a directory: ${where}`);
  return error;
}

/** One line for an error that stopped a command (the store's own errors say what and where). */
export function describeFailure(error: unknown): string {
  if (error instanceof CorruptionError) return `the store is damaged: ${error.segment} at offset ${error.offset}: ${error.reason} (run chainstore verify)`;
  if (isChainstoreError(error)) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied: ${(error as NodeJS.ErrnoException).path ?? ''}`;
  return error instanceof Error ? error.message : String(error);
}
