import { randomBytes } from 'node:crypto';
import { genesisHash } from '../chain/genesis';
import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import { ValidSegment } from '../chain/validate-segment';
import { decodeSegmentHeader, parseNumberedFileName, SEGMENT_HEADER_BYTES, SegmentHeader, SegmentIndex, STORE_ID_BYTES } from '../format';
import { FileSystem, readFully } from './file-system';
import { ChainTail, readJournal, ReadJournal } from './journal-reader';
import { ChainstoreLogger } from './logger';
import { ignoreMissing } from './sealer';
import { SegmentFile, startSegmentCheck } from './segment-file-check';
import { StoreLayout } from './store-layout';

export interface SealedSegment {
  segmentNumber: number;
  name: string;
  path: string;
  header: SegmentHeader;
  index: SegmentIndex;
  endMarker: Buffer;
}

export interface RecoveredStore {
  storeId: Buffer;
  /** True when the directory held no store: nothing on disk yet. */
  isNew: boolean;
  segments: SealedSegment[];
  /** Journals not yet sealed, in order; the last is the open segment. */
  journals: ReadJournal[];
  /** End marker of the last sealed segment, or the genesis hash. */
  lastEndMarker: Buffer;
  tail: ChainTail;
}

export interface RecoveryOptions {
  readOnly: boolean;
  logger: ChainstoreLogger;
}

/**
 * Recovery on open (DESIGN §3 rule 6): remove *.tmp; sealed segments must be contiguous and each a
 * valid link of the chain; a journal whose segment is sealed is retired; journals that follow must
 * continue the chain, and a torn journal tail (never acknowledged) is truncated and logged. Anything
 * else stops the open with a CorruptionError that names the file and the offset. Read-only recovery
 * changes nothing on disk.
 */
export async function recoverStore(fileSystem: FileSystem, layout: StoreLayout, options: RecoveryOptions): Promise<RecoveredStore> {
  if (!options.readOnly) {
    await fileSystem.mkdir(layout.segmentsDirectory);
    await fileSystem.mkdir(layout.journalDirectory);
    await removeTemporaryFiles(fileSystem, layout);
  }
  const segmentNumbers = await listNumbered(fileSystem, layout.segmentsDirectory, 'edb');
  const journalNumbers = await listNumbered(fileSystem, layout.journalDirectory, 'wal');
  checkContiguous(segmentNumbers, 1, StoreLayout.segmentName);
  const storeId = await findStoreId(fileSystem, layout, segmentNumbers, journalNumbers);
  const isNew = storeId === undefined;
  const id = storeId ?? randomBytes(STORE_ID_BYTES);
  const segmentCheck = await startSegmentCheck(fileSystem, segmentFiles(layout, segmentNumbers), id);
  const sealedThrough = segmentNumbers.length;
  const open = journalNumbers.filter((n) => n > sealedThrough);
  // The open journals are read while the segments are hashed (on worker threads), from the tail the
  // headers claim; what they hold is reported only once the segments are known sound, so the first
  // break named is still the first in the chain. Nothing is written until both are checked.
  const journalsRead = readJournals(fileSystem, layout, open, sealedThrough + 1, id, tailAfter(segmentCheck.lastHeader, id));
  journalsRead.catch(() => undefined); // awaited below, after the segments' verdict
  const valid = await segmentCheck.valid.catch(async (error: unknown) => {
    await journalsRead.catch(() => undefined); // its files closed before the open fails
    throw error;
  });
  const { segments, lastEndMarker, tail } = sealedSegments(segmentFiles(layout, segmentNumbers), valid, id);
  const retired = journalNumbers.filter((n) => n <= sealedThrough);
  if (!options.readOnly) await retireJournals(fileSystem, layout, retired);
  const journals = await journalsRead;
  if (!options.readOnly) for (const journal of journals) if (journal.tornBytes > 0) await truncateTornTail(fileSystem, journal, options.logger);
  const last = journals[journals.length - 1];
  return { storeId: id, isNew, segments, journals, lastEndMarker, tail: last?.tail ?? tail };
}

async function removeTemporaryFiles(fileSystem: FileSystem, layout: StoreLayout): Promise<void> {
  for (const directory of [layout.segmentsDirectory, layout.journalDirectory]) {
    const names = (await fileSystem.readdir(directory)).filter((name) => name.endsWith('.tmp'));
    for (const name of names) await fileSystem.unlink(`${directory}/${name}`).catch(ignoreMissing);
  }
}

