import { join } from 'node:path';
import { validateSegment } from '../../lib/chain';
import { CorruptionError } from '../../lib/errors';
import { BODY_OFFSET, CHAIN_HASH_OFFSET, END_MARKER_BYTES, SEGMENT_HEADER_BYTES } from '../../lib/format';
import { verifyStore } from '../../lib/segment';
import { buildStore, copyStore, makeWritable, openError, readSealedSegments, rejectionOf, sampleBits, SealedSegmentFile, snapshotDirectory, withBitFlipped, writeByteAt } from '../support/corruption-store';
import { seededRandom } from '../support/seeded-random';
import { useTempDirectories } from '../support/temp-directory';

/**
 * DESIGN §3 rule 7: damage inside a sealed segment is always corruption. Every byte of a sealed file
 * is covered by its end marker (and the header by its own checksum), so every single-bit flip must
 * be refused, and named: the file, and an offset inside the structure that was hit.
 *
 * The store: segments of ~1 KiB (segmentSizeBytes 600), three sealed and an open journal behind them.
 * Sampled flips come from a fixed seed, so a failure replays exactly.
 */
const SEGMENT_SIZE_BYTES = 600;
const COMMIT_SIZES = [1, 2, 1, 3, 1, 2, 1, 1, 2];
const SEED = 0x5eed_b17f;

type Region = 'header' | 'chain hash' | 'commits' | 'index block' | 'end marker';

function regionOf(segment: SealedSegmentFile, byte: number): Region {
  if (byte < SEGMENT_HEADER_BYTES) return 'header';
  if (byte < BODY_OFFSET) return 'chain hash';
  if (byte < segment.header.indexOffset) return 'commits';
  if (byte < segment.bytes.length - END_MARKER_BYTES) return 'index block';
  return 'end marker';
}

/** Byte ranges of the regions, for sampling flips in each. */
function regionRanges(segment: SealedSegmentFile): Record<Region, [number, number]> {
  const endMarkerOffset = segment.bytes.length - END_MARKER_BYTES;
  return {
    header: [0, SEGMENT_HEADER_BYTES],
    'chain hash': [CHAIN_HASH_OFFSET, BODY_OFFSET],
    commits: [BODY_OFFSET, segment.header.indexOffset],
    'index block': [segment.header.indexOffset, endMarkerOffset],
    'end marker': [endMarkerOffset, segment.bytes.length],
  };
}

/**
 * Where the error may point for a flip at `byte`: inside the header for the header; at the chain
 * hash for the chain hash; inside the very commit block that was hit; in the index block, or at the
 * chain hash when the altered index still decodes (then only the hashes tell, and they cannot say
 * which of the two moved), or at its end when a count now runs past it; at the end marker for the
 * end marker.
 */
function offsetFits(segment: SealedSegmentFile, commitStarts: number[], byte: number, offset: number): boolean {
  const endMarkerOffset = segment.bytes.length - END_MARKER_BYTES;
  switch (regionOf(segment, byte)) {
    case 'header':
      return offset < SEGMENT_HEADER_BYTES;
    case 'chain hash':
      return offset === CHAIN_HASH_OFFSET;
    case 'commits': {
      const start = commitStarts.filter((commitStart) => commitStart <= byte).pop() as number;
      const end = commitStarts.find((commitStart) => commitStart > byte) ?? segment.header.indexOffset;
      return offset >= start && offset < end;
    }
    case 'index block':
      return offset === CHAIN_HASH_OFFSET || (offset >= segment.header.indexOffset && offset <= endMarkerOffset);
    case 'end marker':
      return offset === endMarkerOffset;
  }
}

function commitStartsOf(segment: SealedSegmentFile): number[] {
  const valid = validateSegment(segment.bytes, segment.expectation);
  if (valid instanceof CorruptionError) throw valid;
  return [...valid.index.commitOffsets];
}

