import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { EventStore } from '../../lib/store';
import { openEventStore } from '../../lib/streams';
import { FileSystem, JournalFlush, LOCK_FILE_NAME, readCommitBlocks, SegmentLog, silentLogger, verifyStore } from '../../lib/segment';
import { decodeBlock, uuidBytes } from './events';
import { FlushMutation, PowerLossDisk } from './power-loss-file-system';
import { seededRandom } from './seeded-random';
import { checkRecoveredCommits, RecoveredCommit, SubmittedCommit } from './recovered-store';

/** The store directory inside every simulated disk. */
export const STORE_DIRECTORY = '/disk/store';

/**
 * What the chain must hold: the commits that may be on disk in position order, and which of them
 * were acknowledged (or recovered once, which makes them durable: a reboot found them on disk).
 */
export interface Ledger {
  submitted: SubmittedCommit[];
  acknowledged: Set<number>;
}

export interface SeedShape {
  cycles: number;
  appenders: number;
  commitsPerAppender: number;
  segmentSizeBytes: number;
  /** Through openEventStore (with `fileSystem`) rather than SegmentLog. */
  throughEventStore: boolean;
  /** Where the journal's fdatasync runs: both modes must keep every acknowledged commit. */
  journalFlush: JournalFlush;
  /** SegmentLog only: next journals made ahead of time in the background (spareJournals). */
  spareJournals: boolean;
}

/** Each seed draws a small workload: CI-sized, yet it groups commits, rotates and seals. */
export function shapeOf(random: () => number): SeedShape {
  return {
    cycles: 2 + Math.floor(random() * 3),
    appenders: 2 + Math.floor(random() * 3),
    commitsPerAppender: 1 + Math.floor(random() * 4),
    segmentSizeBytes: random() < 0.7 ? 1024 : 2048,
    throughEventStore: random() < 0.25,
    journalFlush: random() < 0.5 ? 'blocking' : 'thread-pool',
    spareJournals: random() < 0.5,
  };
}

/** A writer the workload drives: SegmentLog or the EventStore, the same commits either way. */
interface Writer {
  /** Accepts one commit now (positions are assigned in call order); resolves when acknowledged. */
  append(streamId: string, events: Array<{ id: string; type: string; data: unknown }>): { firstPosition: number; durable: Promise<unknown> };
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function openWriter(fileSystem: FileSystem, shape: SeedShape, nextPosition: () => number): Promise<Writer> {
  const { segmentSizeBytes, journalFlush } = shape;
  const options = { directory: STORE_DIRECTORY, segmentSizeBytes, durability: 'fsync' as const, journalFlush, readOnly: false, fileSystem, logger: silentLogger };
  if (shape.throughEventStore) {
    const store: EventStore = await openEventStore(options);
    return {
      append(streamId, events) {
        const firstPosition = nextPosition();
        const durable = store.appendToStream(streamId, events).then((result) => {
          if (result.firstPosition !== firstPosition) throw new Error(`appended at ${result.firstPosition}, expected ${firstPosition}`);
        });
        return { firstPosition, durable };
      },
      settle: async () => undefined,
      close: () => store.close(),
    };
  }
  const log = await SegmentLog.open({ ...options, spareJournals: shape.spareJournals });
  return {
    append(streamId, events) {
      const pending = log.appendCommit(
        events.map((event, version) => ({
          version,
          id: uuidBytes(event.id),
          streamId: Buffer.from(streamId),
          type: Buffer.from(event.type),
          data: Buffer.from(JSON.stringify(event.data)),
          metadata: Buffer.alloc(0),
        })),
      );
      return { firstPosition: pending.firstPosition, durable: pending.durable };
    },
    settle: () => log.settle(),
    close: () => log.close(),
  };
}

/**
 * One process's life: open, then `appenders` concurrent appenders, each awaiting its commits one
 * after another (so several are in flight at once and group commit batches them), then close.
 * Stops at the first error (the crash, or the failure it caused). Records every accepted commit
 * in the ledger and marks the acknowledged ones.
 */
export async function runAppenders(fileSystem: FileSystem, random: () => number, shape: SeedShape, ledger: Ledger): Promise<unknown> {
  let writer: Writer;
  const nextPosition = (): number => {
    const last = ledger.submitted[ledger.submitted.length - 1];
    return last ? last.firstPosition + last.ids.length : 0;
  };
  try {
    writer = await openWriter(fileSystem, shape, nextPosition);
  } catch (error) {
    return error;
  }
  const appender = async (number: number): Promise<void> => {
    for (let c = 0; c < shape.commitsPerAppender; c++) {
      const events = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
        id: randomUUID(),
        type: 'Tested',
        data: { appender: number, pad: 'x'.repeat(Math.floor(random() * 300)) },
      }));
      const expected = nextPosition();
      const accepted = writer.append(`stream-${number}`, events);
      if (accepted.firstPosition !== expected) throw new Error(`accepted at ${accepted.firstPosition}, expected ${expected}: the chain does not continue`);
      const index = ledger.submitted.push({ firstPosition: accepted.firstPosition, ids: events.map((event) => event.id.replace(/-/g, '')) }) - 1;
      await accepted.durable;
      ledger.acknowledged.add(index);
    }
  };
  const results = await Promise.allSettled(Array.from({ length: shape.appenders }, (_, i) => appender(i)));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  try {
    await writer.settle();
    if (random() < 0.5) await writer.close();
  } catch (error) {
    return failed?.reason ?? error;
  }
  return failed?.reason;
}

