import { chmodSync, closeSync, cpSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { genesisHash, nodeHashes, SegmentExpectation, validateSegment } from '../../lib/chain';
import { CorruptionError } from '../../lib/errors';
import {
  decodeJournalFrame,
  decodeJournalHeader,
  decodeSegmentHeader,
  encodeSegmentHeader,
  END_MARKER_BYTES,
  JOURNAL_HEADER_BYTES,
  JournalHeader,
  SegmentHeader,
} from '../../lib/format';
import {
  ChainHead,
  ChainstoreLogger,
  CommitEvent,
  NodeFileSystem,
  readCommitBlocks,
  SegmentLog,
  silentLogger,
  StoreLayout,
} from '../../lib/segment';
import { commitEvent } from './events';
import { seededRandom } from './seeded-random';

/** Options of the engine for corruption tests: no fsync (the damage is made by hand), no log noise. */
export function engineOptions(directory: string, segmentSizeBytes: number, readOnly = false, logger: ChainstoreLogger = silentLogger) {
  return { directory, segmentSizeBytes, durability: 'none' as const, readOnly, logger };
}

export interface BuiltStore {
  /** Events in the store after the appends. */
  events: number;
  /** Commits appended by this call, each its own journal frame. */
  commits: number;
  head: ChainHead;
  /** SHA-256 of each commit block appended by this call, in order (the last is the head hash). */
  commitHashes: string[];
}

/**
 * Appends commits one at a time (each awaited, so each is its own journal frame) over a few
 * streams, then closes. Commit i holds commitSizes[i] events. Opens an existing store as it is.
 */
export async function buildStore(directory: string, segmentSizeBytes: number, commitSizes: readonly number[]): Promise<BuiltStore> {
  const log = await SegmentLog.open(engineOptions(directory, segmentSizeBytes));
  const blocks: Buffer[] = [];
  const stopListening = log.onDurable((commits) => commits.forEach((commit) => blocks.push(commit.block)));
  try {
    for (const [i, size] of commitSizes.entries()) {
      await log.appendCommit(nextEvents(`account-${i % 3}`, size)).durable;
    }
    const commitHashes = blocks.map((block) => nodeHashes.sha256([block]).toString('hex'));
    return { events: log.durableNextPosition, commits: commitSizes.length, head: log.head(), commitHashes };
  } finally {
    stopListening();
    await log.close();
  }
}

/** `count` events of `streamId`. The engine does not check versions (the store above it does). */
export function nextEvents(streamId: string, count: number): CommitEvent[] {
  return Array.from({ length: count }, (_, i) => commitEvent(streamId, i));
}

/** Copies a store directory, file modes included, replacing whatever was at `target`. */
export function copyStore(source: string, target: string): void {
  rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true });
}

/** Sealed segments are 0444: corruption tests damage them on purpose. */
export function makeWritable(path: string): void {
  chmodSync(path, 0o644);
}

/**
 * Every file under `directory`, as its mode and the SHA-256 of its bytes, to show that an operation
 * wrote nothing: compare two snapshots with toEqual (digests, because deep equality of large
 * Buffers is slow).
 */
export function snapshotDirectory(directory: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(`${relative(directory, path)}: mode ${statSync(path).mode.toString(8)}, sha256 ${nodeHashes.sha256([readFileSync(path)]).toString('hex')}`);
    }
  };
  walk(directory);
  return files.sort();
}

export interface SealedSegmentFile {
  segmentNumber: number;
  name: string;
  path: string;
  bytes: Buffer;
  header: SegmentHeader;
  /** What validateSegment must be told to accept this file as the next link. */
  expectation: SegmentExpectation;
}

