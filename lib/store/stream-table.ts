import { findStream, SegmentIndex } from '../format';
import { JournalEvents } from '../segment';
import { findRecoveredRun, indexRecoveredJournal, RecoveredJournal } from './recovered-journal';

/** Consecutive versions of one stream still in a journal: file offsets of their records. */
interface JournalChunk {
  segmentNumber: number;
  firstVersion: number;
  offsets: number[];
}

export interface EventLocation {
  source: 'segment' | 'journal';
  segmentNumber: number;
  offset: number;
}

interface PendingEvent {
  version: number;
  position: number;
  /** The event id's 16 bytes. */
  id: Uint8Array;
}

/** Kept small on purpose: a store may hold millions of streams. */
class StreamState {
  /** Sealed chunks as pairs (segment number, entry of the stream in that segment's index), in version order. */
  sealed: number[] = [];
  /** How many of the table's segments have been searched for this stream. */
  sealedThrough = 0;
  sealedLastVersion = -1;
  /** Chunks still in journals, in version order, after every sealed chunk. */
  journal: JournalChunk[] | undefined;
  journalLastVersion = -1;
  /** Last version assigned, pending commits included: what the next append follows. */
  acceptedVersion = -1;
  /** Events accepted but not yet durable, with their ids, for retries that arrive meanwhile. */
  pending: PendingEvent[] | undefined;

  /** Last version readers may see. */
  get durableVersion(): number {
    return Math.max(this.sealedLastVersion, this.journalLastVersion);
  }
}

/**
 * Every stream's version and where its durable events are. Nothing per stream is built at open:
 * each segment's index block lists its streams sorted by id, and so does the index made of each
 * journal found at open (recovered-journal.ts), so a stream is found by binary search the first
 * time it is read or appended to, and its state is kept from then on. Journal commits are added as
 * they become durable; when a journal is sealed its chunks give way to the segment.
 */
export class StreamTable {
  private readonly states = new Map<string, StreamState>();
  private readonly segments: Array<{ segmentNumber: number; index: SegmentIndex }> = [];
  private readonly indexes = new Map<number, SegmentIndex>();
  /** Streams with journal chunks, by journal: the states to update when that journal is sealed. */
  private readonly journalStreams = new Map<number, Set<StreamState>>();
  /** Journals found at open and not sealed since, oldest first: searched when a stream's state is made. */
  private recovered: RecoveredJournal[] = [];

  addSealedSegment(segmentNumber: number, index: SegmentIndex): void {
    if (this.indexes.has(segmentNumber)) return;
    this.segments.push({ segmentNumber, index });
    this.indexes.set(segmentNumber, index);
  }

  /**
   * A journal found at open, with every event in it: indexed by stream, taken into a stream's state
   * when the stream is first used. Call before any stream is used (StoreCore does so at open).
   */
  addRecoveredJournal(segmentNumber: number, events: JournalEvents): void {
    this.recovered.push(indexRecoveredJournal(segmentNumber, events));
  }

  /** Records a durable event of a journal. */
  addJournalEvent(streamId: string, version: number, segmentNumber: number, offset: number): void {
    this.addJournalEvents(streamId, version, segmentNumber, [offset]);
  }

  /**
   * Records durable events of a journal: consecutive versions of one stream, at these file offsets.
   * Keeps `offsets` (callers hand over an array of their own) rather than copying it.
   */
  addJournalEvents(streamId: string, firstVersion: number, segmentNumber: number, offsets: number[]): void {
    // No segment search here: a journal event is the newest of its stream, so the state's versions
    // are right without the sealed chunks, which resolve() finds when the stream is read.
    let state = this.states.get(streamId);
    if (!state) this.states.set(streamId, (state = this.newState(streamId)));
    const chunks = (state.journal ??= []);
    const last = chunks[chunks.length - 1];
    if (last && last.segmentNumber === segmentNumber) for (const offset of offsets) last.offsets.push(offset);
    else chunks.push({ segmentNumber, firstVersion, offsets });
    this.trackJournalStream(segmentNumber, state);
    const lastVersion = firstVersion + offsets.length - 1;
    state.journalLastVersion = Math.max(state.journalLastVersion, lastVersion);
    state.acceptedVersion = Math.max(state.acceptedVersion, lastVersion);
    if (state.pending && (state.pending[0] as PendingEvent).version <= lastVersion) {
      const still = state.pending.filter((event) => event.version > lastVersion);
      state.pending = still.length > 0 ? still : undefined;
    }
  }

