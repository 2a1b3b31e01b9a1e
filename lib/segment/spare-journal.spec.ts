import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitEvent } from '../../test/support/events';
import { watchSpares } from '../../test/support/spare-journals';
import { useTempDirectories } from '../../test/support/temp-directory';
import { encodeJournalHeader, JOURNAL_HEADER_BYTES } from '../format';
import { NodeFileSystem } from './file-system';
import { JournalFile, SPARE_JOURNAL_FILE } from './journal-file';
import { silentLogger } from './logger';
import { CommitEvent, SegmentLog } from './segment-log';

const SEGMENT_SIZE_BYTES = 64 * 1024;
/** What prepareSpare makes for 64 KiB segments: the header, the segment rounded to 64 KiB, and 64 KiB over. */
const SPARE_FILE_BYTES = JOURNAL_HEADER_BYTES + 2 * 64 * 1024;

/**
 * The next journal's file is made ahead of time, zero-filled and synced, in the background, so no
 * commit waits for zeros to be written ahead of its frame. It is a .tmp until a rotation writes the
 * journal's header into it, syncs it and renames it into place: the same protocol as a journal made
 * on the spot, so whatever a crash leaves is a .tmp (removed at open) or a whole journal.
 */
describe('spare journals', () => {
  const tempDirectory = useTempDirectories();
  /** Each spare begun by the test, as JournalFile.prepareSpare's promise: a test waits for the spare it caused. */
  let making: Array<Promise<unknown>> = [];

  beforeEach(() => {
    making = watchSpares();
  });

  afterEach(() => jest.restoreAllMocks());

  function open(directory: string): Promise<SegmentLog> {
    return SegmentLog.open({ directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: false, logger: silentLogger });
  }

  /** A commit of 2.1-2.3 KB: 12 of them fill less than half of a 64 KiB journal, 16 more than half. */
  function paddedCommit(index: number) {
    return [commitEvent(`s-${index}`, 0, 'Tested', { padding: 'x'.repeat(2000) })];
  }

  /**
   * Appends commits up to index `quiet` and checks that no spare was begun, then up to `begun` and
   * checks that one was; waits for it to be made. Returns the commits appended in all.
   */
  async function appendUntilSpareBegun(log: SegmentLog, commitOf: (index: number) => CommitEvent[], quiet: number, begun: number, commits = 0): Promise<number> {
    const before = making.length;
    while (commits < quiet) await log.appendCommit(commitOf(commits++)).durable;
    expect(making).toHaveLength(before);
    while (commits < begun) await log.appendCommit(commitOf(commits++)).durable;
    expect(making).toHaveLength(before + 1);
    await making[before];
    return commits;
  }

  /** Appends commits until the log has rotated `rotations` times, waiting for each spare once it is begun. */
  async function appendThroughRotations(log: SegmentLog, directory: string, rotations: number, commits = 0): Promise<number> {
    const journals = () => readdirSync(join(directory, 'journal')).filter((name) => name.endsWith('.wal')).sort();
    while (Number.parseInt(journals().pop() ?? '0', 10) <= rotations) {
      const begun = making.length;
      await log.appendCommit(paddedCommit(commits++)).durable;
      if (making.length > begun) await making[making.length - 1];
    }
    return commits;
  }

  it('makes each next journal from a spare of a whole journal, begun once the open one is half full (64 KiB segments), and removes the spare at close', async () => {
    const directory = tempDirectory();
    const log = await open(directory);
    const spare = join(directory, 'journal', SPARE_JOURNAL_FILE);
    let commits = await appendUntilSpareBegun(log, paddedCommit, 12, 16);
    expect(statSync(spare).size).toBe(SPARE_FILE_BYTES);
    commits = await appendThroughRotations(log, directory, 3, commits);
    await log.settle();
    // Journal 1 was made before any spare (its zeros extended in the background); journals 2-4 are spares.
    const open4 = join(directory, 'journal', '00000004.wal');
    expect(statSync(open4).size).toBe(SPARE_FILE_BYTES);
    // Journal 4 has just been opened (holding a commit or two): its spare is begun once it is half full (less than 1 MiB).
    expect(making).toHaveLength(3);
    expect(existsSync(spare)).toBe(false);
    commits = await appendUntilSpareBegun(log, paddedCommit, commits + 10, commits + 16, commits);
    expect(existsSync(spare)).toBe(true);
    await log.close();
    expect(existsSync(spare)).toBe(false);
    const reopened = await open(directory);
    expect(reopened.durableNextPosition).toBe(commits);
    expect(reopened.sealedSegments.map((segment) => segment.segmentNumber)).toEqual([1, 2, 3]);
    await reopened.close();
  });

  it('begins the spare of a 64 MiB segment once the journal holds 1 MiB: a store closed before then writes none', async () => {
    const directory = tempDirectory();
    const log = await SegmentLog.open({ directory, segmentSizeBytes: 64 * 1024 * 1024, durability: 'fsync', readOnly: false, logger: silentLogger });
    const spare = join(directory, 'journal', SPARE_JOURNAL_FILE);
    // ~100 KB commits: 9 of them hold less than 1 MiB, 11 more.
    const bigCommit = (index: number) => [commitEvent(`s-${index}`, 0, 'Tested', { padding: 'x'.repeat(100_000) })];
    await appendUntilSpareBegun(log, bigCommit, 9, 11);
    expect(existsSync(spare)).toBe(true);
    await log.close();
    expect(existsSync(spare)).toBe(false);
  });

  it('removes a spare left by a crash, with or without the next header written into it, and loses nothing', async () => {
    for (const headerWritten of [false, true]) {
      const directory = tempDirectory();
      const log = await open(directory);
      const commits = await appendThroughRotations(log, directory, 1);
      await log.close();
      const spare = Buffer.alloc(SPARE_FILE_BYTES);
      if (headerWritten) encodeJournalHeader({ storeId: log.storeId, segmentNumber: 3, salt: Buffer.alloc(8, 7), firstPosition: commits }).copy(spare, 0);
      writeFileSync(join(directory, 'journal', SPARE_JOURNAL_FILE), spare);
      const reopened = await open(directory);
      expect({ headerWritten, position: reopened.durableNextPosition }).toEqual({ headerWritten, position: commits });
      await reopened.appendCommit([commitEvent('after', 0)]).durable;
      await reopened.close();
      expect(readdirSync(join(directory, 'journal')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      const again = await open(directory);
      expect(again.durableNextPosition).toBe(commits + 1);
      await again.close();
    }
  });

  it('makes journals the usual way when no spare can be made', async () => {
    const prepare = jest.spyOn(JournalFile, 'prepareSpare').mockResolvedValue(undefined);
    try {
      const directory = tempDirectory();
      const log = await open(directory);
      const commits = await appendThroughRotations(log, directory, 2);
      await log.settle();
      expect(prepare).toHaveBeenCalled();
      // Made with one 64 KiB chunk of zeros, then extended ahead of its frames in the background: never past a spare's size.
      expect(statSync(join(directory, 'journal', '00000003.wal')).size).toBeLessThanOrEqual(SPARE_FILE_BYTES);
      expect(log.failedWith).toBeUndefined();
      await log.close();
      const reopened = await open(directory);
      expect(reopened.durableNextPosition).toBe(commits);
      await reopened.close();
    } finally {
      prepare.mockRestore();
    }
  });

  it('is not made for a log on an injected file system (its calls must replay exactly) unless asked for', async () => {
    for (const spareJournals of [undefined, true]) {
      const directory = tempDirectory();
      const begun = making.length;
      const fileSystem = new NodeFileSystem();
      const log = await SegmentLog.open({ directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: false, fileSystem, spareJournals, logger: silentLogger });
      for (let commits = 0; commits < 16; ) await log.appendCommit(paddedCommit(commits++)).durable;
      await Promise.all(making.slice(begun));
      const journalBytes = statSync(join(directory, 'journal', '00000001.wal')).size;
      await log.close();
      // Past half the journal: a spare only when asked for; nor, unasked, zeros extended past the first 64 KiB.
      expect({ spareJournals, spares: making.length - begun }).toEqual({ spareJournals, spares: spareJournals ? 1 : 0 });
      if (!spareJournals) expect(journalBytes).toBe(JOURNAL_HEADER_BYTES + 64 * 1024);
    }
  });
});
