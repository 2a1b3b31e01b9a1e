import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitEvent } from '../../test/support/events';
import { useTempDirectories } from '../../test/support/temp-directory';
import { encodeJournalHeader, JOURNAL_HEADER_BYTES } from '../format';
import { NodeFileSystem } from './file-system';
import { JournalFile, SPARE_JOURNAL_FILE } from './journal-file';
import { silentLogger } from './logger';
import { SegmentLog } from './segment-log';

const SEGMENT_SIZE_BYTES = 64 * 1024;
/** What prepareSpare makes for 64 KiB segments: the header, the segment rounded to 64 KiB, and 64 KiB over. */
const SPARE_FILE_BYTES = JOURNAL_HEADER_BYTES + 2 * 64 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The next journal's file is made ahead of time, zero-filled and synced, in the background, so no
 * commit waits for zeros to be written ahead of its frame. It is a .tmp until a rotation writes the
 * journal's header into it, syncs it and renames it into place: the same protocol as a journal made
 * on the spot, so whatever a crash leaves is a .tmp (removed at open) or a whole journal.
 */
describe('spare journals', () => {
  const tempDirectory = useTempDirectories();

  function open(directory: string): Promise<SegmentLog> {
    return SegmentLog.open({ directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: false, logger: silentLogger });
  }

  /** Appends ~2 KiB commits until the log has rotated `rotations` times, pausing after each for the spare. */
  async function appendThroughRotations(log: SegmentLog, directory: string, rotations: number): Promise<number> {
    let commits = 0;
    const journals = () => readdirSync(join(directory, 'journal')).filter((name) => name.endsWith('.wal')).sort();
    while (Number.parseInt(journals().pop() ?? '0', 10) <= rotations) {
      const before = journals().pop();
      await log.appendCommit([commitEvent(`s-${commits}`, 0, 'Tested', { padding: 'x'.repeat(2000) })]).durable;
      commits++;
      if (journals().pop() !== before) await sleep(50);
    }
    return commits;
  }

  it('makes each next journal from a spare of a whole journal, and removes the spare at close', async () => {
    const directory = tempDirectory();
    const log = await open(directory);
    await sleep(50);
    expect(statSync(join(directory, 'journal', SPARE_JOURNAL_FILE)).size).toBe(SPARE_FILE_BYTES);
    const commits = await appendThroughRotations(log, directory, 3);
    await log.settle();
    // Journal 1 was made before any spare (its zeros extended in the background); journals 2-4 are spares.
    const open4 = join(directory, 'journal', '00000004.wal');
    expect(statSync(open4).size).toBe(SPARE_FILE_BYTES);
    expect(existsSync(join(directory, 'journal', SPARE_JOURNAL_FILE))).toBe(true);
    await log.close();
    expect(existsSync(join(directory, 'journal', SPARE_JOURNAL_FILE))).toBe(false);
    const reopened = await open(directory);
    expect(reopened.durableNextPosition).toBe(commits);
    expect(reopened.sealedSegments.map((segment) => segment.segmentNumber)).toEqual([1, 2, 3]);
    await reopened.close();
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
    const directory = tempDirectory();
    const log = await SegmentLog.open({ directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: false, fileSystem: new NodeFileSystem(), logger: silentLogger });
    await sleep(50);
    expect(existsSync(join(directory, 'journal', SPARE_JOURNAL_FILE))).toBe(false);
    await log.close();
  });
});
