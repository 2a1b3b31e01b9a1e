import { COMMIT_BLOCK_HEADER_BYTES, eventRecordLength } from '../format';
import { EncodedEvent } from './encode-events';

/** A commit this process accepted, until it is durable. */
export interface InFlightCommit {
  firstPosition: number;
  lastPosition: number;
  streamId: string;
  firstVersion: number;
  /** Offset of each event's record inside the commit block: the stream table's entries, once the block's place is known. */
  recordOffsets: number[];
  durable: Promise<void>;
}

/** Where each event's record starts inside the commit block the engine encodes from `events`. */
export function recordOffsetsOf(events: readonly EncodedEvent[]): number[] {
  const offsets: number[] = [];
  let offset = COMMIT_BLOCK_HEADER_BYTES;
  for (const event of events) {
    offsets.push(offset);
    offset += eventRecordLength(event);
  }
  return offsets;
}

/**
 * The accepted commits not yet durable, oldest first. Commits become durable in the order they were
 * accepted, so the oldest one is always the next to be published: it is indexed from what was known
 * when it was accepted, without decoding its block again.
 */
export class InFlightCommits {
  private items: InFlightCommit[] = [];
  private head = 0;

  push(commit: InFlightCommit): void {
    this.items.push(commit);
  }

  /** The oldest commit, removed, when it is the durable commit that starts at `firstPosition`. */
  take(firstPosition: number): InFlightCommit | undefined {
    const oldest = this.items[this.head];
    if (oldest?.firstPosition !== firstPosition) return undefined;
    this.items[this.head++] = undefined as never;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return oldest;
  }

  /** The durability of the in-flight commit whose last event is at `lastPosition`, if there is one. */
  durableEndingAt(lastPosition: number): Promise<void> | undefined {
    for (let i = this.items.length - 1; i >= this.head; i--) {
      const commit = this.items[i] as InFlightCommit;
      if (commit.lastPosition === lastPosition) return commit.durable;
      if (commit.lastPosition < lastPosition) return undefined;
    }
    return undefined;
  }
}