/** Stratified, seeded sample of bit indexes: `perRegion[region]` from each region (all of a small one). */
function sampleFlips(segment: SealedSegmentFile, seed: number, perRegion: Record<Region, number>): number[] {
  const random = seededRandom(seed);
  const ranges = regionRanges(segment);
  return (Object.keys(ranges) as Region[]).flatMap((region) => sampleBits(random, ranges[region][0], ranges[region][1], perRegion[region]));
}

function describeError(error: unknown): string {
  return error instanceof CorruptionError ? `CorruptionError(${error.segment} @${error.offset}: ${error.reason})` : String(error);
}

/**
 * Flips one bit of the segment file, runs `check` (an open or a verification), puts the bit back,
 * and compares what it reported with what validating that one file reports: the same file, offset
 * and check. Returns a description of the mismatch, or undefined when they agree.
 */
async function flipAndCompare(path: string, segment: SealedSegmentFile, bit: number, check: () => Promise<unknown>): Promise<string | undefined> {
  const byte = bit >> 3;
  const original = segment.bytes[byte] as number;
  writeByteAt(path, byte, original ^ (1 << (bit & 7)));
  const error = await check();
  writeByteAt(path, byte, original);
  const expected = validateSegment(withBitFlipped(segment.bytes, bit), segment.expectation);
  const same =
    error instanceof CorruptionError &&
    expected instanceof CorruptionError &&
    error.segment === segment.name &&
    error.offset === expected.offset &&
    error.reason === expected.reason;
  return same ? undefined : `${segment.name} bit ${bit} (${regionOf(segment, byte)}): ${describeError(error)}`;
}

