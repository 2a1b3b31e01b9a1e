import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import { commitChecksumsHold, decodeCommitBlockHeader, EVENT_RECORD_HEADER_BYTES, EventRecord, eventRecordFromLayout, EventRecordLayout, forEachCommitEvent, readEventRecordLayout, scratchEventRecordLayout, u32At } from '../format';
import { StoreLayout } from '../segment';
import { FileReader } from './file-reader';
import { LogPart, LogParts } from './log-parts';
import { recordedEventFromLayout } from './recorded-event';
import { EventLocation, StreamTable } from './stream-table';
import { EventFilter, RecordedEvent } from './types';

/** Bytes read from disk per chunk: bounds what a reader holds in memory at once. */
export const READ_CHUNK_BYTES = 256 * 1024;
/**
 * Bytes read for a record whose neighbours are not being read (a stream's events scattered through
 * the log): most records fit, and a read of one page costs less than one of two. Reads that keep
 * landing just past the window double it, up to the reader's scratch: a stream appended in bursts
 * is read a run of records at a time.
 */
const RECORD_PROBE_BYTES = 1024;
const MAX_PROBE_BYTES = 64 * 1024;

/**
 * The bytes last read around a record, reused when the next record is inside them: file bytes
 * [start, end) are `bytes[0, end - start)` (the buffer is the reader's scratch, or larger).
 */
interface ReadWindow {
  path: string;
  start: number;
  end: number;
  bytes: Buffer;
  /** What the next read of this window asks for. */
  probeBytes: number;
  /** The last record's layout: filled again for each record (a read allocates no layout per event). */
  layout: EventRecordLayout;
}

const emptyWindow = (): ReadWindow => ({ path: '', start: 0, end: 0, bytes: Buffer.alloc(0), probeBytes: RECORD_PROBE_BYTES, layout: scratchEventRecordLayout() });

export interface Chunk {
  events: RecordedEvent[];
  /** Where the next chunk starts (a position for the log, a version for a stream); -1 when done. */
  next: number;
}

/** Reads chunks of the log by position and of streams by version, synchronously, from the files. */
export class LogReader {
  /**
   * Where single records are read: reused, so that a stream read does not allocate a buffer per
   * event. A record read here is a view of it, valid until the next read: callers convert first.
   */
  private readonly scratch = Buffer.allocUnsafeSlow(MAX_PROBE_BYTES);

  constructor(
    private readonly parts: LogParts,
    private readonly streams: StreamTable,
    private readonly files: FileReader,
  ) {}

  /** Events from `from` towards `bound` (inclusive, in the direction of travel) that pass `filter`. */
  readLogChunk(from: number, bound: number, direction: 'forwards' | 'backwards', filter?: EventFilter): Chunk {
    const forwards = direction === 'forwards';
    if (forwards ? from > bound : from < bound) return { events: [], next: -1 };
    const found = this.parts.locate(from);
    if (!found) return { events: [], next: -1 };
    const part = this.parts.parts[found.part] as LogPart;
    const [firstCommit, lastCommit] = forwards
      ? [found.commit, this.extendForwards(part, found.commit, bound)]
      : [this.extendBackwards(part, found.commit, bound), found.commit];
    const start = part.commitOffset(firstCommit);
    const bytes = this.files.read(part.path, start, part.commitEnd(lastCommit) - start);
    const events: RecordedEvent[] = [];
    const [low, high] = forwards ? [from, bound] : [bound, from];
    const add = (buffer: Buffer, layout: EventRecordLayout): void => {
      if (layout.position < low || layout.position > high) return;
      if (filter && !passesLayout(buffer, layout, filter)) return;
      events.push(recordedEventFromLayout(buffer, layout, part, start));
    };
    const checked = checkAdjacentCommits(part, firstCommit, lastCommit, bytes, start);
    for (let k = 0; k <= lastCommit - firstCommit; k++) {
      const i = forwards ? firstCommit + k : lastCommit - k;
      const before = events.length;
      this.decodeCommit(part, bytes, part.commitOffset(i) - start, start, checked[i - firstCommit] === 1, add);
      if (!forwards) reverseFrom(events, before);
    }
    if (forwards) {
      const next = lastCommit + 1 < part.commitCount ? part.commitFirstPosition(lastCommit + 1) : part.firstPosition + part.eventCount;
      return { events, next: next > bound ? -1 : next };
    }
    const next = part.commitFirstPosition(firstCommit) - 1;
    return { events, next: next < bound || next < 0 ? -1 : next };
  }

