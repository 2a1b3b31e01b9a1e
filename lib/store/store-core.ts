import { IdempotencyConflictError } from '../errors/idempotency-conflict.error';
import { InvalidEventError } from '../errors/invalid-event.error';
import { StoreClosedError } from '../errors/store-closed.error';
import { FormatError } from '../errors/format.error';
import { decodeCommitBlockHeader, decodeCommitEvents, EventRecord } from '../format';
import { DurableCommit, NodeFileSystem, ReadJournal, SealedSegment, SegmentLog, verifyStore } from '../segment';
import { checkStreamId, commitEventOf, EncodedEvent, encodeEvents } from './encode-events';
import { InFlightCommits, recordOffsetsOf } from './in-flight-commits';
import { assertExpectedVersion, checkExpectedVersion } from './expected-version';
import { FileReader } from './file-reader';
import { JournalPart, LogParts, SealedPart } from './log-parts';
import { Chunk, LogReader } from './log-reader';
import { EventStoreOptions, ResolvedOptions, resolveOptions } from './options';
import { toRecordedEvent, uuidFromBytes } from './recorded-event';
import { StreamTable } from './stream-table';
import { AppendOptions, AppendResult, EventFilter, RecordedEvent, StoreHead, VerifyProgress, VerifyResult } from './types';

export type LiveListener = (events: readonly RecordedEvent[]) => void;

/**
 * The store without its reactive surface: appends with expected versions and idempotent retries,
 * the stream table and the log's parts, chunked synchronous reads, live notification of durable
 * commits. streams/ builds the public EventStore (Observables, iterables, subscriptions) on it.
 */