describe('a single-bit flip in a sealed segment', () => {
  const tempDirectory = useTempDirectories();
  let pristine: string;
  let segments: SealedSegmentFile[];

  beforeAll(async () => {
    pristine = tempDirectory();
    await buildStore(pristine, SEGMENT_SIZE_BYTES, COMMIT_SIZES);
    segments = readSealedSegments(pristine);
  });

  test('the fixture has three small sealed segments, and its pristine copy opens', async () => {
    expect(segments.map((segment) => segment.name)).toEqual(['segments/00000001.edb', 'segments/00000002.edb', 'segments/00000003.edb']);
    for (const segment of segments) expect(segment.bytes.length).toBeLessThan(1500);
    expect(await openError(pristine, SEGMENT_SIZE_BYTES)).toBeUndefined();
  });

  test('EveryBitFlipOfASealedSegmentFailsValidationAtTheDamagedStructure', () => {
    // Every bit of every sealed segment: the first (linked to genesis), a middle one and the last.
    const misses: string[] = [];
    let flips = 0;
    for (const segment of segments) {
      const commitStarts = commitStartsOf(segment);
      for (let bit = 0; bit < segment.bytes.length * 8; bit++) {
        flips++;
        const result = validateSegment(withBitFlipped(segment.bytes, bit), segment.expectation);
        const byte = bit >> 3;
        const named = result instanceof CorruptionError && result.segment === segment.name;
        if (!named || !offsetFits(segment, commitStarts, byte, result.offset)) {
          misses.push(`${segment.name} bit ${bit} (${regionOf(segment, byte)}): ${describeError(result)}`);
        }
      }
    }
    expect(flips).toBeGreaterThan(20_000);
    expect(misses.slice(0, 20)).toEqual([]);
  });

  test('BitFlipsInASealedSegmentAreRefusedAtOpenNamingThatSegment', async () => {
    const directory = tempDirectory();
    copyStore(pristine, directory);
    const plan: Array<{ segment: SealedSegmentFile; bits: number[] }> = [
      // The middle segment, in depth: 2,000+ flips over every region.
      { segment: segments[1] as SealedSegmentFile, bits: sampleFlips(segments[1] as SealedSegmentFile, SEED, { header: 600, 'chain hash': 300, commits: 600, 'index block': 400, 'end marker': 256 }) },
      // The first segment also gives the store its id at open; the last is what the journal continues.
      { segment: segments[0] as SealedSegmentFile, bits: sampleFlips(segments[0] as SealedSegmentFile, SEED + 1, { header: 80, 'chain hash': 20, commits: 60, 'index block': 30, 'end marker': 20 }) },
      { segment: segments[2] as SealedSegmentFile, bits: sampleFlips(segments[2] as SealedSegmentFile, SEED + 2, { header: 80, 'chain hash': 20, commits: 60, 'index block': 30, 'end marker': 20 }) },
    ];
    const misses: string[] = [];
    const regionsHit = new Set<Region>();
    let flips = 0;
    for (const { segment, bits } of plan) {
      const path = join(directory, segment.name);
      makeWritable(path);
      for (const bit of bits) {
        const miss = await flipAndCompare(path, segment, bit, () => openError(directory, SEGMENT_SIZE_BYTES));
        flips++;
        if (miss === undefined) regionsHit.add(regionOf(segment, bit >> 3));
        else misses.push(miss);
      }
    }
    expect(flips).toBeGreaterThanOrEqual(2_000 + 2 * 210);
    expect(misses.slice(0, 20)).toEqual([]);
    expect([...regionsHit].sort()).toEqual(['chain hash', 'commits', 'end marker', 'header', 'index block']);
    // Every flip was put back: the copy is the pristine store again, and opens.
    expect(await openError(directory, SEGMENT_SIZE_BYTES)).toBeUndefined();
  });

  // On worker threads every verifyStore call starts its threads: fewer flips, the same regions.
  test.each([
    { parallelism: 'main-thread' as const, seed: SEED + 10, perRegion: { header: 30, 'chain hash': 15, commits: 30, 'index block': 20, 'end marker': 15 } },
    { parallelism: 'workers' as const, seed: SEED + 20, perRegion: { header: 3, 'chain hash': 2, commits: 3, 'index block': 2, 'end marker': 2 } },
  ])('BitFlipsInASealedSegmentAreReportedByVerifyStoreAsAtOpen ($parallelism)', async ({ parallelism, seed, perRegion }) => {
    const directory = tempDirectory();
    copyStore(pristine, directory);
    const misses: string[] = [];
    let flips = 0;
    for (const [i, segment] of segments.entries()) {
      const path = join(directory, segment.name);
      makeWritable(path);
      for (const bit of sampleFlips(segment, seed + i, perRegion)) {
        const miss = await flipAndCompare(path, segment, bit, () => rejectionOf(verifyStore(directory, { parallelism })));
        flips++;
        if (miss !== undefined) misses.push(miss);
      }
    }
    expect(flips).toBe(3 * Object.values(perRegion).reduce((sum, count) => sum + count, 0));
    expect(misses.slice(0, 20)).toEqual([]);
  });

  test('ReadOnlyOpenOfAFlippedSegmentRefusesAndWritesNothing', async () => {
    const directory = tempDirectory();
    copyStore(pristine, directory);
    const segment = segments[1] as SealedSegmentFile;
    const path = join(directory, segment.name);
    makeWritable(path);
    const misses: string[] = [];
    for (const bit of sampleFlips(segment, SEED + 20, { header: 40, 'chain hash': 20, commits: 40, 'index block': 30, 'end marker': 20 })) {
      const byte = bit >> 3;
      const original = segment.bytes[byte] as number;
      writeByteAt(path, byte, original ^ (1 << (bit & 7)));
      const before = snapshotDirectory(directory);
      const error = await openError(directory, SEGMENT_SIZE_BYTES, true);
      const after = snapshotDirectory(directory);
      writeByteAt(path, byte, original);
      if (!(error instanceof CorruptionError && error.segment === segment.name)) misses.push(`bit ${bit}: ${describeError(error)}`);
      if (after.join('\n') !== before.join('\n')) misses.push(`bit ${bit}: the read-only open changed the directory`);
    }
    expect(misses).toEqual([]);
  });
});