  /** Versions `from` towards `bound` of one stream, at most `limit` of them, stopping past `maxPosition`. */
  readStreamChunk(streamId: string, from: number, bound: number, direction: 'forwards' | 'backwards', maxPosition: number, limit: number): Chunk {
    const step = direction === 'forwards' ? 1 : -1;
    const events: RecordedEvent[] = [];
    const window = emptyWindow();
    const knownStreamId = { text: streamId, bytes: Buffer.from(streamId, 'utf8') };
    let version = from;
    let bytesRead = 0;
    for (; step > 0 ? version <= bound : version >= bound; version += step) {
      if (events.length >= limit || bytesRead >= READ_CHUNK_BYTES) return { events, next: version };
      const location = this.streams.locate(streamId, version);
      if (!location) break;
      const layout = this.readLayout(location, window);
      if (layout.position > maxPosition) {
        if (step > 0) break;
        continue;
      }
      bytesRead += layout.recordLength;
      events.push(recordedEventFromLayout(window.bytes, layout, location, window.start, knownStreamId));
    }
    return { events, next: -1 };
  }

  /** Last version of the stream whose event is at or before `maxPosition`, or -1 (binary search). */
  lastVersionAtOrBefore(streamId: string, lastVersion: number, maxPosition: number): number {
    const window = emptyWindow();
    let low = 0;
    let high = lastVersion;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const location = this.streams.locate(streamId, middle);
      if (location && this.readLayout(location, window).position <= maxPosition) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  /** The decoded record at a location (JSON not parsed); its byte fields are valid until the next read. */
  readRecord(location: EventLocation, window: ReadWindow = emptyWindow()): EventRecord {
    const layout = this.readLayout(location, window);
    return eventRecordFromLayout(window.bytes, layout);
  }

  /** The checked layout of the record at a location, in `window.bytes` (valid until the next read into it). */
  private readLayout(location: EventLocation, window: ReadWindow): EventRecordLayout {
    const path = this.pathOf(location);
    if (window.path !== path || location.offset < window.start || location.offset + EVENT_RECORD_HEADER_BYTES > window.end) {
      this.fillWindow(window, path, location.offset, this.nextProbeBytes(window, path, location.offset));
    }
    let relative = location.offset - window.start;
    const length = window.end - location.offset >= 4 ? window.bytes.readUInt32LE(relative) : 0;
    if (location.offset + length > window.end) {
      this.fillWindow(window, path, location.offset, Math.max(length, this.nextProbeBytes(window, path, location.offset)));
      relative = 0;
    }
    const layout = readEventRecordLayout(window.bytes, relative, window.end - window.start, window.layout);
    if (layout instanceof FormatError) {
      throw new CorruptionError(StoreLayout.partName(location), location.offset + layout.offset, layout.reason);
    }
    return layout;
  }

  /** Doubles the window's reads while records keep following it closely; back to one probe otherwise. */
  private nextProbeBytes(window: ReadWindow, path: string, offset: number): number {
    const following = window.path === path && offset >= window.start && offset - window.end < window.probeBytes;
    window.probeBytes = following ? Math.min(2 * window.probeBytes, MAX_PROBE_BYTES) : RECORD_PROBE_BYTES;
    return window.probeBytes;
  }

  /** Reads `length` bytes at `offset` into the window (its scratch, with no view made per read, unless larger). */
  private fillWindow(window: ReadWindow, path: string, offset: number, length: number): void {
    const buffer = length <= this.scratch.length ? this.scratch : Buffer.allocUnsafe(length);
    window.path = path;
    window.start = offset;
    window.end = offset + this.files.readInto(path, offset, buffer, length);
    window.bytes = buffer;
  }

  private extendForwards(part: LogPart, first: number, bound: number): number {
    const start = part.commitOffset(first);
    let last = first;
    while (last + 1 < part.commitCount && part.commitFirstPosition(last + 1) <= bound && part.commitEnd(last + 1) - start <= READ_CHUNK_BYTES) last++;
    return last;
  }

  private extendBackwards(part: LogPart, last: number, bound: number): number {
    const end = part.commitEnd(last);
    let first = last;
    while (first > 0 && part.commitFirstPosition(first) > bound && end - part.commitOffset(first - 1) <= READ_CHUNK_BYTES) first--;
    return first;
  }

  /** Checks the commit at `offset` of `bytes` (its checksum unless `checksumChecked`) and hands each of its events to `visit`, in order. */
  private decodeCommit(part: LogPart, bytes: Buffer, offset: number, fileStart: number, checksumChecked: boolean, visit: (bytes: Buffer, layout: EventRecordLayout) => void): void {
    const header = decodeCommitBlockHeader(bytes, offset, bytes.length, checksumChecked);
    const failed = header instanceof FormatError ? header : forEachCommitEvent(bytes, offset, header, visit);
    if (failed) throw new CorruptionError(StoreLayout.partName(part), fileStart + offset + failed.offset, failed.reason);
  }

  private pathOf(location: EventLocation): string {
    // A loop rather than find(): a stream read asks once per event, and a closure per call is garbage.
    for (const part of this.parts.parts) if (part.segmentNumber === location.segmentNumber && part.source === location.source) return part.path;
    throw new CorruptionError(StoreLayout.partName(location), location.offset, 'no such segment is open');
  }
}

/**
 * The checksums of commits first..last (in `bytes`, read from file offset `fileStart`), checked a
 * run of adjacent commits at a time with one pass each (commitChecksumsHold): 1 for each commit of
 * a run that held, 0 for the rest, which decodeCommit checks one by one. A run is commits that lie
 * end to end in the file, each with its length field as the index has it, so the blocks the pass
 * walks are the commits decoded. A sealed segment's chunk is one run; a journal's ends at each frame.
 */
function checkAdjacentCommits(part: LogPart, first: number, last: number, bytes: Buffer, fileStart: number): Uint8Array {
  const checked = new Uint8Array(last - first + 1);
  const checkRun = (runFirst: number, runLast: number): void => {
    // A run of one is left to the commit's own check: one pass over it is the same work.
    if (runLast - runFirst < 1) return;
    const runStart = part.commitOffset(runFirst) - fileStart;
    if (commitChecksumsHold(bytes, runStart, part.commitEnd(runLast) - fileStart)) checked.fill(1, runFirst - first, runLast - first + 1);
  };
  let runFirst = first;
  for (let i = first; i <= last; i++) {
    const offset = part.commitOffset(i);
    const end = part.commitEnd(i);
    if (end - fileStart > bytes.length || u32At(bytes, offset - fileStart) !== end - offset) {
      checkRun(runFirst, i - 1);
      runFirst = i + 1;
    } else if (i === last || part.commitOffset(i + 1) !== end) {
      checkRun(runFirst, i);
      runFirst = i + 1;
    }
  }
  return checked;
}

/** Reverses `items[from..]` in place: a commit's events, read forwards, for a backwards read. */
function reverseFrom<T>(items: T[], from: number): void {
  for (let i = from, j = items.length - 1; i < j; i++, j--) {
    const held = items[i] as T;
    items[i] = items[j] as T;
    items[j] = held;
  }
}

/** The filter checked on the record's bytes, before its JSON is parsed. */
function passesLayout(bytes: Buffer, layout: EventRecordLayout, filter: EventFilter): boolean {
  const streamIdStart = layout.offset + EVENT_RECORD_HEADER_BYTES;
  const typeStart = streamIdStart + layout.streamIdLength;
  return passes({ streamId: bytes.toString('utf8', streamIdStart, typeStart), type: bytes.toString('utf8', typeStart, typeStart + layout.typeLength) }, filter);
}

export function passes(record: { streamId: string; type: string }, filter?: EventFilter): boolean {
  if (!filter) return true;
  if (filter.streamPrefix !== undefined && !record.streamId.startsWith(filter.streamPrefix)) return false;
  if (filter.eventTypes !== undefined && !filter.eventTypes.includes(record.type)) return false;
  return true;
}