/** Every commit on the simulated disk, through a mount (no lock, structure only). */
export async function readCommits(fileSystem: FileSystem): Promise<RecoveredCommit[]> {
  const commits: RecoveredCommit[] = [];
  for await (const block of readCommitBlocks(fileSystem, STORE_DIRECTORY)) {
    const events = decodeBlock(block);
    commits.push({ firstPosition: events[0]?.position ?? -1, events });
  }
  return commits;
}

/**
 * After a power cut: removes the dead process's LOCK (a rebooted machine runs no owner, and
 * StoreLock takes such a lock over), opens the store on a fresh mount, and checks that every
 * acknowledged commit is there, whole, at dense positions; that verifyStore passes; and that an
 * append continues the chain. On success the ledger becomes what is on disk, all of it durable.
 */
export async function checkRecovery(disk: PowerLossDisk, ledger: Ledger, segmentSizeBytes: number): Promise<string[]> {
  disk.removeDurably(join(STORE_DIRECTORY, LOCK_FILE_NAME));
  const fileSystem = disk.mount();
  let log: SegmentLog;
  try {
    log = await SegmentLog.open({ directory: STORE_DIRECTORY, segmentSizeBytes, durability: 'fsync', readOnly: false, fileSystem, logger: silentLogger });
  } catch (error) {
    return [`the open after the power cut was refused: ${(error as Error).message}`];
  }
  try {
    await log.settle();
    const recovered = await readCommits(fileSystem);
    const problems = checkRecoveredCommits(recovered, ledger.submitted, ledger.acknowledged);
    if (problems.length > 0) return problems;
    const report = await verifyStore(STORE_DIRECTORY, { fileSystem });
    const count = recovered.reduce((sum, commit) => sum + commit.events.length, 0);
    if (report.events !== count) return [`verifyStore counts ${report.events} events, the commits hold ${count}`];
    const id = randomUUID();
    const appended = log.appendCommit([{ version: 0, id: uuidBytes(id), streamId: Buffer.from('after-recovery'), type: Buffer.from('Tested'), data: Buffer.from('{}'), metadata: Buffer.alloc(0) }]);
    if (appended.firstPosition !== count) return [`an append after recovery got position ${appended.firstPosition}, expected ${count}`];
    await appended.durable;
    await log.close();
    if ((await verifyStore(STORE_DIRECTORY, { fileSystem })).events !== count + 1) return ['verifyStore after the append does not count it'];
    ledger.submitted = [...recovered.map((commit) => ({ firstPosition: commit.firstPosition, ids: commit.events.map((event) => event.id.toString('hex')) })), { firstPosition: count, ids: [id.replace(/-/g, '')] }];
    ledger.acknowledged = new Set(ledger.submitted.keys());
    return [];
  } catch (error) {
    return [`after the open: ${(error as Error).stack ?? String(error)}`];
  } finally {
    await log.close().catch(() => undefined);
  }
}

export interface SeedResult {
  seed: number;
  problems: string[];
  powerCuts: number;
  acknowledged: number;
}

/**
 * One seed: a few cycles of open, concurrent appends (with rotations and seals), a power cut at a
 * seeded step (or after the work, open or closed), then recovery and its checks.
 */
export async function runPowerLossSeed(seed: number, mutation?: FlushMutation, verbose = false, stepsPerCycle = 110, shortWrites = false): Promise<SeedResult & { disk: PowerLossDisk }> {
  const random = seededRandom(seed);
  const disk = new PowerLossDisk('/disk', random);
  const shape = shapeOf(random);
  const ledger: Ledger = { submitted: [], acknowledged: new Set() };
  let acknowledged = 0;
  for (let cycle = 0; cycle < shape.cycles; cycle++) {
    const crashAtStep = 1 + Math.floor(random() * stepsPerCycle);
    const fileSystem = disk.mount({ crashAtStep, mutation, log: verbose, shortWrites });
    const before = ledger.acknowledged.size;
    await runAppenders(fileSystem, random, shape, ledger);
    acknowledged += ledger.acknowledged.size - before;
    if (!fileSystem.isDead) disk.powerLoss();
    const problems = await checkRecovery(disk, ledger, shape.segmentSizeBytes);
    if (problems.length > 0) {
      if (verbose) problems.push(`the cycle's calls:\n    ${fileSystem.log.join('\n    ')}`);
      const where = `cycle ${cycle + 1} of ${shape.cycles} (${JSON.stringify(shape)}), power cut at step ${crashAtStep}`;
      return { seed, problems: problems.map((problem) => `${where}: ${problem}`), powerCuts: disk.stats.powerCuts, acknowledged, disk };
    }
  }
  return { seed, problems: [], powerCuts: disk.stats.powerCuts, acknowledged, disk };
}