/** The sealed segments of a (valid) store, each with the expectation the chain before it gives. */
export function readSealedSegments(directory: string): SealedSegmentFile[] {
  const layout = new StoreLayout(directory);
  const names = readdirSync(layout.segmentsDirectory).filter((name) => name.endsWith('.edb')).sort();
  const segments: SealedSegmentFile[] = [];
  let storeId: Buffer | undefined;
  let previous: { endMarker: Buffer; header: SegmentHeader } | undefined;
  for (const [i] of names.entries()) {
    const segmentNumber = i + 1;
    const path = layout.segmentPath(segmentNumber);
    const bytes = readFileSync(path);
    const header = decodeSegmentHeader(bytes);
    if (header instanceof Error) throw header;
    storeId ??= header.storeId;
    const genesis = genesisHash(storeId);
    const expectation: SegmentExpectation = {
      name: StoreLayout.segmentName(segmentNumber),
      storeId,
      segmentNumber,
      firstPosition: previous ? previous.header.firstPosition + previous.header.eventCount : 0,
      previousEndMarker: previous?.endMarker ?? genesis,
      previousCommitHash: previous?.header.lastCommitHash ?? genesis,
      previousRecordedAtMs: previous?.header.lastRecordedAtMs ?? 0,
    };
    const valid = validateSegment(bytes, expectation);
    if (valid instanceof CorruptionError) throw valid;
    segments.push({ segmentNumber, name: expectation.name, path, bytes, header, expectation });
    previous = { endMarker: valid.endMarker, header };
  }
  return segments;
}


/** `count` distinct bit indexes drawn from bits [startByte * 8, endByte * 8); all of them when fewer. */
export function sampleBits(random: () => number, startByte: number, endByte: number, count: number): number[] {
  const bits = Array.from({ length: (endByte - startByte) * 8 }, (_, i) => startByte * 8 + i);
  for (let i = bits.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [bits[i], bits[j]] = [bits[j] as number, bits[i] as number];
  }
  return bits.slice(0, count).sort((a, b) => a - b);
}

/** A copy of `bytes` with bit `bit` (byte bit >> 3, mask 1 << (bit & 7)) inverted. */
export function withBitFlipped(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

/** Awaits `promise` and returns what it rejected with, or undefined when it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

/**
 * What SegmentLog.open does with `directory`: the error it rejects with, or undefined when it opened
 * (the log is closed again at once, so a wrongly accepted store does not keep the lock).
 */
export async function openError(directory: string, segmentSizeBytes: number, readOnly = false): Promise<unknown> {
  let log: SegmentLog;
  try {
    log = await SegmentLog.open(engineOptions(directory, segmentSizeBytes, readOnly));
  } catch (error) {
    return error;
  }
  await log.close();
  return undefined;
}

/** Overwrites one byte of a file in place (the file must be writable). */
export function writeByteAt(path: string, offset: number, value: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.of(value), 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 (hex) of every commit block of the store, in position order, read as the files are. */
export async function readCommitHashes(directory: string): Promise<string[]> {
  const hashes: string[] = [];
  for await (const block of readCommitBlocks(new NodeFileSystem(), directory)) hashes.push(nodeHashes.sha256([block]).toString('hex'));
  return hashes;
}

/** A logger that keeps what it was told, to check what recovery reported. */
export function recordingLogger(): ChainstoreLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, log: () => {}, warn: (message) => warnings.push(message), error: () => {} };
}

/**
 * A forger's edit of a sealed segment: the header changed as `patch` says, with its checksum and
 * the end marker recomputed, so that only the chain hash (or a check above it) can tell.
 */
export function withRewrittenHeader(bytes: Buffer, patch: Partial<SegmentHeader>): Buffer {
  const header = decodeSegmentHeader(bytes);
  if (header instanceof Error) throw header;
  const copy = Buffer.from(bytes);
  encodeSegmentHeader({ ...header, ...patch }).copy(copy, 0);
  const endMarkerOffset = copy.length - END_MARKER_BYTES;
  nodeHashes.sha256([copy.subarray(0, endMarkerOffset)]).copy(copy, endMarkerOffset);
  return copy;
}

export interface JournalLayout {
  bytes: Buffer;
  header: JournalHeader;
  /** The valid frames, in order. */
  frames: Array<{ offset: number; length: number }>;
  /** Just past the last valid frame; zeros (preallocated space) follow. */
  validEnd: number;
}

/** Where the frames of a valid journal file are. */
export function readJournalLayout(path: string): JournalLayout {
  const bytes = readFileSync(path);
  const header = decodeJournalHeader(bytes);
  if (header instanceof Error) throw header;
  const frames: JournalLayout['frames'] = [];
  let offset = JOURNAL_HEADER_BYTES;
  for (;;) {
    const frame = decodeJournalFrame(bytes, offset, header.salt);
    if (frame instanceof Error) break;
    frames.push({ offset, length: frame.frameLength });
    offset += frame.frameLength;
  }
  return { bytes, header, frames, validEnd: offset };
}
