import { JournalEvents } from '../segment';

/**
 * The events of a journal found at open, by stream, in flat arrays: what a segment's index block is
 * to its segment. A store opened on a full journal holds tens of thousands of streams there, and a
 * state object per stream (with its chunk and offsets) took ~500 bytes of heap per event, built at
 * open and kept whether or not the stream was ever used. Here a stream is found by binary search
 * the first time it is read or appended to, as in a sealed segment.
 */
export interface RecoveredJournal {
  segmentNumber: number;
  /** The journal's stream ids in ascending order (JavaScript's string order: only this index compares them). */
  streamIds: string[];
  firstVersions: Float64Array;
  /** Each stream's run in `recordOffsets`. */
  starts: Uint32Array;
  counts: Uint32Array;
  /** File offsets of the journal's event records, stream by stream, in version order. */
  recordOffsets: Float64Array;
}

/** A stream's consecutive versions in a recovered journal. */
export interface RecoveredRun {
  firstVersion: number;
  offsets: number[];
}

/**
 * Builds the index from the journal's events in position order: the versions of one stream there
 * follow each other (each append continues its stream), so a stream's run starts at its first event.
 */
export function indexRecoveredJournal(segmentNumber: number, events: JournalEvents): RecoveredJournal {
  const { streamIds: eventStreams, versions, recordOffsets: eventOffsets } = events;
  const slots = new Map<string, number>();
  for (const streamId of eventStreams) slots.set(streamId, (slots.get(streamId) ?? 0) + 1);
  const streamIds = [...slots.keys()].sort();
  const streamCount = streamIds.length;
  const firstVersions = new Float64Array(streamCount);
  const starts = new Uint32Array(streamCount);
  const counts = new Uint32Array(streamCount);
  let start = 0;
  for (let i = 0; i < streamCount; i++) {
    const streamId = streamIds[i] as string;
    starts[i] = start;
    start += slots.get(streamId) as number;
    slots.set(streamId, i);
  }
  const recordOffsets = new Float64Array(eventStreams.length);
  for (let e = 0; e < eventStreams.length; e++) {
    const slot = slots.get(eventStreams[e] as string) as number;
    const count = counts[slot] as number;
    if (count === 0) firstVersions[slot] = versions[e] as number;
    recordOffsets[(starts[slot] as number) + count] = eventOffsets[e] as number;
    counts[slot] = count + 1;
  }
  return { segmentNumber, streamIds, firstVersions, starts, counts, recordOffsets };
}

/** The stream's run in the journal, or undefined when the journal holds none of its events. */
export function findRecoveredRun(journal: RecoveredJournal, streamId: string): RecoveredRun | undefined {
  let low = 0;
  let high = journal.streamIds.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = journal.streamIds[middle] as string;
    if (found === streamId) {
      const start = journal.starts[middle] as number;
      return { firstVersion: journal.firstVersions[middle] as number, offsets: Array.from(journal.recordOffsets.subarray(start, start + (journal.counts[middle] as number))) };
    }
    if (streamId < found) high = middle - 1;
    else low = middle + 1;
  }
  return undefined;
}