export class StoreCore {
  private readonly streams = new StreamTable();
  private readonly parts = new LogParts();
  private readonly files: FileReader;
  readonly reader: LogReader;
  private readonly liveListeners = new Set<LiveListener>();
  private readonly closeListeners = new Set<() => void>();
  /** Accepted commits until they are durable: indexed from what append knew, awaited by retries. */
  private readonly inFlight = new InFlightCommits();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly log: SegmentLog,
    readonly options: ResolvedOptions,
  ) {
    this.files = new FileReader(options.fileSystem ?? new NodeFileSystem());
    this.reader = new LogReader(this.parts, this.streams, this.files);
    for (const segment of log.sealedSegments) this.addSealed(segment);
    for (const journal of log.takeRecoveredJournals()) this.addRecoveredJournal(journal);
    log.onDurable((commits) => this.onDurable(commits));
    log.onSealed((segment) => this.onSealed(segment));
  }

  static async open(options: EventStoreOptions): Promise<StoreCore> {
    const resolved = resolveOptions(options);
    const log = await SegmentLog.open(resolved);
    return new StoreCore(log, resolved);
  }

  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /** Position after the last durable event: what readers and subscribers may see. */
  get durableNextPosition(): number {
    return this.log.durableNextPosition;
  }

  async append(streamId: string, events: unknown, options: AppendOptions = {}): Promise<AppendResult> {
    this.assertOpen('append');
    // A failed or read-only store refuses before anything is read for the retry check.
    this.log.assertWritable('append');
    const streamBytes = checkStreamId(streamId);
    if (options !== null && typeof options !== 'object') throw new InvalidEventError('options', 'must be an object');
    const expected = checkExpectedVersion(options?.expectedVersion);
    const encoded = encodeEvents(streamBytes, events, this.options.maxEventSizeBytes);
    // From here to appendCommit nothing awaits: the version check and the commit are one step.
    const retry = encoded.some((event) => event.givenId !== undefined) ? this.findRetry(streamId, encoded) : undefined;
    if (retry) return retry;
    const actualVersion = this.streams.acceptedVersion(streamId);
    assertExpectedVersion(streamId, expected, actualVersion);
    const firstVersion = actualVersion + 1;
    const pending = this.log.appendCommit(encoded.map((event, i) => commitEventOf(event, firstVersion + i)));
    const { firstPosition, durable } = pending;
    const lastPosition = firstPosition + encoded.length - 1;
    this.streams.accept(streamId, encoded.map((event) => event.id), firstPosition);
    this.inFlight.push({ firstPosition, lastPosition, streamId, firstVersion, recordOffsets: recordOffsetsOf(encoded), durable });
    await durable;
    return { streamId, firstVersion, lastVersion: firstVersion + encoded.length - 1, firstPosition, lastPosition };
  }

  streamVersion(streamId: string): number {
    this.assertOpen('read');
    checkStreamId(streamId);
    return this.streams.durableVersion(streamId);
  }

  head(): StoreHead {
    return this.log.head();
  }

  /**
   * Read-only: picks up the commits and seals the writing process made since open (or the last
   * refresh); readers see them, live subscribers receive them. Resolves to the number of new events.
   */
  refresh(): Promise<number> {
    this.assertOpen('refresh');
    return this.log.refresh();
  }

  async verify(onProgress?: (progress: VerifyProgress) => void): Promise<VerifyResult> {
    this.assertOpen('verify');
    const report = await this.log.whileNotSealing(() => verifyStore(this.options.directory, { onProgress, fileSystem: this.options.fileSystem }));
    return { segments: report.segments, events: report.events, bytes: report.bytes, head: report.head };
  }

  /** Chunks of the log from `from` to `bound` inclusive (bound fixed by the caller: reads complete). */
  *logChunks(from: number, bound: number, direction: 'forwards' | 'backwards', filter?: EventFilter): Generator<Chunk> {
    let next = from;
    while (next >= 0) {
      this.assertOpen('read');
      const chunk = this.reader.readLogChunk(next, bound, direction, filter);
      yield chunk;
      next = chunk.next;
    }
  }

  *streamChunks(streamId: string, from: number, bound: number, direction: 'forwards' | 'backwards', maxPosition: number, limit: number): Generator<Chunk> {
    let next = from;
    let remaining = limit;
    while (next >= 0 && remaining > 0) {
      this.assertOpen('read');
      const chunk = this.reader.readStreamChunk(streamId, next, bound, direction, maxPosition, remaining);
      remaining -= chunk.events.length;
      yield chunk;
      next = chunk.next;
    }
  }

  durableStreamVersion(streamId: string): number {
    return this.streams.durableVersion(streamId);
  }

  lastPositionAtOrBefore(time: Date): number {
    return Math.min(this.parts.lastPositionAtOrBefore(time.getTime()), this.durableNextPosition - 1);
  }

  lastStreamVersionAtOrBefore(streamId: string, maxPosition: number): number {
    return this.reader.lastVersionAtOrBefore(streamId, this.streams.durableVersion(streamId), maxPosition);
  }

  /** Durable commits as they happen, decoded once for every listener. */
  onCommits(listener: LiveListener): () => void {
    this.liveListeners.add(listener);
    return () => this.liveListeners.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Settles pending appends, releases the lock, completes live subscriptions. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.log.close();
      } finally {
        this.files.closeAll();
        for (const listener of [...this.closeListeners]) listener();
        this.closeListeners.clear();
        this.liveListeners.clear();
      }
    })();
    return this.closing;
  }

  assertOpen(operation: string): void {
    if (this.closing) throw new StoreClosedError(operation);
  }

  /**
   * An append whose ids are exactly the stream's last events (durable or pending) is a retry: it
   * gets the original result. Some of its ids among those events, but not all in order: a conflict.
   */
  private findRetry(streamId: string, encoded: EncodedEvent[]): Promise<AppendResult> | undefined {
    const lastVersion = this.streams.acceptedVersion(streamId);
    const firstVersion = lastVersion - encoded.length + 1;
    if (lastVersion < 0) return undefined;
    const tail = this.tailEvents(streamId, Math.max(0, firstVersion), lastVersion);
    const tailIds = tail.map((event) => event.id);
    const exact = firstVersion >= 0 && encoded.every((event, i) => tailIds[i] === event.givenId);
    if (exact) {
      const firstPosition = (tail[0] as { position: number }).position;
      const lastPosition = (tail[tail.length - 1] as { position: number }).position;
      const result: AppendResult = { streamId, firstVersion, lastVersion, firstPosition, lastPosition };
      return (this.inFlight.durableEndingAt(lastPosition) ?? Promise.resolve()).then(() => result);
    }
    const duplicates = encoded.flatMap((event) => (event.givenId !== undefined && tailIds.includes(event.givenId) ? [event.givenId] : []));
    if (duplicates.length > 0) throw new IdempotencyConflictError(streamId, duplicates);
    return undefined;
  }

  private tailEvents(streamId: string, fromVersion: number, toVersion: number): Array<{ id: string; position: number }> {
    const pending = this.streams.pendingEvents(streamId);
    const events: Array<{ id: string; position: number }> = [];
    for (let version = fromVersion; version <= toVersion; version++) {
      const waiting = pending.find((event) => event.version === version);
      if (waiting) {
        events.push({ id: uuidFromBytes(waiting.id), position: waiting.position });
        continue;
      }
      const location = this.streams.locate(streamId, version);
      if (!location) continue;
      const record = this.reader.readRecord(location);
      events.push({ id: uuidFromBytes(record.id), position: record.position });
    }
    return events;
  }

  private addSealed(segment: SealedSegment): void {
    this.parts.parts.push(new SealedPart(segment));
    this.streams.addSealedSegment(segment.segmentNumber, segment.index);
  }

  private addRecoveredJournal(journal: ReadJournal): void {
    const segmentNumber = journal.header.segmentNumber;
    const part = new JournalPart(segmentNumber, journal.path, journal.header.firstPosition);
    this.parts.parts.push(part);
    for (const commit of journal.commits) part.add(commit);
    this.streams.addRecoveredJournal(segmentNumber, journal.events);
  }

  private onDurable(commits: readonly DurableCommit[]): void {
    const live: RecordedEvent[] = [];
    for (const commit of commits) {
      const part = this.journalPart(commit);
      part.add({ offset: commit.journalOffset, length: commit.block.length, firstPosition: commit.firstPosition, eventCount: commit.eventCount, recordedAtMs: commit.recordedAtMs });
      const own = this.inFlight.take(commit.firstPosition);
      if (own && this.liveListeners.size === 0) {
        const offsets = own.recordOffsets.map((offset) => commit.journalOffset + offset);
        this.streams.addJournalEvents(own.streamId, own.firstVersion, commit.segmentNumber, offsets);
        continue;
      }
      const records = this.indexJournalCommit(commit.block, commit.segmentNumber, commit.journalOffset);
      if (this.liveListeners.size > 0) for (const record of records) live.push(toRecordedEvent(record, part, commit.journalOffset));
    }
    if (live.length > 0) for (const listener of [...this.liveListeners]) listener(live);
  }

  private journalPart(commit: DurableCommit): JournalPart {
    const last = this.parts.parts[this.parts.parts.length - 1];
    if (last instanceof JournalPart && last.segmentNumber === commit.segmentNumber) return last;
    const part = new JournalPart(commit.segmentNumber, this.log.layout.journalPath(commit.segmentNumber), commit.firstPosition);
    this.parts.parts.push(part);
    return part;
  }

  /** Adds a journal commit's events to the stream table; returns them decoded (JSON not parsed). */
  private indexJournalCommit(block: Buffer, segmentNumber: number, blockOffset: number): EventRecord[] {
    const header = decodeCommitBlockHeader(block, 0, block.length);
    const records = header instanceof FormatError ? header : decodeCommitEvents(block, 0, header);
    if (records instanceof FormatError) throw records;
    let offset = blockOffset + (block.length - records.reduce((sum, record) => sum + record.recordLength, 0));
    for (const record of records) {
      this.streams.addJournalEvent(record.streamId, record.version, segmentNumber, offset);
      offset += record.recordLength;
    }
    return records;
  }

  /** A writer has published every commit of the segment already; a read-only follower may not have. */
  private onSealed(segment: SealedSegment): void {
    const journalPath = this.log.layout.journalPath(segment.segmentNumber);
    const knownNext = this.parts.nextPosition;
    this.parts.replaceJournal(new SealedPart(segment));
    this.streams.replaceJournal(segment.segmentNumber, segment.index);
    this.files.forget(journalPath);
    const end = segment.header.firstPosition + segment.header.eventCount;
    if (end <= knownNext || this.liveListeners.size === 0) return;
    const live = [...this.logChunks(knownNext, end - 1, 'forwards')].flatMap((chunk) => chunk.events);
    for (const listener of [...this.liveListeners]) listener(live);
  }
}