  /**
   * A journal was sealed: its chunks give way to the segment, which each stream picks up the next
   * time it is resolved. A read-only follower may not have read every commit of that journal: the
   * segment's index then holds the versions it missed.
   */
  replaceJournal(segmentNumber: number, index: SegmentIndex): void {
    this.addSealedSegment(segmentNumber, index);
    this.recovered = this.recovered.filter((journal) => journal.segmentNumber !== segmentNumber);
    for (const state of this.journalStreams.get(segmentNumber) ?? []) {
      const rest = (state.journal ?? []).filter((chunk) => chunk.segmentNumber !== segmentNumber);
      state.journal = rest.length > 0 ? rest : undefined;
      state.journalLastVersion = rest.length > 0 ? lastVersionOf(rest[rest.length - 1] as JournalChunk) : -1;
    }
    this.journalStreams.delete(segmentNumber);
  }

  /** Reserves versions for an accepted (not yet durable) commit of events with these ids, from `firstPosition` on. */
  accept(streamId: string, ids: readonly Uint8Array[], firstPosition: number): number {
    const state = this.resolve(streamId, true) as StreamState;
    const firstVersion = state.acceptedVersion + 1;
    const pending = (state.pending ??= []);
    for (let i = 0; i < ids.length; i++) pending.push({ version: firstVersion + i, position: firstPosition + i, id: ids[i] as Uint8Array });
    state.acceptedVersion += ids.length;
    return firstVersion;
  }

  durableVersion(streamId: string): number {
    return this.resolve(streamId, false)?.durableVersion ?? -1;
  }

  acceptedVersion(streamId: string): number {
    return this.resolve(streamId, false)?.acceptedVersion ?? -1;
  }

  pendingEvents(streamId: string): readonly PendingEvent[] {
    return this.resolve(streamId, false)?.pending ?? [];
  }

  locate(streamId: string, version: number): EventLocation | undefined {
    const state = this.resolve(streamId, false);
    if (!state || version < 0 || version > state.durableVersion) return undefined;
    for (const chunk of state.journal ?? []) {
      const at = version - chunk.firstVersion;
      if (at >= 0 && at < chunk.offsets.length) return { source: 'journal', segmentNumber: chunk.segmentNumber, offset: chunk.offsets[at] as number };
    }
    const sealed = state.sealed;
    let low = 0;
    let high = sealed.length / 2 - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const segmentNumber = sealed[2 * middle] as number;
      const index = this.indexes.get(segmentNumber) as SegmentIndex;
      const entry = sealed[2 * middle + 1] as number;
      const firstVersion = index.streamFirstVersions[entry] as number;
      if (version < firstVersion) high = middle - 1;
      else if (version >= firstVersion + (index.streamEventCounts[entry] as number)) low = middle + 1;
      else return { source: 'segment', segmentNumber, offset: index.eventOffsets[(index.streamEventStarts[entry] as number) + version - firstVersion] as number };
    }
    return undefined;
  }

  /**
   * The stream's state, with every segment sealed since it was last resolved searched for it.
   * A stream that no segment and no journal holds gets a state only when `create` (an append).
   */
  private resolve(streamId: string, create: boolean): StreamState | undefined {
    let state = this.states.get(streamId);
    if (state && state.sealedThrough === this.segments.length) return state;
    const fresh = state ?? this.newState(streamId);
    const id = Buffer.from(streamId, 'utf8');
    for (; fresh.sealedThrough < this.segments.length; fresh.sealedThrough++) {
      const { segmentNumber, index } = this.segments[fresh.sealedThrough] as { segmentNumber: number; index: SegmentIndex };
      const entry = findStream(index, id);
      if (entry < 0) continue;
      fresh.sealed.push(segmentNumber, entry);
      fresh.sealedLastVersion = Math.max(fresh.sealedLastVersion, (index.streamFirstVersions[entry] as number) + (index.streamEventCounts[entry] as number) - 1);
    }
    fresh.acceptedVersion = Math.max(fresh.acceptedVersion, fresh.durableVersion);
    if (state) return state;
    if (!create && fresh.sealed.length === 0 && fresh.journal === undefined) return undefined;
    this.states.set(streamId, fresh);
    return fresh;
  }

  /** Notes that the state has chunks in that journal: replaceJournal updates it when the journal is sealed. */
  private trackJournalStream(segmentNumber: number, state: StreamState): void {
    let streams = this.journalStreams.get(segmentNumber);
    if (!streams) this.journalStreams.set(segmentNumber, (streams = new Set()));
    streams.add(state);
  }

  /** A stream's first state: its chunks in the journals found at open, if any (the sealed ones come from resolve()). */
  private newState(streamId: string): StreamState {
    const state = new StreamState();
    for (const journal of this.recovered) {
      const run = findRecoveredRun(journal, streamId);
      if (!run) continue;
      (state.journal ??= []).push({ segmentNumber: journal.segmentNumber, firstVersion: run.firstVersion, offsets: run.offsets });
      this.trackJournalStream(journal.segmentNumber, state);
      state.journalLastVersion = run.firstVersion + run.offsets.length - 1;
    }
    state.acceptedVersion = state.journalLastVersion;
    return state;
  }
}

function lastVersionOf(chunk: JournalChunk): number {
  return chunk.firstVersion + chunk.offsets.length - 1;
}
