import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EventRecord } from '../../lib/format';
import { LOCK_FILE_NAME, NodeFileSystem, readCommitBlocks, SegmentLog, silentLogger, verifyStore } from '../../lib/segment';
import { commitEvent, decodeBlock } from './events';

/** A commit as the writer submitted it: its events' ids (hex) in order, and where it was placed. */
export interface SubmittedCommit {
  firstPosition: number;
  ids: string[];
}

/** A commit as it came back from disk. */
export interface RecoveredCommit {
  firstPosition: number;
  events: EventRecord[];
}

/** Every commit on disk, in order, through the real file system, without a lock (readCommitBlocks). */
export async function readRecoveredCommits(directory: string): Promise<RecoveredCommit[]> {
  const commits: RecoveredCommit[] = [];
  for await (const block of readCommitBlocks(new NodeFileSystem(), directory)) {
    const events = decodeBlock(block);
    commits.push({ firstPosition: events[0]?.position ?? -1, events });
  }
  return commits;
}

/**
 * The crash rules, checked on what is on disk after a "death": positions are dense from 0, the
 * commits on disk are the first k submitted commits, each whole (every event of it, none of another),
 * and k covers every acknowledged commit. Returns what is wrong, one line each; none means valid.
 */
export function checkRecoveredCommits(recovered: RecoveredCommit[], submitted: SubmittedCommit[], acknowledged: ReadonlySet<number>): string[] {
  const problems: string[] = [];
  let nextPosition = 0;
  recovered.forEach((commit, i) => {
    commit.events.forEach((event, j) => {
      if (event.position !== nextPosition) problems.push(`commit ${i} event ${j} is at position ${event.position}, expected ${nextPosition}: positions are not dense`);
      nextPosition = event.position + 1;
    });
    const expected = submitted[i];
    const ids = commit.events.map((event) => event.id.toString('hex'));
    if (expected === undefined) problems.push(`commit ${i} at position ${commit.firstPosition} was never submitted`);
    else if (ids.join() !== expected.ids.join()) problems.push(`commit ${i} holds events [${ids.join()}], submitted [${expected.ids.join()}]: not all-or-nothing`);
    else if (commit.firstPosition !== expected.firstPosition) problems.push(`commit ${i} is at position ${commit.firstPosition}, submitted at ${expected.firstPosition}`);
  });
  for (const index of [...acknowledged].sort((a, b) => a - b)) {
    if (index >= recovered.length) problems.push(`acknowledged commit ${index} (position ${submitted[index]?.firstPosition}) is missing: ${recovered.length} commits on disk`);
  }
  return problems;
}

/** The LOCK of a "dead" writer that is really this live test process: a reopen would refuse it. */
export function removeLock(directory: string): void {
  const path = join(directory, LOCK_FILE_NAME);
  if (existsSync(path)) rmSync(path);
}

/**
 * Reopens the store with the real file system and checks the crash rules, that verifyStore passes,
 * and that an append continues the chain. Returns the problems found (empty when all hold).
 */
export async function checkStoreAfterCrash(
  directory: string,
  submitted: SubmittedCommit[],
  acknowledged: ReadonlySet<number>,
  segmentSizeBytes: number,
): Promise<string[]> {
  let log: SegmentLog;
  try {
    log = await SegmentLog.open({ directory, segmentSizeBytes, durability: 'fsync', readOnly: false, logger: silentLogger });
  } catch (error) {
    return [`reopen failed: ${(error as Error).message}`];
  }
  let problems: string[];
  try {
    // A full journal is sealed in the background right after open: let it finish before reading files.
    await log.settle();
    problems = checkRecoveredCommits(await readRecoveredCommits(directory), submitted, acknowledged);
    if (problems.length > 0) return problems;
    const nextPosition = log.durableNextPosition;
    const appended = log.appendCommit([commitEvent('after-crash', 0), commitEvent('after-crash', 1)]);
    await appended.durable;
    if (appended.firstPosition !== nextPosition) problems.push(`an append after reopen got position ${appended.firstPosition}, expected ${nextPosition}`);
  } catch (error) {
    return [`after reopen: ${(error as Error).message}`];
  } finally {
    await log.close();
  }
  try {
    const report = await verifyStore(directory);
    const recovered = await readRecoveredCommits(directory);
    const last = recovered[recovered.length - 1];
    if (last?.events[0]?.streamId !== 'after-crash' || report.events !== (last.firstPosition ?? 0) + 2) {
      problems.push(`the append after reopen does not end the chain (verify counted ${report.events} events)`);
    }
  } catch (error) {
    problems.push(`verifyStore after reopen: ${(error as Error).message}`);
  }
  return problems;
}
