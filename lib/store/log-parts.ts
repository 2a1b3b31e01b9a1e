import { SegmentIndex } from '../format';
import { JournalCommit, SealedSegment } from '../segment';

/** A stretch of the log in one file: a sealed segment or the journal of a segment not yet sealed. */
export interface LogPart {
  readonly source: 'segment' | 'journal';
  readonly segmentNumber: number;
  readonly path: string;
  readonly firstPosition: number;
  readonly eventCount: number;
  readonly commitCount: number;
  commitOffset(i: number): number;
  /** File offset just past commit i. */
  commitEnd(i: number): number;
  commitFirstPosition(i: number): number;
  commitRecordedAtMs(i: number): number;
}

export class SealedPart implements LogPart {
  readonly source = 'segment';
  readonly segmentNumber: number;
  readonly path: string;
  readonly firstPosition: number;
  readonly eventCount: number;
  private readonly index: SegmentIndex;
  private readonly commitsEnd: number;

  constructor(segment: SealedSegment) {
    this.segmentNumber = segment.segmentNumber;
    this.path = segment.path;
    this.firstPosition = segment.header.firstPosition;
    this.eventCount = segment.header.eventCount;
    this.index = segment.index;
    this.commitsEnd = segment.header.indexOffset;
  }

  get commitCount(): number {
    return this.index.commitOffsets.length;
  }
  commitOffset(i: number): number {
    return this.index.commitOffsets[i] ?? this.commitsEnd;
  }
  commitEnd(i: number): number {
    return i + 1 < this.commitCount ? this.commitOffset(i + 1) : this.commitsEnd;
  }
  commitFirstPosition(i: number): number {
    return this.firstPosition + (this.index.commitPositionDeltas[i] ?? 0);
  }
  commitRecordedAtMs(i: number): number {
    return this.index.commitRecordedAtMs[i] ?? 0;
  }
}

export class JournalPart implements LogPart {
  readonly source = 'journal';
  eventCount = 0;
  private readonly offsets: number[] = [];
  private readonly ends: number[] = [];
  private readonly positions: number[] = [];
  private readonly recordedAtMs: number[] = [];

  constructor(
    readonly segmentNumber: number,
    readonly path: string,
    readonly firstPosition: number,
  ) {}

  add(commit: Pick<JournalCommit, 'offset' | 'length' | 'firstPosition' | 'eventCount' | 'recordedAtMs'>): void {
    this.offsets.push(commit.offset);
    this.ends.push(commit.offset + commit.length);
    this.positions.push(commit.firstPosition);
    this.recordedAtMs.push(commit.recordedAtMs);
    this.eventCount += commit.eventCount;
  }

  get commitCount(): number {
    return this.offsets.length;
  }
  commitOffset(i: number): number {
    return this.offsets[i] ?? 0;
  }
  commitEnd(i: number): number {
    return this.ends[i] ?? 0;
  }
  commitFirstPosition(i: number): number {
    return this.positions[i] ?? this.firstPosition + this.eventCount;
  }
  commitRecordedAtMs(i: number): number {
    return this.recordedAtMs[i] ?? 0;
  }
}

/** Index of the last element of [0, count) for which `atOrBefore(i)` holds, or -1; `atOrBefore` must be monotone. */
export function lastIndexWhere(count: number, atOrBefore: (i: number) => boolean): number {
  let low = 0;
  let high = count - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (atOrBefore(middle)) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/** The parts of the log in position order, with lookups by position and by time. */
export class LogParts {
  readonly parts: LogPart[] = [];

  /** Part index and commit index holding `position`, or undefined past the end. */
  locate(position: number): { part: number; commit: number } | undefined {
    const part = lastIndexWhere(this.parts.length, (i) => (this.parts[i] as LogPart).firstPosition <= position);
    const found = this.parts[part];
    if (found === undefined || position >= found.firstPosition + found.eventCount) return undefined;
    const commit = lastIndexWhere(found.commitCount, (i) => found.commitFirstPosition(i) <= position);
    return { part, commit };
  }

  /** Position of the last event recorded at or before `timeMs`, or -1: binary searches, no scan. */
  lastPositionAtOrBefore(timeMs: number): number {
    const part = lastIndexWhere(this.parts.length, (i) => this.partFirstRecordedAt(i) <= timeMs);
    const found = this.parts[part];
    if (found === undefined) return -1;
    const commit = lastIndexWhere(found.commitCount, (i) => found.commitRecordedAtMs(i) <= timeMs);
    const next = commit + 1 < found.commitCount ? found.commitFirstPosition(commit + 1) : found.firstPosition + found.eventCount;
    return next - 1;
  }

  private partFirstRecordedAt(i: number): number {
    const part = this.parts[i] as LogPart;
    return part.commitCount === 0 ? Number.POSITIVE_INFINITY : part.commitRecordedAtMs(0);
  }

  /** Position after the last event of the last part: 0 when there is none. */
  get nextPosition(): number {
    const last = this.parts[this.parts.length - 1];
    return last === undefined ? 0 : last.firstPosition + last.eventCount;
  }

  /**
   * Replaces the journal part of `segmentNumber` by its sealed segment, or adds the segment at the
   * end when there is no such part (a read-only follower may never have seen that journal).
   */
  replaceJournal(sealed: SealedPart): void {
    const at = this.parts.findIndex((part) => part.segmentNumber === sealed.segmentNumber);
    if (at >= 0) this.parts[at] = sealed;
    else this.parts.push(sealed);
  }
}
