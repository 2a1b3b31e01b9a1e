import { randomUUID } from 'node:crypto';
import { lastValueFrom, toArray } from 'rxjs';
import { StoreFailedError } from '../../lib/errors';
import { EventStore, RecordedEvent } from '../../lib/store';
import { openEventStore } from '../../lib/streams';
import { FileSystem, silentLogger } from '../../lib/segment';
import { Ledger, STORE_DIRECTORY } from './power-loss-workload';

/** Commits per wave: a wave's appends are in flight together (group commit). */
const WAVES = [1, 3, 2, 4, 1, 2, 3];
export const IO_SEGMENT_SIZE_BYTES = 1024;

export interface IoRun {
  /** What stopped the run: the open's error, or the first rejected append. */
  stoppedBy: unknown;
  /** Problems seen on the way: a read that returned wrong events, a store that went on after a failure. */
  problems: string[];
  readErrors: unknown[];
}

/**
 * Through the EventStore, so that the store's readers make their synchronous reads: waves of
 * concurrent appends to three streams (rotating and sealing: 1 KiB segments), a readAll and a
 * readStream after each wave, then close. Every successful read must return exactly the
 * acknowledged prefix; after a rejected append the store must be fail-stop (every later append
 * rejects with StoreFailedError).
 */
export async function runIoWorkload(fileSystem: FileSystem, ledger: Ledger): Promise<IoRun> {
  const run: IoRun = { stoppedBy: undefined, problems: [], readErrors: [] };
  let store: EventStore;
  try {
    store = await openEventStore({ directory: STORE_DIRECTORY, segmentSizeBytes: IO_SEGMENT_SIZE_BYTES, fileSystem, logger: silentLogger });
  } catch (error) {
    run.stoppedBy = error;
    return run;
  }
  let commit = 0;
  for (const size of WAVES) {
    const wave = Array.from({ length: size }, () => {
      const events = Array.from({ length: 1 + (commit % 3) }, () => ({ id: randomUUID(), type: 'Tested', data: { commit, pad: 'y'.repeat((commit * 37) % 200) } }));
      const streamId = `stream-${commit++ % 3}`;
      return { ids: events.map((event) => event.id.replace(/-/g, '')), appended: store.appendToStream(streamId, events) };
    });
    const results = await Promise.allSettled(wave.map((append) => append.appended));
    recordWave(ledger, wave, results);
    const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (rejected) {
      run.stoppedBy = rejected.reason;
      // Refused before it was accepted (the idempotency check reads the stream's last events): an
      // I/O error of that read; once accepted, only StoreFailedError.
      if (!(rejected.reason instanceof StoreFailedError) && errorCode(rejected.reason) !== 'EIO') run.problems.push(`an append rejected with ${String(rejected.reason)}`);
      if (!results.some((result) => result.status === 'rejected' && result.reason instanceof StoreFailedError)) continue;
      const after = await store.appendToStream('after-failure', [{ type: 'Tested', data: {} }]).then(
        () => 'acknowledged',
        (error: unknown) => (error instanceof StoreFailedError ? undefined : String(error)),
      );
      if (after !== undefined) run.problems.push(`an append after the failure: ${after}, not StoreFailedError (fail-stop)`);
      break;
    }
    await checkReads(store, ledger, run);
  }
  await store.close().catch(() => undefined);
  return run;
}

/**
 * Adds a wave's accepted commits to the ledger, in call order (the order positions were given in).
 * An append refused with anything but StoreFailedError never reached the log; one refused with
 * StoreFailedError may have (accepted, then its flush failed): it stays, unacknowledged.
 */
function recordWave(ledger: Ledger, wave: Array<{ ids: string[] }>, results: PromiseSettledResult<unknown>[]): void {
  wave.forEach((append, i) => {
    const result = results[i] as PromiseSettledResult<unknown>;
    if (result.status === 'rejected' && !(result.reason instanceof StoreFailedError)) return;
    const last = ledger.submitted[ledger.submitted.length - 1];
    const firstPosition = last ? last.firstPosition + last.ids.length : 0;
    const index = ledger.submitted.push({ firstPosition, ids: append.ids }) - 1;
    if (result.status === 'fulfilled') ledger.acknowledged.add(index);
  });
}

/** The errno (EIO, ENOSPC...) of an error or of the first error in its cause chain. */
export function errorCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  return undefined;
}

/** A read may fail (with the I/O error); when it succeeds it returns exactly what was acknowledged. */
async function checkReads(store: EventStore, ledger: Ledger, run: IoRun): Promise<void> {
  let events: RecordedEvent[];
  try {
    events = await lastValueFrom(store.readAll().pipe(toArray()));
  } catch (error) {
    run.readErrors.push(error);
    return;
  }
  const expected = ledger.submitted.flatMap((commit) => commit.ids);
  const got = events.map((event) => event.id.replace(/-/g, ''));
  if (got.join() !== expected.join()) run.problems.push(`readAll returned ${got.length} events, not the ${expected.length} acknowledged`);
  events.forEach((event, i) => {
    if (event.position !== i) run.problems.push(`readAll event ${i} is at position ${event.position}`);
  });
  try {
    const stream = await lastValueFrom(store.readStream('stream-0').pipe(toArray()));
    stream.forEach((event, i) => {
      if (event.version !== i) run.problems.push(`readStream stream-0 event ${i} has version ${event.version}`);
    });
  } catch (error) {
    run.readErrors.push(error);
  }
}
