import { dirname } from 'node:path';
import { genesisHash } from '../chain/genesis';
import { digestBytes, sha256Text } from '../chain/hash-functions';
import { BuiltSegment, buildSegmentSteps } from '../chain/link';
import { validateSegment } from '../chain/validate-segment';
import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import { StoreClosedError } from '../errors/store-closed.error';
import { StoreFailedError } from '../errors/store-failed.error';
import { decodeIndexBlock, decodeSegmentHeader, encodeCommitBlock, encodeJournalFrame, END_MARKER_BYTES, EventRecordParts } from '../format';
import { FileSystem, NodeFileSystem } from './file-system';
import { FollowedJournal, openFollowedJournal, readNewFrames } from './journal-follower';
import { ChainTail, ReadJournal } from './journal-reader';
import { Durability, JournalFile, JournalFlush, JournalSettings, SpareJournal } from './journal-file';
import { commitsToSeal } from './journal-scan';
import { StoreLock } from './lock';
import { ChainstoreLogger, consoleLogger } from './logger';
import { checkContiguous, listNumbered, recoverStore, SealedSegment } from './recovery';
import { SealJob, SealThread } from './seal-thread';
import { runCooperatively, writeSealedSegment } from './sealer';
import { StoreLayout } from './store-layout';

export interface SegmentLogOptions {
  directory: string;
  /** The open segment is sealed once its journal holds at least this many bytes of commits. */
  segmentSizeBytes: number;
  durability: Durability;
  /** Where the journal's fdatasync runs. @default 'blocking' */
  journalFlush?: JournalFlush;
  readOnly: boolean;
  /**
   * Where segments are built: on a thread of their own ('worker', the default), or on the event
   * loop in slices between appends ('event-loop': tests that replay a sequence of file-system calls
   * exactly need it, as a thread's timing would move the seal's calls among the appends).
   * @default 'worker', or 'event-loop' when a `fileSystem` is given (the fault-injection tests')
   */
  sealOn?: 'worker' | 'event-loop';
  /**
   * Whether journal space is made ahead of time, zero-filled and synced, in the background: the
   * next journal's file once the open one holds 1 MiB of frames (JournalFile.prepareSpare), and
   * the open journal's zeros ahead of its frames when it was not made from a spare
   * (JournalFile.extendAhead), so that no commit waits for zeros to be written ahead of its frame.
   * Costs a segment's size of disk. Off for tests that replay file-system calls exactly.
   * @default true, or false when a `fileSystem` is given
   */
  spareJournals?: boolean;
  fileSystem?: FileSystem;
  logger?: ChainstoreLogger;
}

/** An event as the engine takes it: everything but its position and time, which the engine assigns. */
export type CommitEvent = Omit<EventRecordParts, 'position' | 'recordedAtMs'>;

export interface PendingCommit {
  firstPosition: number;
  recordedAtMs: number;
  /** Resolves once the commit is on disk (its fdatasync returned); rejects with StoreFailedError. */
  durable: Promise<void>;
}

/** A commit that is durable and may be shown to readers. */
export interface DurableCommit {
  block: Buffer;
  firstPosition: number;
  eventCount: number;
  recordedAtMs: number;
  /** The segment (journal) number that holds it. */
  segmentNumber: number;
  /** File offset of the commit block inside the journal. */
  journalOffset: number;
}

export interface ChainHead {
  /** Position of the last durable event; -1 for an empty store. */
  position: number;
  /** Segment number holding the last commit; 0 for an empty store. */
  segment: number;
  /** SHA-256 of the last durable commit block, hex (the genesis hash for an empty store). */
  hash: string;
}

type AcceptedTail = Omit<ChainTail, 'lastCommitHash'> & { lastCommitHash: string };

