import { SegmentIndex, streamIdAt } from '../format';

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
  id: string;
}

/** Kept small on purpose: a store may hold millions of streams. */
class StreamState {
  /** Last version readers may see. */
  durableVersion = -1;
  /** Last version assigned, pending commits included: what the next append follows. */
  acceptedVersion = -1;
  /** Sealed chunks as pairs (segment number, entry of the stream in that segment's index), in version order. */
  sealed: number[] | undefined;
  /** Chunks still in journals, in version order, after every sealed chunk. */
  journal: JournalChunk[] | undefined;
  /** Events accepted but not yet durable, with their ids, for retries that arrive meanwhile. */
  pending: PendingEvent[] | undefined;
}

/**
 * Every stream's version and where its durable events are, built at open from the segments' index
 * blocks and the journals' commits (no event of a sealed segment is decoded), then kept up to date
 * as commits become durable and journals are sealed. Sealed events are located through the
 * segments' flat index arrays: per stream, only two numbers per segment it appears in.
 */
export class StreamTable {
  private readonly streams = new Map<string, StreamState>();
  private readonly segments = new Map<number, SegmentIndex>();

  get streamCount(): number {
    return this.streams.size;
  }

  addSealedSegment(segmentNumber: number, index: SegmentIndex): void {
    this.segments.set(segmentNumber, index);
    for (let entry = 0; entry < index.streamCount; entry++) {
      const state = this.state(streamIdAt(index, entry));
      (state.sealed ??= []).push(segmentNumber, entry);
      const last = (index.streamFirstVersions[entry] as number) + (index.streamEventCounts[entry] as number) - 1;
      state.durableVersion = Math.max(state.durableVersion, last);
      state.acceptedVersion = Math.max(state.acceptedVersion, last);
    }
  }

  /** Records a durable event of a journal. */
  addJournalEvent(streamId: string, version: number, segmentNumber: number, offset: number): void {
    const state = this.state(streamId);
    const chunks = (state.journal ??= []);
    const last = chunks[chunks.length - 1];
    if (last && last.segmentNumber === segmentNumber) last.offsets.push(offset);
    else chunks.push({ segmentNumber, firstVersion: version, offsets: [offset] });
    state.durableVersion = version;
    state.acceptedVersion = Math.max(state.acceptedVersion, version);
    if (state.pending && (state.pending[0] as PendingEvent).version <= version) {
      const still = state.pending.filter((event) => event.version > version);
      state.pending = still.length > 0 ? still : undefined;
    }
  }

  /**
   * A journal was sealed: its chunks now point into the segment file. A read-only follower may not
   * have read every commit of that journal: the segment's index then adds the versions it missed.
   */
  replaceJournal(segmentNumber: number, index: SegmentIndex): void {
    this.segments.set(segmentNumber, index);
    for (let entry = 0; entry < index.streamCount; entry++) {
      const state = this.state(streamIdAt(index, entry));
      if (state.journal) {
        const rest = state.journal.filter((chunk) => chunk.segmentNumber !== segmentNumber);
        state.journal = rest.length > 0 ? rest : undefined;
      }
      (state.sealed ??= []).push(segmentNumber, entry);
      const last = (index.streamFirstVersions[entry] as number) + (index.streamEventCounts[entry] as number) - 1;
      state.durableVersion = Math.max(state.durableVersion, last);
      state.acceptedVersion = Math.max(state.acceptedVersion, last);
    }
  }

  /** Reserves versions for an accepted (not yet durable) commit. */
  accept(streamId: string, events: ReadonlyArray<{ id: string; position: number }>): number {
    const state = this.state(streamId);
    const firstVersion = state.acceptedVersion + 1;
    const pending = (state.pending ??= []);
    events.forEach((event, i) => pending.push({ version: firstVersion + i, position: event.position, id: event.id }));
    state.acceptedVersion += events.length;
    return firstVersion;
  }

  durableVersion(streamId: string): number {
    return this.streams.get(streamId)?.durableVersion ?? -1;
  }

  acceptedVersion(streamId: string): number {
    return this.streams.get(streamId)?.acceptedVersion ?? -1;
  }

  pendingEvents(streamId: string): readonly PendingEvent[] {
    return this.streams.get(streamId)?.pending ?? [];
  }

  locate(streamId: string, version: number): EventLocation | undefined {
    const state = this.streams.get(streamId);
    if (!state || version < 0 || version > state.durableVersion) return undefined;
    for (const chunk of state.journal ?? []) {
      const at = version - chunk.firstVersion;
      if (at >= 0 && at < chunk.offsets.length) return { source: 'journal', segmentNumber: chunk.segmentNumber, offset: chunk.offsets[at] as number };
    }
    const sealed = state.sealed ?? [];
    let low = 0;
    let high = sealed.length / 2 - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const segmentNumber = sealed[2 * middle] as number;
      const index = this.segments.get(segmentNumber) as SegmentIndex;
      const entry = sealed[2 * middle + 1] as number;
      const firstVersion = index.streamFirstVersions[entry] as number;
      if (version < firstVersion) high = middle - 1;
      else if (version >= firstVersion + (index.streamEventCounts[entry] as number)) low = middle + 1;
      else return { source: 'segment', segmentNumber, offset: index.eventOffsets[(index.streamEventStarts[entry] as number) + version - firstVersion] as number };
    }
    return undefined;
  }

  private state(streamId: string): StreamState {
    let state = this.streams.get(streamId);
    if (!state) {
      state = new StreamState();
      this.streams.set(streamId, state);
    }
    return state;
  }
}
