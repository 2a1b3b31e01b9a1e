import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { genesisHash } from '../chain/genesis';
import { verifySegment } from '../chain/verify-segment-contents';
import { CorruptionError } from '../errors/corruption.error';
import { FileSystem, NodeFileSystem } from './file-system';
import { ChainTail, readJournal } from './journal-reader';
import { checkContiguous, findStoreId, listNumbered, tailAfter } from './recovery';
import { ChainHead } from './segment-log';
import { HashParallelism, PARALLEL_FROM_BYTES, planChecks, PlannedCheck } from './segment-file-check';
import { StoreLayout } from './store-layout';
import { askWorker, corruptionOf, startLibWorker } from './lib-worker';
import { VerifyRequest, VerifyResponse } from './verify-worker';

export interface VerifyProgress {
  segmentsDone: number;
  segmentsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface VerifyReport {
  storeId: string;
  segments: number;
  journals: number;
  events: number;
  bytes: number;
  /** Bytes of a torn journal tail found (and left alone: verification writes nothing). */
  tornBytes: number;
  head: ChainHead;
}

export interface VerifyOptions {
  onProgress?: (progress: VerifyProgress) => void;
  fileSystem?: FileSystem;
  /**
   * Where segments are verified. 'auto': on a worker thread per core, each reading its segments
   * itself, when there are cores to spare, enough bytes, and the process's own file system;
   * otherwise on the event loop, one after the other (any injected FileSystem gets every read).
   * @default 'auto'
   */
  parallelism?: HashParallelism;
}

/**
 * Re-validates the whole chain from genesis, writing nothing and taking no lock: every segment as a
 * link (chain hash, end marker) and in depth (commit parent hashes, index, counts, Merkle root),
 * then the journals. Throws the first break as a CorruptionError: which file, which offset, which
 * check. Segments are verified in parallel where worth it (`parallelism`): each against what the
 * headers before it claim, chained to the previous file's stored end marker, which that file's
 * own check holds to its bytes; the verdicts are taken in chain order, so the first break named is
 * the one a check of one segment after the other names.
 */
export async function verifyStore(directory: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const fileSystem = options.fileSystem ?? new NodeFileSystem();
  const layout = new StoreLayout(directory);
  const segmentNumbers = await listNumbered(fileSystem, layout.segmentsDirectory, 'edb');
  const journalNumbers = (await listNumbered(fileSystem, layout.journalDirectory, 'wal')).filter((n) => n > segmentNumbers.length);
  checkContiguous(segmentNumbers, 1, StoreLayout.segmentName);
  checkContiguous(journalNumbers, segmentNumbers.length + 1, StoreLayout.journalName);
  const storeId = await findStoreId(fileSystem, layout, segmentNumbers, journalNumbers);
  if (storeId === undefined) throw new CorruptionError('.', 0, `no store in ${directory}: no segment and no journal`);
  const sizes = await Promise.all(segmentNumbers.map((n) => fileSystem.sizeOf(layout.segmentPath(n))));
  const progress: VerifyProgress = { segmentsDone: 0, segmentsTotal: segmentNumbers.length, bytesDone: 0, bytesTotal: sizes.reduce((a, b) => a + b, 0) };
  const parallelism = options.parallelism ?? 'auto';
  const onThreads =
    fileSystem instanceof NodeFileSystem && (parallelism === 'workers' || (parallelism === 'auto' && availableParallelism() > 1 && progress.bytesTotal >= PARALLEL_FROM_BYTES));
  const walk: SegmentWalk = { fileSystem, layout, segmentNumbers, storeId, progress, onProgress: options.onProgress };
  const verified = onThreads ? await verifySegmentsOnThreads(walk) : await verifySegmentsInTurn(walk);
  let { tail, segment } = verified;
  let tornBytes = 0;
  let bytes = progress.bytesTotal;
  for (const journalNumber of journalNumbers) {
    const journal = await readJournal(fileSystem, layout, journalNumber, storeId, tail);
    tornBytes += journal.tornBytes;
    bytes += journal.validEnd;
    if (journal.commits.length > 0) segment = journalNumber;
    tail = journal.tail;
  }
  return {
    storeId: storeId.toString('hex'),
    segments: segmentNumbers.length,
    journals: journalNumbers.length,
    events: tail.nextPosition,
    bytes,
    tornBytes,
    head: { position: tail.nextPosition - 1, segment, hash: tail.lastCommitHash.toString('hex') },
  };
}

/**
 * Most verifying threads at once, however many cores: each holds a whole segment and its commits
 * (~100 MB for a 64 MiB segment of small events) while it checks it.
 */
const MAX_VERIFY_THREADS = 4;

/** What either way of verifying the segments is given; `progress` is updated as segments pass, in chain order. */
interface SegmentWalk {
  fileSystem: FileSystem;
  layout: StoreLayout;
  segmentNumbers: number[];
  storeId: Buffer;
  progress: VerifyProgress;
  onProgress: VerifyOptions['onProgress'];
}

/** The chain after the segments: what the journals must continue, and the last segment's number (0: none). */
interface VerifiedSegments {
  tail: ChainTail;
  segment: number;
}

/** On the event loop, each segment read whole and checked in turn. */
async function verifySegmentsInTurn({ fileSystem, layout, segmentNumbers, storeId, progress, onProgress }: SegmentWalk): Promise<VerifiedSegments> {
  let previousEndMarker = genesisHash(storeId);
  let tail = tailAfter(undefined, storeId);
  let segment = 0;
  for (const segmentNumber of segmentNumbers) {
    const bytes = await fileSystem.readFile(layout.segmentPath(segmentNumber));
    const expect = { name: StoreLayout.segmentName(segmentNumber), storeId, segmentNumber, firstPosition: tail.nextPosition, previousEndMarker, previousCommitHash: tail.lastCommitHash, previousRecordedAtMs: tail.lastRecordedAtMs };
    const valid = verifySegment(bytes, expect);
    if (valid instanceof CorruptionError) throw valid;
    previousEndMarker = valid.endMarker;
    tail = tailAfter(valid.header, storeId);
    segment = segmentNumber;
    progress.segmentsDone++;
    progress.bytesDone += bytes.length;
    onProgress?.({ ...progress });
  }
  return { tail, segment };
}

/**
 * On a worker thread per core (at most MAX_VERIFY_THREADS, and one per segment), each reading its
 * segments itself: the headers are read first, in chain order, up to the first that does not
 * continue the chain; the segments up to it are verified in parallel, and their verdicts taken in
 * chain order.
 */
async function verifySegmentsOnThreads({ fileSystem, layout, segmentNumbers, storeId, progress, onProgress }: SegmentWalk): Promise<VerifiedSegments> {
  const files = segmentNumbers.map((segmentNumber) => ({ segmentNumber, name: StoreLayout.segmentName(segmentNumber), path: layout.segmentPath(segmentNumber) }));
  const { planned, headerError } = await planChecks(fileSystem, files, storeId);
  const workers = Array.from({ length: Math.min(availableParallelism(), MAX_VERIFY_THREADS, planned.length) }, () => startLibWorker('verify-worker'));
  try {
    const verdicts = verifyInParallel(workers, planned);
    for (let i = 0; i < planned.length; i++) {
      const verdict = await (verdicts[i] as Promise<VerifyResponse>);
      if ('corruption' in verdict) throw corruptionOf(verdict);
      if ('failed' in verdict) throw Object.assign(new Error(verdict.failed.message), { code: verdict.failed.code });
      progress.segmentsDone++;
      progress.bytesDone += verdict.bytes;
      onProgress?.({ ...progress });
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  if (headerError) throw headerError;
  const last = planned[planned.length - 1];
  return { tail: tailAfter(last?.header, storeId), segment: last?.file.segmentNumber ?? 0 };
}

/** Each segment's verdict, in chain order; every worker takes the next segment when it is done with one. */
function verifyInParallel(workers: Worker[], planned: PlannedCheck[]): Array<Promise<VerifyResponse>> {
  const settlers: Array<(verdict: Promise<VerifyResponse>) => void> = [];
  const verdicts = planned.map(() => new Promise<VerifyResponse>((resolve) => settlers.push(resolve)));
  // Verdicts after the first break are not awaited, and their threads are terminated: not an error.
  for (const verdict of verdicts) verdict.catch(() => undefined);
  let next = 0;
  const work = async (worker: Worker): Promise<void> => {
    while (next < planned.length) {
      const i = next++;
      const verdict = askWorker<VerifyResponse>(worker, 'a verifying thread', requestFor(planned[i] as PlannedCheck));
      (settlers[i] as (verdict: Promise<VerifyResponse>) => void)(verdict);
      // A thread that failed has answered for no other segment: the rest wait for the others' turns.
      if (!(await verdict.then(() => true, () => false))) return;
    }
  };
  for (const worker of workers) void work(worker);
  return verdicts;
}

function requestFor(check: PlannedCheck): VerifyRequest {
  return { path: check.file.path, expect: check.expect };
}