interface QueuedCommit {
  block: Buffer;
  /** SHA-256 of the block, as sha256Text: the next commit's parent, and the head once it is durable. */
  hash: string;
  firstPosition: number;
  eventCount: number;
  recordedAtMs: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Most bytes of commits one group-commit write carries; the rest wait for the next write. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** Frames the open journal holds before the next journal's file is begun (prepareSpareWhenDue). */
const SPARE_AFTER_BYTES = 1024 * 1024;

/**
 * The storage engine: one writer, a journal with group commit for the open segment, sealed
 * write-once segments behind it, fail-stop on any I/O error (DESIGN §3).
 */
export class SegmentLog {
  private state: 'open' | 'closing' | 'closed' | 'failed' = 'open';
  private failure: StoreFailedError | undefined;
  private readonly queue: QueuedCommit[] = [];
  private flushing: Promise<void> | undefined;
  private sealing: Promise<void> = Promise.resolve();
  /** The tail with the commits accepted but not yet durable; its hash as sha256Text. */
  private accepted: AcceptedTail;
  private durableTail: ChainTail;
  private durableSegment: number;
  private readonly durableListeners = new Set<(commits: readonly DurableCommit[]) => void>();
  private readonly sealedListeners = new Set<(segment: SealedSegment) => void>();
  /** Journals not sealed when open returned, with their commits: handed once to whoever builds read indexes. */
  private recoveredJournals: ReadJournal[] = [];
  /** Read-only: the journal of the open segment and how far it has been read, for refresh. */
  private following: FollowedJournal | undefined;
  private refreshing: Promise<number> | undefined;
  /** Started at the first seal built on a thread; ended at close. */
  private sealThread: SealThread | undefined;
  /** The next journal's file, being made or made (spareJournals); taken by the next rotation only once made. */
  private spare: { made: boolean; file: SpareJournal | undefined; making: Promise<void> } | undefined;

  private constructor(
    private readonly fileSystem: FileSystem,
    readonly layout: StoreLayout,
    private readonly options: SegmentLogOptions,
    private readonly logger: ChainstoreLogger,
    private readonly lock: StoreLock | undefined,
    readonly storeId: Buffer,
    readonly sealedSegments: SealedSegment[],
    private lastEndMarker: Buffer,
    private journal: JournalFile | undefined,
    tail: ChainTail,
  ) {
    this.accepted = { nextPosition: tail.nextPosition, lastCommitHash: tail.lastCommitHash.toString('latin1'), lastRecordedAtMs: tail.lastRecordedAtMs };
    this.durableTail = tail;
    this.durableSegment = 0;
  }

