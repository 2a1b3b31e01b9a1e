import { extname, join } from 'node:path';
import { TransferListItem, Worker } from 'node:worker_threads';
import { CorruptionError } from '../errors/corruption.error';

/**
 * Starts a worker thread on one of this folder's programs (`seal-worker`, `verify-worker`): the
 * compiled .js in the package; from the TypeScript sources (this repository's tests) it is
 * compiled on load by @swc-node/register. Unref'd: it never keeps a process alive.
 */
export function startLibWorker(program: 'seal-worker' | 'verify-worker'): Worker {
  const extension = extname(__filename);
  const file = join(__dirname, `${program}${extension}`);
  const execArgv = extension === '.ts' ? ['--require', require.resolve('@swc-node/register')] : [];
  const worker = new Worker(file, { execArgv });
  worker.unref();
  return worker;
}

/**
 * Sends one message to an idle worker and resolves with its answer; rejects with the worker's
 * error, or when it exits first (`what` names the thread in that error).
 */
export function askWorker<Answer>(worker: Worker, what: string, message: unknown, transfer: readonly TransferListItem[] = []): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const done = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (answer: Answer) => {
      done();
      resolve(answer);
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onExit = (code: number) => onError(new Error(`${what} exited (code ${code}) before it answered`));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(message, transfer);
  });
}

/** A CorruptionError as a worker posts it: an Error crosses threads without its fields. */
export interface CorruptionReport {
  corruption: { segment: string; offset: number; reason: string };
}

export function reportOf(error: CorruptionError): CorruptionReport {
  return { corruption: { segment: error.segment, offset: error.offset, reason: error.reason } };
}

export function corruptionOf(report: CorruptionReport): CorruptionError {
  return new CorruptionError(report.corruption.segment, report.corruption.offset, report.corruption.reason);
}
