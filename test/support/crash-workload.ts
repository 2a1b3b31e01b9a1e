import { FileSystem, SegmentLog, silentLogger } from '../../lib/segment';
import { commitEvent } from './events';
import { SubmittedCommit } from './recovered-store';

/** Small enough that a few commits fill a journal: the workload rotates and seals several times. */
export const CRASH_SEGMENT_SIZE_BYTES = 1024;

/** Commits per wave: a wave's commits are appended together, so several share one frame (group commit). */
const WAVES = [1, 3, 1, 2, 4, 1, 3, 1, 2, 1];

export interface WorkloadRun {
  /** Every commit the engine accepted, in position order. */
  submitted: SubmittedCommit[];
  /** Indexes into `submitted` of the commits whose durable promise resolved. */
  acknowledged: Set<number>;
  /** The log, if open returned one: after a crash, abandoned as it is. */
  log: SegmentLog | undefined;
  /** What stopped the run early (the crash, or an injected failure), if anything. */
  stoppedBy: unknown;
}

/**
 * Opens the store on `fileSystem`, appends waves of 1-3-event commits to a few streams, waits for
 * background seals, and closes. It stops at the first error, as a process that died would; the
 * durable promise of each commit is the acknowledgement a caller would see.
 */
export async function runWorkload(
  fileSystem: FileSystem,
  directory: string,
  prefix = 'stream',
  segmentSizeBytes = CRASH_SEGMENT_SIZE_BYTES,
): Promise<WorkloadRun> {
  const run: WorkloadRun = { submitted: [], acknowledged: new Set(), log: undefined, stoppedBy: undefined };
  try {
    run.log = await SegmentLog.open({ directory, segmentSizeBytes, durability: 'fsync', readOnly: false, fileSystem, logger: silentLogger });
    const versions = new Map<string, number>();
    let commitNumber = 0;
    for (const size of WAVES) {
      const pending: Promise<void>[] = [];
      for (let i = 0; i < size; i++, commitNumber++) {
        const streamId = `${prefix}-${commitNumber % 3}`;
        const version = versions.get(streamId) ?? 0;
        const events = Array.from({ length: 1 + (commitNumber % 3) }, (_, j) => commitEvent(streamId, version + j, 'Tested', { commitNumber }));
        const commit = run.log.appendCommit(events);
        versions.set(streamId, version + events.length);
        const index = run.submitted.push({ firstPosition: commit.firstPosition, ids: events.map((event) => Buffer.from(event.id).toString('hex')) }) - 1;
        pending.push(commit.durable.then(() => void run.acknowledged.add(index)));
      }
      const settled = await Promise.allSettled(pending);
      const rejected = settled.find((result) => result.status === 'rejected');
      if (rejected) throw rejected.reason;
    }
    await run.log.settle();
    if (run.log.failedWith) throw run.log.failedWith;
    await run.log.close();
  } catch (error) {
    run.stoppedBy = error;
  }
  // Whatever the "dead" engine still had in flight fails at once on a crashed file system: let it.
  await run.log?.settle();
  return run;
}