  static async open(options: SegmentLogOptions): Promise<SegmentLog> {
    const fileSystem = options.fileSystem ?? new NodeFileSystem();
    const logger = options.logger ?? consoleLogger;
    const layout = new StoreLayout(options.directory);
    const created = !options.readOnly && !(await fileSystem.exists(options.directory));
    if (!options.readOnly) await fileSystem.mkdir(options.directory);
    const lock = options.readOnly ? undefined : await StoreLock.acquire(fileSystem, options.directory);
    try {
      return await SegmentLog.recover(fileSystem, layout, options, logger, lock, created);
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  private static async recover(
    fileSystem: FileSystem,
    layout: StoreLayout,
    options: SegmentLogOptions,
    logger: ChainstoreLogger,
    lock: StoreLock | undefined,
    createdDirectory: boolean,
  ): Promise<SegmentLog> {
    const recovered = await recoverStore(fileSystem, layout, { readOnly: options.readOnly, logger });
    if (!options.readOnly && options.durability === 'fsync') {
      // A directory made by mkdir is durable only once its parent is fsynced: without this, a power
      // cut can take segments/ or journal/ (or the store directory) with every commit acknowledged in them.
      await fileSystem.syncDirectory(layout.directory);
      if (createdDirectory) await fileSystem.syncDirectory(dirname(layout.directory));
    }
    const log = new SegmentLog(fileSystem, layout, options, logger, lock, recovered.storeId, recovered.segments, recovered.lastEndMarker, undefined, recovered.tail);
    const lastWithCommits = recovered.journals.filter((journal) => journal.commits.length > 0).pop();
    log.durableSegment = lastWithCommits?.header.segmentNumber ?? recovered.segments.length;
    log.recoveredJournals = recovered.journals;
    if (options.readOnly) {
      const open = recovered.journals[recovered.journals.length - 1];
      if (open) log.following = { segmentNumber: open.header.segmentNumber, path: open.path, header: open.header, validEnd: open.validEnd };
      return log;
    }
    try {
      await log.openForWriting(recovered.journals, recovered.segments.length + 1, recovered.tail.nextPosition);
    } catch (error) {
      await log.sealThread?.close();
      await log.discardSpare();
      throw error;
    }
    return log;
  }

  /** Seals every recovered journal but the last, and opens that one (or a new one) for appends. */
  private async openForWriting(journals: ReadJournal[], nextSegmentNumber: number, nextPosition: number): Promise<void> {
    const last = journals[journals.length - 1];
    for (const journal of journals.slice(0, -1)) await this.sealJournal(journal.header.segmentNumber, journal.path, journal.header.firstPosition);
    this.recoveredJournals = last === undefined ? [] : [last];
    if (last === undefined) {
      this.journal = await this.createJournal(nextSegmentNumber, nextPosition);
      return;
    }
    this.journal = await JournalFile.reopen(this.fileSystem, last.path, last.header, last.validEnd, this.journalSettings);
    if (this.journal.dataBytes >= this.options.segmentSizeBytes) await this.rotate();
    this.prepareSpareWhenDue(this.journal);
  }

  /** How journals are written: the options, with their defaults. */
  private get journalSettings(): JournalSettings {
    const { durability, segmentSizeBytes } = this.options;
    return { durability, segmentSizeBytes, flush: this.options.journalFlush ?? 'blocking', extendInBackground: this.makesSpaceAhead };
  }

  /** SegmentLogOptions.spareJournals, with its default. */
  private get makesSpaceAhead(): boolean {
    return this.options.spareJournals ?? this.options.fileSystem === undefined;
  }

  /** Accepts one commit: assigns its positions and time now, resolves `durable` after its fdatasync. */
  appendCommit(events: readonly CommitEvent[]): PendingCommit {
    this.assertWritable('append');
    const firstPosition = this.accepted.nextPosition;
    const recordedAtMs = Math.max(Date.now(), this.accepted.lastRecordedAtMs);
    const block = encodeCommitBlock({ firstPosition, recordedAtMs, parentHash: this.accepted.lastCommitHash, events });
    const hash = sha256Text(block);
    this.accepted = { nextPosition: firstPosition + events.length, lastCommitHash: hash, lastRecordedAtMs: recordedAtMs };
    const durable = new Promise<void>((resolve, reject) => {
      this.queue.push({ block, hash, firstPosition, eventCount: events.length, recordedAtMs, resolve, reject });
    });
    this.scheduleFlush();
    return { firstPosition, recordedAtMs, durable };
  }

  /** The tail including commits accepted but not yet durable: what the next commit follows. */
  get acceptedNextPosition(): number {
    return this.accepted.nextPosition;
  }

  get durableNextPosition(): number {
    return this.durableTail.nextPosition;
  }

  get isReadOnly(): boolean {
    return this.options.readOnly;
  }

  /** The failure that stopped the store, when it is in the failed state. */
  get failedWith(): StoreFailedError | undefined {
    return this.failure;
  }

  head(): ChainHead {
    return {
      position: this.durableTail.nextPosition - 1,
      segment: this.durableSegment,
      hash: this.durableTail.lastCommitHash.toString('hex'),
    };
  }

  genesisHash(): Buffer {
    return genesisHash(this.storeId);
  }

  /**
   * The journals that were not sealed when open returned, with their commit blocks; later commits
   * arrive through onDurable, seals through onSealed. Returns them once, to free their memory.
   */
  takeRecoveredJournals(): ReadJournal[] {
    const journals = this.recoveredJournals.filter((journal) => !this.sealedSegments.some((s) => s.segmentNumber === journal.header.segmentNumber));
    this.recoveredJournals = [];
    return journals;
  }

  /** Runs `work` while no seal is in progress and none starts (journals stay where they are). */
  async whileNotSealing<T>(work: () => Promise<T>): Promise<T> {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const previous = this.sealing;
    this.sealing = previous.then(() => gate);
    await previous.catch(() => undefined);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /**
   * Read-only: picks up what the writing process made durable since open or the last refresh —
   * frames added to the open journal, journals created, journals sealed into segments — and
   * publishes it through onSealed and onDurable as a writer's own log does. Writes nothing, takes
   * no lock. Concurrent calls share one refresh. Resolves to the number of new events.
   */
  refresh(): Promise<number> {
    if (!this.options.readOnly) return Promise.reject(new Error('refresh is for read-only logs: a writer publishes its own commits'));
    if (this.state !== 'open') return Promise.reject(new StoreClosedError('refresh'));
    this.refreshing ??= this.pickUpWrites().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  onDurable(listener: (commits: readonly DurableCommit[]) => void): () => void {
    this.durableListeners.add(listener);
    return () => this.durableListeners.delete(listener);
  }

  onSealed(listener: (segment: SealedSegment) => void): () => void {
    this.sealedListeners.add(listener);
    return () => this.sealedListeners.delete(listener);
  }

  /** Resolves when every commit accepted so far is durable, and every pending seal is done. */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    await this.sealing.catch(() => undefined);
  }

  /** Settles pending appends and seals, closes files, releases the lock. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.state === 'open') this.state = 'closing';
    try {
      await this.settle();
      await this.journal?.close();
      await this.discardSpare();
    } finally {
      this.journal = undefined;
      await this.sealThread?.close();
      this.sealThread = undefined;
      if (this.state !== 'failed') this.state = 'closed';
      await this.lock?.release();
    }
  }

  private async pickUpWrites(): Promise<number> {
    const before = this.durableTail.nextPosition;
    // The writer creates journal N+1 only once journal N is final, and retires journal N only after
    // segment N is published. Listing journals before segments, a journal missing from the first
    // list is always in the second as a segment; one that vanishes after listing is read next time.
    const journalNumbers = await listNumbered(this.fileSystem, this.layout.journalDirectory, 'wal');
    const segmentNumbers = (await listNumbered(this.fileSystem, this.layout.segmentsDirectory, 'edb')).filter((n) => n > this.sealedSegments.length);
    checkContiguous(segmentNumbers, this.sealedSegments.length + 1, StoreLayout.segmentName);
    for (const segmentNumber of segmentNumbers) this.adoptSealed(segmentNumber, await this.fileSystem.readFile(this.layout.segmentPath(segmentNumber)));
    // Journals before the followed one were read to their end; they come back as segments.
    const first = this.following?.segmentNumber ?? this.sealedSegments.length + 1;
    const open = journalNumbers.filter((n) => n >= first);
    checkContiguous(open, first, StoreLayout.journalName);
    for (const journalNumber of open) {
      if (this.state !== 'open' || !(await this.followJournal(journalNumber))) break;
    }
    return this.durableTail.nextPosition - before;
  }

  /** Read-only: a segment the writer sealed; it may hold commits this log has not read yet. */
  private adoptSealed(segmentNumber: number, bytes: Buffer): void {
    const segment = this.validateSealed(segmentNumber, bytes);
    const header = segment.header;
    this.sealedSegments.push(segment);
    this.lastEndMarker = segment.endMarker;
    if (header.firstPosition + header.eventCount >= this.durableTail.nextPosition) {
      this.durableTail = { nextPosition: header.firstPosition + header.eventCount, lastCommitHash: header.lastCommitHash, lastRecordedAtMs: header.lastRecordedAtMs };
      this.durableSegment = segmentNumber;
    }
    if (this.following && this.following.segmentNumber <= segmentNumber) this.following = undefined;
    for (const listener of this.sealedListeners) listener(segment);
  }

  /** Read-only: reads the new frames of one journal; false when it is gone (sealed meanwhile). */
  private async followJournal(segmentNumber: number): Promise<boolean> {
    if (this.following?.segmentNumber !== segmentNumber) {
      const opened = await openFollowedJournal(this.fileSystem, this.layout, segmentNumber, this.storeId, this.durableTail);
      if (!opened) return false;
      this.following = opened;
    }
    const journal = this.following;
    const read = await readNewFrames(this.fileSystem, journal, this.durableTail);
    if (!read || this.state !== 'open') return false;
    journal.validEnd = read.validEnd;
    if (read.commits.length === 0) return true;
    this.durableTail = read.tail;
    this.durableSegment = segmentNumber;
    const commits = read.commits.map((commit): DurableCommit => ({ ...commit, segmentNumber, journalOffset: commit.offset }));
    for (const listener of this.durableListeners) listener(commits);
    return true;
  }

  assertWritable(operation: string): void {
    if (this.failure) throw this.failure;
    if (this.state !== 'open') throw new StoreClosedError(operation);
    if (this.options.readOnly) throw new StoreClosedError(`${operation} (the store is open read-only)`);
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushLoop()).finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0 && !this.failure) this.scheduleFlush();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const batch = this.takeBatch();
      const journal = this.journal;
      if (!journal) return this.fail('append', new Error('no open journal'));
      const first = batch[0] as QueuedCommit;
      const frame = encodeJournalFrame(journal.header.salt, first.firstPosition, batch.map((commit) => commit.block));
      const frameOffset = journal.writeOffset;
      try {
        await journal.writeFrame(frame);
      } catch (error) {
        batch.forEach((commit) => this.queue.unshift(commit));
        return this.fail('journal write', error);
      }
      this.publishDurable(batch, journal.segmentNumber, frameOffset);
      this.prepareSpareWhenDue(journal);
      if (journal.dataBytes >= this.options.segmentSizeBytes) {
        try {
          await this.rotate();
        } catch (error) {
          return this.fail('journal rotation', error);
        }
      }
    }
  }

