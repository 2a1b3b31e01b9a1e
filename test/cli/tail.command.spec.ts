import { useTempDirectories } from '../support/temp-directory';
import { jsonLines, openTestStore, runCli } from './cli-harness';

/** Waits (yielding to the event loop) until `condition` holds; fails after many turns, never on a clock. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 20000; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`never happened: ${what}`);
}

describe('chainstore tail', () => {
  const tempDirectory = useTempDirectories();

  it('follows events committed after it started across seals, and exits 0 when interrupted', async () => {
    const directory = tempDirectory();
    const writer = await openTestStore(directory, 1024);
    await writer.appendToStream('old', [{ type: 'Before', data: {} }]);
    const controller = new AbortController();
    let stdout = '';
    let stderr = '';
    // --from-position 1: the events after the one already there, whenever tail gets to open the store.
    const tail = runCli(['tail', directory, '--from-position', '1', '--interval-ms', '5'], {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      signal: controller.signal,
    });
    try {
      for (let i = 0; i < 40; i++) await writer.appendToStream(`account-${i % 2}`, [{ type: 'Deposited', data: { i, pad: 'x'.repeat(50) } }]);
      await until(() => jsonLines(stdout).length >= 40 || stderr !== '', '40 events printed');
    } finally {
      controller.abort();
      await writer.close();
    }
    expect({ code: (await tail).code, stderr }).toEqual({ code: 0, stderr: '' });
    const events = jsonLines(stdout);
    expect(events.map((event) => event.position)).toEqual([...Array(40).keys()].map((i) => i + 1));
    expect(events.map((event) => (event.data as { i: number }).i)).toEqual([...Array(40).keys()]);
    expect(stderr).toBe('');
  });

  it('prints existing events from --from-position first, with --stream and --type filters', async () => {
    const directory = tempDirectory();
    const writer = await openTestStore(directory);
    for (let i = 0; i < 6; i++) await writer.appendToStream(`s-${i % 2}`, [{ type: i % 3 === 0 ? 'A' : 'B', data: { i } }]);
    const controller = new AbortController();
    let stdout = '';
    const tail = runCli(['tail', directory, '--from-position', '1', '--stream', 's-0', '--interval-ms', '5'], { stdout: (text) => void (stdout += text), stderr: () => undefined, signal: controller.signal });
    try {
      await until(() => jsonLines(stdout).length >= 2, 'history printed');
      await writer.appendToStream('s-1', [{ type: 'A', data: { i: 6 } }]);
      await writer.appendToStream('s-0', [{ type: 'A', data: { i: 7 } }]);
      await until(() => jsonLines(stdout).length >= 3, 'live event printed');
    } finally {
      controller.abort();
      await writer.close();
    }
    expect((await tail).code).toBe(0);
    expect(jsonLines(stdout).map((event) => (event.data as { i: number }).i)).toEqual([2, 4, 7]);

    let typed = '';
    const done = new AbortController();
    const typedTail = runCli(['tail', directory, '--from-position', '0', '--type', 'A'], { stdout: (text) => void (typed += text), stderr: () => undefined, signal: done.signal });
    await until(() => jsonLines(typed).length >= 4, 'typed history printed');
    done.abort();
    expect((await typedTail).code).toBe(0);
    expect(jsonLines(typed).map((event) => (event.data as { i: number }).i)).toEqual([0, 3, 6, 7]);
  });
});
