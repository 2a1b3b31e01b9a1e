import { setTimeout as sleep } from 'node:timers/promises';
import { ChainstoreLogger } from '../segment';
import { StoreCore } from '../store';
import { CliIo, EXIT_OK } from './cli-io';
import { EventQuery, queryBatches } from './event-query';
import { eventLine } from './format';
import { openReadOnly, whileFilesMove } from './store-access';

export interface TailCommandOptions extends Pick<EventQuery, 'stream' | 'types'> {
  /** Print existing events from here first. @default only events committed after the start */
  fromPosition?: number;
  /** How often the directory is checked for new commits. @default 200 */
  intervalMs?: number;
}

export const DEFAULT_TAIL_INTERVAL_MS = 200;

/**
 * `chainstore tail <dir>`: prints events as JSON lines as another process commits them, until
 * `io.signal` aborts (Ctrl-C). Read-only and lock-free: it polls the directory (StoreCore.refresh)
 * for frames added to the open journal and for journals sealed meanwhile.
 */
export async function tailCommand(directory: string, options: TailCommandOptions, io: CliIo): Promise<number> {
  const core = await openReadOnly(directory, warningsTo(io));
  try {
    const cursor = { next: options.fromPosition ?? core.durableNextPosition };
    const intervalMs = options.intervalMs ?? DEFAULT_TAIL_INTERVAL_MS;
    while (!io.signal?.aborted) {
      // A journal read here may have been sealed and retired since the last refresh (ENOENT):
      // refresh again, which swaps in its segment, and go on from the cursor.
      await whileFilesMove(async () => {
        await core.refresh();
        await printNew(core, options, cursor, io);
      });
      if (!(await pause(intervalMs, io.signal))) break;
    }
    return EXIT_OK;
  } finally {
    await core.close();
  }
}

/** Prints the matching events from `cursor.next` to the head known now, moving the cursor as it goes. */
async function printNew(core: StoreCore, query: EventQuery, cursor: { next: number }, io: CliIo): Promise<void> {
  const head = core.durableNextPosition;
  for (const batch of queryBatches(core, { ...query, stream: undefined }, cursor.next, head - 1, 'forwards')) {
    const events = batch.filter((event) => query.stream === undefined || event.streamId === query.stream);
    const last = batch[batch.length - 1];
    if (events.length > 0 && io.stdout(events.map(eventLine).join('')) === false) await io.drained?.();
    if (last) cursor.next = last.position + 1;
  }
  cursor.next = Math.max(cursor.next, head);
}

/** Waits `ms`; false when the signal aborted meanwhile. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function warningsTo(io: CliIo): ChainstoreLogger {
  const write = (message: string) => io.stderr(`chainstore tail: ${message}\n`);
  return { log: () => undefined, warn: write, error: write };
}
