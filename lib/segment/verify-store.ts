import { genesisHash } from '../chain/genesis';
import { validateSegment } from '../chain/validate-segment';
import { verifySegmentContents } from '../chain/verify-segment-contents';
import { CorruptionError } from '../errors/corruption.error';
import { FileSystem, NodeFileSystem } from './file-system';
import { ChainTail, readJournal } from './journal-reader';
import { checkContiguous, findStoreId, listNumbered } from './recovery';
import { ChainHead } from './segment-log';
import { StoreLayout } from './store-layout';

export interface VerifyProgress {
  segmentsDone: number;
  segmentsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface VerifyReport {
  storeId: string;
  segments: number;
  journals: number;
  events: number;
  bytes: number;
  /** Bytes of a torn journal tail found (and left alone: verification writes nothing). */
  tornBytes: number;
  head: ChainHead;
}

export interface VerifyOptions {
  onProgress?: (progress: VerifyProgress) => void;
  fileSystem?: FileSystem;
}

/**
 * Re-validates the whole chain from genesis, writing nothing and taking no lock: every segment as a
 * link (chain hash, end marker) and in depth (commit parent hashes, index, counts, Merkle root),
 * then the journals. Throws the first break as a CorruptionError: which file, which offset, which check.
 */
export async function verifyStore(directory: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const fileSystem = options.fileSystem ?? new NodeFileSystem();
  const layout = new StoreLayout(directory);
  const segmentNumbers = await listNumbered(fileSystem, layout.segmentsDirectory, 'edb');
  const journalNumbers = (await listNumbered(fileSystem, layout.journalDirectory, 'wal')).filter((n) => n > segmentNumbers.length);
  checkContiguous(segmentNumbers, 1, StoreLayout.segmentName);
  checkContiguous(journalNumbers, segmentNumbers.length + 1, StoreLayout.journalName);
  const storeId = await findStoreId(fileSystem, layout, segmentNumbers, journalNumbers);
  if (storeId === undefined) throw new CorruptionError('.', 0, `no store in ${directory}: no segment and no journal`);
  const sizes = await Promise.all(segmentNumbers.map((n) => fileSystem.sizeOf(layout.segmentPath(n))));
  const progress: VerifyProgress = { segmentsDone: 0, segmentsTotal: segmentNumbers.length, bytesDone: 0, bytesTotal: sizes.reduce((a, b) => a + b, 0) };
  const genesis = genesisHash(storeId);
  let previousEndMarker = genesis;
  let tail: ChainTail = { nextPosition: 0, lastCommitHash: genesis, lastRecordedAtMs: 0 };
  let segment = 0;
  for (const segmentNumber of segmentNumbers) {
    const bytes = await fileSystem.readFile(layout.segmentPath(segmentNumber));
    const expect = { name: StoreLayout.segmentName(segmentNumber), storeId, segmentNumber, firstPosition: tail.nextPosition, previousEndMarker, previousCommitHash: tail.lastCommitHash, previousRecordedAtMs: tail.lastRecordedAtMs };
    const valid = validateSegment(bytes, expect);
    if (valid instanceof CorruptionError) throw valid;
    const deep = verifySegmentContents(bytes, valid, expect);
    if (deep) throw deep;
    previousEndMarker = valid.endMarker;
    tail = { nextPosition: valid.header.firstPosition + valid.header.eventCount, lastCommitHash: valid.header.lastCommitHash, lastRecordedAtMs: valid.header.lastRecordedAtMs };
    segment = segmentNumber;
    progress.segmentsDone++;
    progress.bytesDone += bytes.length;
    options.onProgress?.({ ...progress });
  }
  let tornBytes = 0;
  let bytes = progress.bytesTotal;
  for (const journalNumber of journalNumbers) {
    const journal = await readJournal(fileSystem, layout, journalNumber, storeId, tail);
    tornBytes += journal.tornBytes;
    bytes += journal.validEnd;
    if (journal.commits.length > 0) segment = journalNumber;
    tail = journal.tail;
  }
  return {
    storeId: storeId.toString('hex'),
    segments: segmentNumbers.length,
    journals: journalNumbers.length,
    events: tail.nextPosition,
    bytes,
    tornBytes,
    head: { position: tail.nextPosition - 1, segment, hash: tail.lastCommitHash.toString('hex') },
  };
}