  private takeBatch(): QueuedCommit[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || bytes < MAX_BATCH_BYTES)) {
      bytes += (this.queue[count] as QueuedCommit).block.length;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private publishDurable(batch: QueuedCommit[], segmentNumber: number, frameOffset: number): void {
    const last = batch[batch.length - 1] as QueuedCommit;
    this.durableTail = {
      nextPosition: last.firstPosition + last.eventCount,
      lastCommitHash: digestBytes(last.hash),
      lastRecordedAtMs: last.recordedAtMs,
    };
    this.durableSegment = segmentNumber;
    let offset = frameOffset + 32;
    const commits = batch.map((commit): DurableCommit => {
      const { block, firstPosition, eventCount, recordedAtMs } = commit;
      const journalOffset = offset;
      offset += block.length;
      return { block, firstPosition, eventCount, recordedAtMs, segmentNumber, journalOffset };
    });
    for (const listener of this.durableListeners) listener(commits);
    for (const commit of batch) commit.resolve();
  }

  /** The open journal is full: start the next one, and seal this one behind the appends. */
  private async rotate(): Promise<void> {
    const full = this.journal as JournalFile;
    this.journal = await this.createJournal(full.segmentNumber + 1, this.durableTail.nextPosition);
    this.sealing = this.sealing
      .then(async () => {
        await full.close();
        if (!this.failure) await this.sealJournal(full.segmentNumber, full.path, full.header.firstPosition);
      })
      .catch((error) => this.fail('seal', error));
  }

  private createJournal(segmentNumber: number, firstPosition: number): Promise<JournalFile> {
    const identity = { storeId: this.storeId, segmentNumber, firstPosition };
    return JournalFile.create(this.fileSystem, this.layout.journalDirectory, identity, this.journalSettings, this.takeSpare());
  }

  /**
   * Starts making the next journal's file once `journal` holds SPARE_AFTER_BYTES of frames, or half
   * a segment if that is less: a store closed before then (a test's, a short-lived process's) never
   * writes a segment's size of zeros for nothing, and one that writes on has the spare made long
   * before its rotation.
   */
  private prepareSpareWhenDue(journal: JournalFile): void {
    if (journal.dataBytes >= Math.min(SPARE_AFTER_BYTES, this.options.segmentSizeBytes / 2)) this.prepareSpare();
  }

  /** Starts making the next journal's file in the background, unless one is made or being made. */
  private prepareSpare(): void {
    if (this.spare || !this.makesSpaceAhead) return;
    const { fileSystem, layout, options } = this;
    const spare: NonNullable<SegmentLog['spare']> = { made: false, file: undefined, making: Promise.resolve() };
    // A spare that could not be made (its fsync failed, the disk is full) holds no commit: it is
    // dropped, and the next journal is made the usual way, where any such failure stops the store.
    spare.making = JournalFile.prepareSpare(fileSystem, layout.journalDirectory, options.segmentSizeBytes, options.durability).then((file) => {
      spare.made = true;
      spare.file = file;
    });
    this.spare = spare;
  }

  /** The spare, if it is made: a rotation never waits for one. */
  private takeSpare(): SpareJournal | undefined {
    if (!this.spare?.made) return undefined;
    const file = this.spare.file;
    this.spare = undefined;
    return file;
  }

  /** At close: waits for a spare being made, and removes it (a reopen would remove it anyway). */
  private async discardSpare(): Promise<void> {
    const spare = this.spare;
    this.spare = undefined;
    if (!spare) return;
    await spare.making;
    if (spare.file) await this.fileSystem.unlink(spare.file.path).catch(() => undefined);
  }

  /** Seals a full journal into its segment, publishes it, then retires the journal (DESIGN §3 rule 4). */
  private async sealJournal(segmentNumber: number, path: string, firstPosition: number): Promise<void> {
    const built = await this.buildSegment(() => this.readJournalToSeal(segmentNumber, path, firstPosition));
    await writeSealedSegment(this.fileSystem, this.layout.segmentsDirectory, segmentNumber, built, this.options.durability);
    this.lastEndMarker = built.endMarker;
    const segment = this.describeSealed(segmentNumber, built);
    this.sealedSegments.push(segment);
    for (const listener of this.sealedListeners) listener(segment);
    await this.fileSystem.unlink(path);
    if (this.options.durability === 'fsync') await this.fileSystem.syncDirectory(this.layout.journalDirectory);
  }

  private async readJournalToSeal(segmentNumber: number, path: string, firstPosition: number): Promise<SealJob> {
    const bytes = await this.fileSystem.readFile(path);
    return { storeId: this.storeId, segmentNumber, previousEndMarker: this.lastEndMarker, journal: bytes, firstPosition };
  }

  /**
   * Builds the segment on the sealing thread (which takes the journal's bytes), or on the event
   * loop in slices between appends: with `sealOn: 'event-loop'`, or when the thread fails — the
   * journal is then read again. Building is pure: a failed thread costs time, never data.
   */
  private async buildSegment(readJournal: () => Promise<SealJob>): Promise<BuiltSegment> {
    const job = await readJournal();
    if ((this.options.sealOn ?? (this.options.fileSystem ? 'event-loop' : 'worker')) === 'event-loop') return buildOnEventLoop(job);
    try {
      return await (this.sealThread ??= new SealThread()).build(job);
    } catch (error) {
      if (error instanceof CorruptionError) throw error; // the journal, not the thread: the event loop would find the same
      this.logger.warn(`${StoreLayout.segmentName(job.segmentNumber)}: the sealing thread failed (${(error as Error).message}); sealing on the event loop`);
      return buildOnEventLoop(await readJournal());
    }
  }

  /** A segment read from disk (sealed by the writer this read-only log follows): validated as a link of the chain. */
  private validateSealed(segmentNumber: number, bytes: Buffer): SealedSegment {
    const previous = this.sealedSegments[this.sealedSegments.length - 1];
    const genesis = this.genesisHash();
    const valid = validateSegment(bytes, {
      name: StoreLayout.segmentName(segmentNumber),
      storeId: this.storeId,
      segmentNumber,
      firstPosition: previous ? previous.header.firstPosition + previous.header.eventCount : 0,
      previousEndMarker: previous?.endMarker ?? genesis,
      previousCommitHash: previous?.header.lastCommitHash ?? genesis,
      previousRecordedAtMs: previous?.header.lastRecordedAtMs ?? 0,
    });
    if (valid instanceof CorruptionError) throw valid;
    return { segmentNumber, name: StoreLayout.segmentName(segmentNumber), path: this.layout.segmentPath(segmentNumber), ...valid };
  }

  /** The segment just built: its header and index decoded from the bytes (the hashes were computed while building). */
  private describeSealed(segmentNumber: number, built: BuiltSegment): SealedSegment {
    const name = StoreLayout.segmentName(segmentNumber);
    const header = decodeSegmentHeader(built.bytes);
    if (header instanceof FormatError) throw new CorruptionError(name, header.offset, header.reason);
    const index = decodeIndexBlock(built.bytes.subarray(header.indexOffset, built.bytes.length - END_MARKER_BYTES));
    if (index instanceof FormatError) throw new CorruptionError(name, header.indexOffset + index.offset, index.reason);
    return { segmentNumber, name, path: this.layout.segmentPath(segmentNumber), header, index, endMarker: built.endMarker };
  }


  /** Fail-stop (DESIGN §3 rule 5): reject everything pending and later; never retry the fsync. */
  private fail(operation: string, cause: unknown): void {
    if (!this.failure) {
      this.failure = cause instanceof StoreFailedError ? cause : new StoreFailedError(operation, cause);
      this.state = 'failed';
      this.logger.error(this.failure.message);
    }
    for (const commit of this.queue.splice(0)) commit.reject(this.failure);
  }
}

async function buildOnEventLoop(job: SealJob): Promise<BuiltSegment> {
  const found = commitsToSeal(job.journal, StoreLayout.journalName(job.segmentNumber), job.firstPosition);
  if (found instanceof CorruptionError) throw found;
  const commits = found.map((commit) => job.journal.subarray(commit.offset, commit.offset + commit.length));
  return runCooperatively(buildSegmentSteps({ storeId: job.storeId, segmentNumber: job.segmentNumber, previousEndMarker: job.previousEndMarker, commits, checksumsChecked: true }));
}
