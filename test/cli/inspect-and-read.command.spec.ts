import { useTempDirectories } from '../support/temp-directory';
import { buildFixture, jsonLines, openTestStore, runCli } from './cli-harness';

describe('chainstore inspect', () => {
  const tempDirectory = useTempDirectories();

  it('shows a table of sealed and open segments and the head', async () => {
    const directory = tempDirectory();
    await buildFixture(directory, 40);
    const result = await runCli(['inspect', directory]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^store {5}${directory} \\(id [0-9a-f]{32}\\)$`));
    expect(lines[1]).toMatch(/^events {4}40 in \d+ segments, /);
    expect(lines[2]).toMatch(/^head {6}position 39 in segment \d+$/);
    expect(lines[5]).toMatch(/^segment\s+positions\s+events\s+bytes\s+first recordedAt\s+last recordedAt\s+state$/);
    expect(lines[6]).toMatch(/^\s+1 {2}0–\d+\s+\d+\s+[\d.]+ KiB {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}sealed$/);
    expect(lines.filter((line) => line.endsWith('open (journal)'))).toHaveLength(1);
  });

  it('prints the same as one JSON object with --json, and its head verifies', async () => {
    const directory = tempDirectory();
    await buildFixture(directory, 40);
    const result = await runCli(['inspect', directory, '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { events: number; head: { position: number; hash: string }; segments: Array<Record<string, unknown>> };
    expect(summary.events).toBe(40);
    expect(summary.head.position).toBe(39);
    const segments = summary.segments;
    expect(segments.map((segment) => segment.segment)).toEqual(segments.map((_, i) => i + 1));
    expect(segments.reduce((sum, segment) => sum + (segment.events as number), 0)).toBe(40);
    expect(segments[0]).toMatchObject({ state: 'sealed', file: 'segments/00000001.edb', firstPosition: 0 });
    expect(segments[segments.length - 1]).toMatchObject({ state: 'open', lastPosition: 39, tornBytes: 0 });
    expect(Object.keys(segments[0] as object).sort()).toEqual(
      ['bytes', 'commits', 'events', 'file', 'firstPosition', 'firstRecordedAt', 'lastPosition', 'lastRecordedAt', 'segment', 'state'],
    );
    expect((await runCli(['verify', directory, '--expect-head', summary.head.hash])).code).toBe(0);
  });

  it('shows an empty store with no head', async () => {
    const directory = tempDirectory();
    await (await openTestStore(directory)).close();
    const result = await runCli(['inspect', directory]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('head      none (the store is empty)');
  });
});

describe('chainstore read', () => {
  const tempDirectory = useTempDirectories();
  let directory: string;

  beforeAll(async () => {
    directory = tempDirectory();
    await buildFixture(directory, 30);
  });

  async function read(...flags: string[]): Promise<Array<Record<string, unknown>>> {
    const result = await runCli(['read', directory, ...flags]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return jsonLines(result.stdout);
  }

  it('prints every event as one JSON line in position order', async () => {
    const events = await read();
    expect(events.map((event) => event.position)).toEqual([...Array(30).keys()]);
    expect(Object.keys(events[0] as object)).toEqual(['id', 'streamId', 'version', 'position', 'type', 'data', 'metadata', 'recordedAt']);
    expect(events[4]).toMatchObject({ streamId: 'account-1', version: 1, position: 4, type: 'Deposited', data: { n: 4 }, metadata: { by: 'test' } });
    expect(new Date(events[4]?.recordedAt as string).toISOString()).toBe(events[4]?.recordedAt);
  });

  it('filters by stream, type (repeatable), positions and limit, and reads backwards', async () => {
    expect((await read('--stream', 'account-2')).map((event) => event.position)).toEqual([2, 5, 8, 11, 14, 17, 20, 23, 26, 29]);
    expect((await read('--type', 'Withdrawn')).every((event) => event.type === 'Withdrawn')).toBe(true);
    expect(await read('--type', 'Withdrawn', '--type', 'Deposited')).toHaveLength(30);
    expect((await read('--from-position', '10', '--to-position', '13')).map((event) => event.position)).toEqual([10, 11, 12, 13]);
    expect((await read('--limit', '3', '--backwards')).map((event) => event.position)).toEqual([29, 28, 27]);
    expect((await read('--stream', 'account-0', '--type', 'Withdrawn', '--from-position', '4', '--to-position', '20')).map((event) => event.position)).toEqual([9, 15]);
    expect((await read('--stream', 'account-1', '--backwards', '--limit', '2')).map((event) => event.version)).toEqual([9, 8]);
    expect(await read('--stream', 'no-such-stream')).toEqual([]);
  });

  it('filters by recorded time with --since and --until', async () => {
    const all = await read();
    const middle = all[15]?.recordedAt as string;
    const since = await read('--since', middle);
    const until = await read('--until', middle);
    expect(since.every((event) => (event.recordedAt as string) >= middle)).toBe(true);
    expect(until.every((event) => (event.recordedAt as string) <= middle)).toBe(true);
    expect(since.length + until.length).toBe(30 + all.filter((event) => event.recordedAt === middle).length);
    expect(await read('--until', '2000-01-01T00:00:00Z')).toEqual([]);
  });

  it.each([
    [['--limit', '0'], /option '--limit <n>' argument '0' is invalid\. expected a whole number, 1 or more/],
    [['--from-position', '-3'], /option '--from-position <n>' argument '-3' is invalid/],
    [['--since', 'yesterday'], /option '--since <time>' argument 'yesterday' is invalid\. expected an ISO 8601 time/],
    [['--colour'], /unknown option '--colour'/],
  ])('refuses bad flags %j with one line and exit 2', async (flags, message) => {
    const result = await runCli(['read', directory, ...flags]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^chainstore read: [^\n]+\(see chainstore read --help\)\n$/);
  });
});