export async function listNumbered(fileSystem: FileSystem, directory: string, extension: 'edb' | 'wal'): Promise<number[]> {
  let names: string[];
  try {
    names = await fileSystem.readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const numbers = names.map((name) => parseNumberedFileName(name, extension)).filter((n): n is number => n !== undefined);
  return numbers.sort((a, b) => a - b);
}

export function checkContiguous(numbers: number[], first: number, nameOf: (n: number) => string): void {
  numbers.forEach((number, i) => {
    const expected = first + i;
    if (number !== expected) throw new CorruptionError(nameOf(expected), 0, `missing: ${nameOf(number)} exists but ${nameOf(expected)} does not`);
  });
}

export async function findStoreId(
  fileSystem: FileSystem,
  layout: StoreLayout,
  segmentNumbers: number[],
  journalNumbers: number[],
): Promise<Buffer | undefined> {
  if (segmentNumbers.length > 0) {
    const fd = await fileSystem.open(layout.segmentPath(1), 'r');
    const headerBytes = await readFully(fileSystem, fd, SEGMENT_HEADER_BYTES, 0).finally(() => fileSystem.close(fd));
    const header = decodeSegmentHeader(headerBytes);
    if (header instanceof FormatError) throw new CorruptionError(StoreLayout.segmentName(1), header.offset, header.reason);
    return header.storeId;
  }
  const firstJournal = journalNumbers[0];
  if (firstJournal === undefined) return undefined;
  if (firstJournal !== 1) throw new CorruptionError(StoreLayout.segmentName(1), 0, `missing: the first journal is ${StoreLayout.journalName(firstJournal)}`);
  // The store id is bytes [8, 24) of the journal header: the rest of the file is not read.
  const fd = await fileSystem.open(layout.journalPath(1), 'r');
  const bytes = await readFully(fileSystem, fd, 24, 0).finally(() => fileSystem.close(fd));
  return bytes.length >= 24 ? Buffer.from(bytes.subarray(8, 24)) : undefined;
}

function segmentFile(layout: StoreLayout, segmentNumber: number): SegmentFile {
  return { segmentNumber, name: StoreLayout.segmentName(segmentNumber), path: layout.segmentPath(segmentNumber) };
}

function segmentFiles(layout: StoreLayout, segmentNumbers: number[]): SegmentFile[] {
  return segmentNumbers.map((n) => segmentFile(layout, n));
}

/** The chain tail after the segment with this header (none: genesis): where the first journal must go on. */
export function tailAfter(header: SegmentHeader | undefined, storeId: Buffer): ChainTail {
  if (!header) return { nextPosition: 0, lastCommitHash: genesisHash(storeId), lastRecordedAtMs: 0 };
  return { nextPosition: header.firstPosition + header.eventCount, lastCommitHash: header.lastCommitHash, lastRecordedAtMs: header.lastRecordedAtMs };
}

function sealedSegments(files: SegmentFile[], valid: ValidSegment[], storeId: Buffer): { segments: SealedSegment[]; lastEndMarker: Buffer; tail: ChainTail } {
  const segments = valid.map((segment, i) => ({ ...(files[i] as SegmentFile), ...segment }));
  const last = segments[segments.length - 1];
  return { segments, lastEndMarker: last?.endMarker ?? genesisHash(storeId), tail: tailAfter(last?.header, storeId) };
}

async function retireJournals(fileSystem: FileSystem, layout: StoreLayout, numbers: number[]): Promise<void> {
  if (numbers.length === 0) return;
  for (const number of numbers) await fileSystem.unlink(layout.journalPath(number)).catch(ignoreMissing);
  await fileSystem.syncDirectory(layout.journalDirectory);
}

async function readJournals(
  fileSystem: FileSystem,
  layout: StoreLayout,
  numbers: number[],
  firstNumber: number,
  storeId: Buffer,
  sealedTail: ChainTail,
): Promise<ReadJournal[]> {
  checkContiguous(numbers, firstNumber, StoreLayout.journalName);
  const journals: ReadJournal[] = [];
  let tail = sealedTail;
  for (const [i, number] of numbers.entries()) {
    const journal = await readJournal(fileSystem, layout, number, storeId, tail);
    const isLast = i === numbers.length - 1;
    if (!isLast && journal.commits.length === 0) {
      throw new CorruptionError(journal.name, 0, 'journal holds no commit, yet a later journal follows it');
    }
    journals.push(journal);
    tail = journal.tail;
  }
  return journals;
}

async function truncateTornTail(fileSystem: FileSystem, journal: ReadJournal, logger: ChainstoreLogger): Promise<void> {
  const fd = await fileSystem.open(journal.path, 'r+');
  try {
    await fileSystem.ftruncate(fd, journal.validEnd);
    await fileSystem.fsync(fd);
  } finally {
    await fileSystem.close(fd);
  }
  logger.warn(`${journal.name}: truncated a torn tail of ${journal.tornBytes} bytes at offset ${journal.validEnd} (a write that was never acknowledged)`);
}
