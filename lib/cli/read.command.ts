import { silentLogger } from '../segment';
import { CliIo, EXIT_OK } from './cli-io';
import { EventQuery, positionRange, queryBatches } from './event-query';
import { eventLine } from './format';
import { openReadOnly, whileFilesMove } from './store-access';

export interface ReadCommandOptions extends EventQuery {
  limit?: number;
  backwards?: boolean;
}

/** `chainstore read <dir>`: matching events as JSON lines, read-only, in position order (or reversed). */
export async function readCommand(directory: string, options: ReadCommandOptions, io: CliIo): Promise<number> {
  const core = await openReadOnly(directory, silentLogger);
  try {
    const direction = options.backwards ? 'backwards' : 'forwards';
    let { low, high } = positionRange(core, options);
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    // A journal may be sealed and retired by its writer while this reads it (ENOENT): refresh,
    // which swaps in its segment, and go on after the last event printed.
    await whileFilesMove(async () => {
      await core.refresh();
      for (const batch of queryBatches(core, options, low, high, direction)) {
        const events = batch.slice(0, remaining);
        remaining -= events.length;
        if (events.length > 0 && io.stdout(events.map(eventLine).join('')) === false) await io.drained?.();
        const last = batch[batch.length - 1];
        if (last && direction === 'forwards') low = last.position + 1;
        if (last && direction === 'backwards') high = last.position - 1;
        if (remaining <= 0) return;
      }
    });
    return EXIT_OK;
  } finally {
    await core.close();
  }
}
