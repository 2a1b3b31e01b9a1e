import { SegmentIndex } from '../format';

/** Where some consecutive versions of one stream are: file offsets of their records in one file. */
interface StreamChunk {
  source: 'segment' | 'journal';
  segmentNumber: number;
  firstVersion: number;
  offsets: Uint32Array | number[];
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

class StreamState {
  /** Last version readers may see. */
  durableVersion = -1;
  /** Last version assigned, pending commits included: what the next append follows. */
  acceptedVersion = -1;
  readonly chunks: StreamChunk[] = [];
  /** Events accepted but not yet durable, with their ids, for retries that arrive meanwhile. */
  pending: PendingEvent[] = [];
}

/**
 * Every stream's version and where its durable events are, built at open from the segments' index
 * blocks and the journals' commits (no event of a sealed segment is decoded), then kept up to date
 * as commits become durable and journals are sealed.
 */
export class StreamTable {
  private readonly streams = new Map<string, StreamState>();

  get streamCount(): number {
    return this.streams.size;
  }

  addSealedSegment(segmentNumber: number, index: SegmentIndex): void {
    for (const indexed of index.streams) {
      const state = this.state(indexed.streamId);
      state.chunks.push({ source: 'segment', segmentNumber, firstVersion: indexed.firstVersion, offsets: indexed.eventOffsets });
      const last = indexed.firstVersion + indexed.eventOffsets.length - 1;
      state.durableVersion = last;
      state.acceptedVersion = Math.max(state.acceptedVersion, last);
    }
  }

  /** Records a durable event of a journal. */
  addJournalEvent(streamId: string, version: number, segmentNumber: number, offset: number): void {
    const state = this.state(streamId);
    const last = state.chunks[state.chunks.length - 1];
    if (last && last.source === 'journal' && last.segmentNumber === segmentNumber) {
      (last.offsets as number[]).push(offset);
    } else {
      state.chunks.push({ source: 'journal', segmentNumber, firstVersion: version, offsets: [offset] });
    }
    state.durableVersion = version;
    state.acceptedVersion = Math.max(state.acceptedVersion, version);
    if (state.pending.length > 0 && (state.pending[0] as PendingEvent).version <= version) {
      state.pending = state.pending.filter((event) => event.version > version);
    }
  }

  /**
   * A journal was sealed: its chunks now point into the segment file. A read-only follower may not
   * have read every commit of that journal: the segment's index then adds the versions it missed.
   */
  replaceJournal(segmentNumber: number, index: SegmentIndex): void {
    for (const indexed of index.streams) {
      const state = this.state(indexed.streamId);
      const chunk: StreamChunk = { source: 'segment', segmentNumber, firstVersion: indexed.firstVersion, offsets: indexed.eventOffsets };
      const at = state.chunks.findIndex((existing) => existing.segmentNumber === segmentNumber);
      if (at >= 0) state.chunks[at] = chunk;
      else state.chunks.push(chunk);
      const last = indexed.firstVersion + indexed.eventOffsets.length - 1;
      state.durableVersion = Math.max(state.durableVersion, last);
      state.acceptedVersion = Math.max(state.acceptedVersion, last);
    }
  }

  /** Reserves versions for an accepted (not yet durable) commit. */
  accept(streamId: string, events: ReadonlyArray<{ id: string; position: number }>): number {
    const state = this.state(streamId);
    const firstVersion = state.acceptedVersion + 1;
    events.forEach((event, i) => state.pending.push({ version: firstVersion + i, position: event.position, id: event.id }));
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
    const chunks = state.chunks;
    let low = 0;
    let high = chunks.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const chunk = chunks[middle] as StreamChunk;
      if (version < chunk.firstVersion) high = middle - 1;
      else if (version >= chunk.firstVersion + chunk.offsets.length) low = middle + 1;
      else return { source: chunk.source, segmentNumber: chunk.segmentNumber, offset: chunk.offsets[version - chunk.firstVersion] as number };
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
