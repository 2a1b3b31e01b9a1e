import { CliIo } from '../../lib/cli/cli-io';
import { run } from '../../lib/cli/run';
import { EventStore } from '../../lib/store';
import { silentLogger } from '../../lib/segment';
import { openEventStore } from '../../lib/streams/chain-event-store';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with collecting writers. */
export async function runCli(argv: string[], extra: Partial<CliIo> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), ...extra });
  return { code, stdout, stderr };
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function openTestStore(directory: string, segmentSizeBytes = 64 * 1024 * 1024): Promise<EventStore> {
  return openEventStore({ directory, logger: silentLogger, durability: 'none', segmentSizeBytes });
}

/**
 * A closed store of `count` events over three streams (account-0..2), alternating types Deposited /
 * Withdrawn, each append its own commit; small segments so that several are sealed.
 */
export async function buildFixture(directory: string, count: number, segmentSizeBytes = 2048): Promise<void> {
  const store = await openTestStore(directory, segmentSizeBytes);
  try {
    for (let i = 0; i < count; i++) {
      await store.appendToStream(`account-${i % 3}`, [{ type: i % 2 === 0 ? 'Deposited' : 'Withdrawn', data: { n: i }, metadata: { by: 'test' } }]);
    }
  } finally {
    await store.close();
  }
}
