import fc from 'fast-check';
import { FormatError } from '../errors/format.error';
import { decodeIndexBlock, encodeIndexBlock, SegmentIndex } from '../format';
import { JournalEvents } from '../segment';
import { findRecoveredRun, indexRecoveredJournal } from './recovered-journal';
import { StreamTable } from './stream-table';

/** A journal's events in position order: each append continues its stream from `first`. */
function journalOf(appends: Array<{ streamId: string; count: number }>, first: Record<string, number> = {}): { events: JournalEvents; runs: Map<string, { firstVersion: number; offsets: number[] }> } {
  const events: JournalEvents = { streamIds: [], versions: [], recordOffsets: [] };
  const runs = new Map<string, { firstVersion: number; offsets: number[] }>();
  let offset = 64;
  for (const { streamId, count } of appends) {
    const run = runs.get(streamId) ?? { firstVersion: first[streamId] ?? 0, offsets: [] };
    runs.set(streamId, run);
    for (let i = 0; i < count; i++) {
      events.streamIds.push(streamId);
      events.versions.push(run.firstVersion + run.offsets.length);
      events.recordOffsets.push(offset);
      run.offsets.push(offset);
      offset += 90 + i;
    }
  }
  return { events, runs };
}

function segmentIndex(streams: Array<{ streamId: string; firstVersion: number; eventOffsets: number[] }>): SegmentIndex {
  const eventCount = streams.reduce((sum, stream) => sum + stream.eventOffsets.length, 0);
  const index = decodeIndexBlock(
    encodeIndexBlock({
      eventCount,
      commitOffsets: new Uint32Array(0),
      commitPositionDeltas: new Uint32Array(0),
      commitRecordedAtMs: new Float64Array(0),
      streams: streams.map((stream) => ({ ...stream, eventOffsets: Uint32Array.from(stream.eventOffsets) })),
    }),
  );
  if (index instanceof FormatError) throw index;
  return index;
}

describe('indexRecoveredJournal', () => {
  test('FindsEveryStreamsRunWhateverItsIdAndTheInterleavingAndNoStreamItDoesNotHold', () => {
    const streamId = fc.oneof(fc.constantFrom('a', 'B', 'é', 'e\u0301', '😀', 'z', 'order-1', 'order-10', 'order-2'), fc.string({ minLength: 1, maxLength: 6 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(fc.record({ streamId, count: fc.integer({ min: 1, max: 4 }) }), { maxLength: 60 }), fc.integer({ min: 0, max: 1_000 }), (appends, base) => {
        const first = Object.fromEntries(appends.map(({ streamId: id }) => [id, base]));
        const { events, runs } = journalOf(appends, first);
        const journal = indexRecoveredJournal(3, events);
        for (const [id, run] of runs) expect(findRecoveredRun(journal, id)).toEqual(run);
        expect(findRecoveredRun(journal, '\u0000absent')).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('StreamTable with a journal found at open', () => {
  const recovered = () => {
    const table = new StreamTable();
    const { events } = journalOf(
      [
        { streamId: 'a', count: 2 },
        { streamId: 'b', count: 1 },
        { streamId: 'c', count: 1 },
        { streamId: 'a', count: 1 },
      ],
      { c: 5 },
    );
    table.addRecoveredJournal(7, events);
    return { table, events };
  };

  test('FindsTheJournalsStreamsWithoutAStateMadeForEachAtOpen', () => {
    const { table, events } = recovered();
    expect(table.durableVersion('a')).toBe(2);
    expect(table.acceptedVersion('c')).toBe(5);
    expect(table.locate('a', 2)).toEqual({ source: 'journal', segmentNumber: 7, offset: events.recordOffsets[4] });
    expect(table.locate('c', 5)).toEqual({ source: 'journal', segmentNumber: 7, offset: events.recordOffsets[3] });
    expect(table.locate('c', 4)).toBeUndefined();
    expect(table.durableVersion('zz')).toBe(-1);
    expect(table.locate('zz', 0)).toBeUndefined();
  });

  test('ContinuesARecoveredStreamWithTheCommitsMadeAfterOpen', () => {
    const { table } = recovered();
    // The first thing done with 'b' is a durable commit of the same journal: it follows the recovered run.
    table.addJournalEvents('b', 1, 7, [900, 990]);
    expect(table.durableVersion('b')).toBe(2);
    expect(table.locate('b', 2)).toEqual({ source: 'journal', segmentNumber: 7, offset: 990 });
    table.addJournalEvents('new', 0, 7, [1100]);
    expect(table.locate('new', 0)).toEqual({ source: 'journal', segmentNumber: 7, offset: 1100 });
  });

  test('GivesWayToTheSegmentWhenTheJournalIsSealedForStreamsUsedBeforeAndNot', () => {
    const { table } = recovered();
    table.addJournalEvents('a', 3, 7, [2000]);
    const sealed = segmentIndex([
      { streamId: 'a', firstVersion: 0, eventOffsets: [10, 20, 30, 40] },
      { streamId: 'b', firstVersion: 0, eventOffsets: [50] },
      { streamId: 'c', firstVersion: 5, eventOffsets: [60] },
    ]);
    table.replaceJournal(7, sealed);
    expect(table.locate('a', 3)).toEqual({ source: 'segment', segmentNumber: 7, offset: 40 });
    // 'c' was never used before the seal: the segment's index is where it is found now.
    expect(table.locate('c', 5)).toEqual({ source: 'segment', segmentNumber: 7, offset: 60 });
    expect(table.durableVersion('b')).toBe(0);
  });
});
