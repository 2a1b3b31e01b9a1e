import { chmodSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptionError } from '../../lib/errors';
import { SegmentLog, StoreLayout, verifyStore } from '../../lib/segment';
import {
  buildStore,
  BuiltStore,
  copyStore,
  engineOptions,
  JournalLayout,
  openError,
  readJournalLayout,
  readSealedSegments,
  rejectionOf,
  SealedSegmentFile,
  snapshotDirectory,
  withRewrittenHeader,
} from '../support/corruption-store';
import { useTempDirectories } from '../support/temp-directory';

/**
 * DESIGN §2–§3: sealed segments must be contiguous, each a valid link of the chain, and a segment of
 * another store can never be spliced in. Whole-file damage (a segment deleted, swapped, duplicated,
 * or copied from another store) is refused at open, by a read-only open and by verifyStore, with
 * the file named and the check that failed.
 *
 * Two stores of the same shape: four sealed segments of ~1 KiB and an open journal each, so that
 * "the same segment number of another store" covers the same positions.
 */
const SEGMENT_SIZE_BYTES = 600;
const COMMIT_SIZES = [1, 2, 1, 3, 1, 2, 1, 1, 2, 1, 2, 1];
const seg = StoreLayout.segmentName;

interface Damage {
  name: string;
  /** Damages the copy of store A at `directory`; `other` is store B, of the same shape. */
  apply(directory: string, own: SealedSegmentFile[], other: SealedSegmentFile[]): void;
  segment: string;
  offset: number;
  reason: RegExp;
}

function replaceSegment(directory: string, segmentNumber: number, bytes: Buffer): void {
  const path = join(directory, seg(segmentNumber));
  chmodSync(path, 0o644);
  writeFileSync(path, bytes);
  chmodSync(path, 0o444);
}

function segmentFile(segments: SealedSegmentFile[], segmentNumber: number): SealedSegmentFile {
  return segments[segmentNumber - 1] as SealedSegmentFile;
}

const damages: Damage[] = [
  {
    name: 'DeletedMiddleSegment',
    apply: (directory) => unlinkSync(join(directory, seg(2))),
    segment: 'segments/00000002.edb',
    offset: 0,
    reason: /^missing: segments\/00000003\.edb exists but segments\/00000002\.edb does not$/,
  },
  {
    name: 'DeletedFirstSegment',
    apply: (directory) => unlinkSync(join(directory, seg(1))),
    segment: 'segments/00000001.edb',
    offset: 0,
    reason: /^missing: segments\/00000002\.edb exists but segments\/00000001\.edb does not$/,
  },
  {
    name: 'SwappedMiddleSegments',
    apply: (directory) => {
      renameSync(join(directory, seg(2)), join(directory, 'swap'));
      renameSync(join(directory, seg(3)), join(directory, seg(2)));
      renameSync(join(directory, 'swap'), join(directory, seg(3)));
    },
    segment: 'segments/00000002.edb',
    offset: 24,
    reason: /^segment number 3 where 2 belongs$/,
  },
  {
    name: 'DuplicatedMiddleSegmentInPlaceOfTheNext',
    apply: (directory, own) => replaceSegment(directory, 3, segmentFile(own, 2).bytes),
    segment: 'segments/00000003.edb',
    offset: 24,
    reason: /^segment number 2 where 3 belongs$/,
  },
  {
    name: 'DuplicatedMiddleSegmentInsertedWithTheRestRenumbered',
    apply: (directory, own) => {
      renameSync(join(directory, seg(4)), join(directory, seg(5)));
      renameSync(join(directory, seg(3)), join(directory, seg(4)));
      writeFileSync(join(directory, seg(3)), segmentFile(own, 2).bytes, { mode: 0o444 });
    },
    segment: 'segments/00000003.edb',
    offset: 24,
    reason: /^segment number 2 where 3 belongs$/,
  },
  {
    // The duplicate's header rewritten to pass for segment 3 (number, positions, times, checksum,
    // end marker): only the chain hash, which binds the body to the previous end marker, tells.
    name: 'DuplicatedMiddleSegmentWithAForgedHeader',
    apply: (directory, own) => {
      const third = segmentFile(own, 3).header;
      const forged = withRewrittenHeader(segmentFile(own, 2).bytes, {
        segmentNumber: 3,
        firstPosition: third.firstPosition,
        firstRecordedAtMs: third.firstRecordedAtMs,
        lastRecordedAtMs: third.lastRecordedAtMs,
      });
      replaceSegment(directory, 3, forged);
    },
    segment: 'segments/00000003.edb',
    offset: 256,
    reason: /^chain hash does not link this segment to the previous one$/,
  },
  {
    name: 'SegmentCopiedFromAnotherStore',
    apply: (directory, _own, other) => replaceSegment(directory, 2, segmentFile(other, 2).bytes),
    segment: 'segments/00000002.edb',
    offset: 8,
    reason: /^segment belongs to another store$/,
  },
  {
    // Another store's segment with its store id rewritten: genesis is bound to the store id, so its
    // chain hash links it to the other store's chain, never to this one.
    name: 'SegmentCopiedFromAnotherStoreWithItsStoreIdRewritten',
    apply: (directory, own, other) => {
      const forged = withRewrittenHeader(segmentFile(other, 2).bytes, { storeId: segmentFile(own, 2).header.storeId });
      replaceSegment(directory, 2, forged);
    },
    segment: 'segments/00000002.edb',
    offset: 256,
    reason: /^chain hash does not link this segment to the previous one$/,
  },
];

describe('damage to the set of sealed segments', () => {
  const tempDirectory = useTempDirectories();
  let storeA: string;
  let builtA: BuiltStore;
  let segmentsA: SealedSegmentFile[];
  let segmentsB: SealedSegmentFile[];

  beforeAll(async () => {
    storeA = tempDirectory();
    const storeB = tempDirectory();
    builtA = await buildStore(storeA, SEGMENT_SIZE_BYTES, COMMIT_SIZES);
    await buildStore(storeB, SEGMENT_SIZE_BYTES, COMMIT_SIZES);
    segmentsA = readSealedSegments(storeA);
    segmentsB = readSealedSegments(storeB);
  });

  test('the two fixture stores have the same shape: four sealed segments and a journal', () => {
    expect(segmentsA.map((segment) => segment.name)).toEqual(segmentsB.map((segment) => segment.name));
    expect(segmentsA).toHaveLength(4);
    expect(segmentsA.map((segment) => segment.header.firstPosition)).toEqual(segmentsB.map((segment) => segment.header.firstPosition));
    expect(segmentsA[0]?.header.storeId.equals(segmentsB[0]?.header.storeId as Buffer)).toBe(false);
  });

  test.each(['main-thread', 'workers'] as const)('CleanStoreVerifiesWithItsEventCountAndHead (%s)', async (parallelism) => {
    const report = await verifyStore(storeA, { parallelism });
    expect(report).toMatchObject({ segments: 4, journals: 1, events: builtA.events, tornBytes: 0 });
    expect(report.storeId).toBe(segmentsA[0]?.header.storeId.toString('hex'));
    expect(report.head).toEqual(builtA.head);
    expect(report.head).toEqual({ position: builtA.events - 1, segment: 5, hash: builtA.commitHashes[builtA.commitHashes.length - 1] });
    const readOnly = await SegmentLog.open(engineOptions(storeA, SEGMENT_SIZE_BYTES, true));
    try {
      expect(readOnly.head()).toEqual(report.head);
    } finally {
      await readOnly.close();
    }
  });

  describe.each(damages)('$name', (damage) => {
    let damaged: string;

    beforeAll(() => {
      damaged = tempDirectory();
      copyStore(storeA, damaged);
      damage.apply(damaged, segmentsA, segmentsB);
    });

    function expectNamed(error: unknown): void {
      expect(error).toBeInstanceOf(CorruptionError);
      const { segment, offset, reason } = error as CorruptionError;
      expect({ segment, offset, reason }).toEqual({ segment: damage.segment, offset: damage.offset, reason: expect.stringMatching(damage.reason) });
    }

    test(`${damage.name}IsRefusedAtOpenAndNamed`, async () => {
      const before = snapshotDirectory(damaged);
      expectNamed(await openError(damaged, SEGMENT_SIZE_BYTES));
      expect(snapshotDirectory(damaged)).toEqual(before);
    });

    test(`${damage.name}IsRefusedByAReadOnlyOpenThatWritesNothing`, async () => {
      const before = snapshotDirectory(damaged);
      expectNamed(await openError(damaged, SEGMENT_SIZE_BYTES, true));
      expect(snapshotDirectory(damaged)).toEqual(before);
    });

    // On worker threads the segments are checked in parallel: the verdicts are taken in chain order.
    test.each(['main-thread', 'workers'] as const)(`${damage.name}IsReportedByVerifyStore (%s)`, async (parallelism) => {
      const before = snapshotDirectory(damaged);
      expectNamed(await rejectionOf(verifyStore(damaged, { parallelism })));
      expect(snapshotDirectory(damaged)).toEqual(before);
    });
  });

  // A later header that breaks the chain is found before any segment's bytes are checked; an
  // earlier segment whose bytes are damaged must still be the break named, by both ways of verifying.
  test.each(['main-thread', 'workers'] as const)('verifyStore names a damaged segment before a later header that breaks the chain (%s)', async (parallelism) => {
    const damaged = tempDirectory();
    copyStore(storeA, damaged);
    (damages.find((damage) => damage.name === 'SwappedMiddleSegments') as Damage).apply(damaged, segmentsA, segmentsB);
    const first = Buffer.from(segmentFile(segmentsA, 1).bytes);
    const commitByte = segmentFile(segmentsA, 1).header.indexOffset - 1;
    first[commitByte] = (first[commitByte] as number) ^ 0x10;
    replaceSegment(damaged, 1, first);
    const error = (await rejectionOf(verifyStore(damaged, { parallelism }))) as CorruptionError;
    expect(error).toBeInstanceOf(CorruptionError);
    expect(error.segment).toBe(seg(1));
  });

  // The open journal is read while the segments are hashed, from the tail their headers claim: a
  // damaged segment must still be the break named, before anything wrong with the journal, and the
  // journal must be left as it was (nothing is written before every segment is known sound).
  const journalDamages: Array<[string, (journal: JournalLayout, bytes: Buffer) => void]> = [
    ['a torn tail, which an open would truncate', (journal, bytes) => bytes.fill(0xa5, journal.validEnd, journal.validEnd + 40)],
    ['the store id of another store, which an open refuses', (_journal, bytes) => void (bytes[8] = (bytes[8] as number) ^ 0xff)],
  ];
  test.each(journalDamages)('a damaged segment is named before an open journal with %s, and the journal is left as it was', async (_name, damageJournal) => {
    const damaged = tempDirectory();
    copyStore(storeA, damaged);
    (damages.find((damage) => damage.name === 'DuplicatedMiddleSegmentWithAForgedHeader') as Damage).apply(damaged, segmentsA, segmentsB);
    const journalPath = new StoreLayout(damaged).journalPath(5);
    const journal = readJournalLayout(journalPath);
    expect(journal.frames.length).toBeGreaterThanOrEqual(1);
    const bytes = Buffer.from(journal.bytes);
    damageJournal(journal, bytes);
    writeFileSync(journalPath, bytes);
    const before = snapshotDirectory(damaged);
    for (const readOnly of [false, true]) {
      const error = (await openError(damaged, SEGMENT_SIZE_BYTES, readOnly)) as CorruptionError;
      expect(error).toBeInstanceOf(CorruptionError);
      expect({ readOnly, segment: error.segment, reason: error.reason }).toEqual({ readOnly, segment: seg(3), reason: 'chain hash does not link this segment to the previous one' });
      expect(snapshotDirectory(damaged)).toEqual(before);
    }
  });

  test('an undamaged copy of the fixture opens, so the damage is what each refusal is about', async () => {
    const copy = tempDirectory();
    copyStore(storeA, copy);
    expect(await openError(copy, SEGMENT_SIZE_BYTES)).toBeUndefined();
    expect(readFileSync(join(copy, seg(2))).equals(segmentFile(segmentsA, 2).bytes)).toBe(true);
  });
});
