import { nodeHashes } from '../chain/hash-functions';
import { CorruptionError } from '../errors/corruption.error';
import { FormatError } from '../errors/format.error';
import { decodeJournalHeader, JournalHeader } from '../format';
import { FileSystem } from './file-system';
import { JournalCommit, scanJournal } from './journal-scan';
import { StoreLayout } from './store-layout';

/** What must precede a journal: the chain tail it continues. */
export interface ChainTail {
  nextPosition: number;
  lastCommitHash: Buffer;
  lastRecordedAtMs: number;
}

export interface ReadJournal {
  path: string;
  name: string;
  header: JournalHeader;
  commits: JournalCommit[];
  /** Commit blocks, views into the file's bytes. */
  blocks: Buffer[];
  validEnd: number;
  tornBytes: number;
  tail: ChainTail;
}

/**
 * Reads and checks one journal as a continuation of `previous`: a whole header of this store and
 * segment, frames valid up to a torn tail at most, each commit's parent hash naming the one before.
 */
export async function readJournal(
  fileSystem: FileSystem,
  layout: StoreLayout,
  segmentNumber: number,
  storeId: Buffer | undefined,
  previous: ChainTail,
): Promise<ReadJournal> {
  const path = layout.journalPath(segmentNumber);
  const name = StoreLayout.journalName(segmentNumber);
  const bytes = await fileSystem.readFile(path);
  const header = decodeJournalHeader(bytes);
  if (header instanceof FormatError) throw new CorruptionError(name, header.offset, header.reason);
  if (storeId !== undefined && !header.storeId.equals(storeId)) throw new CorruptionError(name, 8, 'journal belongs to another store');
  if (header.segmentNumber !== segmentNumber) throw new CorruptionError(name, 24, `journal header names segment ${header.segmentNumber}`);
  if (header.firstPosition !== previous.nextPosition) {
    throw new CorruptionError(name, 40, `journal starts at position ${header.firstPosition} where ${previous.nextPosition} follows`);
  }
  const scan = scanJournal(bytes, header);
  if (scan.kind === 'corrupt') throw new CorruptionError(name, scan.offset, scan.reason);
  const blocks = scan.commits.map((commit) => bytes.subarray(commit.offset, commit.offset + commit.length));
  const tail = checkCommitLinks(name, scan.commits, blocks, previous);
  return { path, name, header, commits: scan.commits, blocks, validEnd: scan.validEnd, tornBytes: scan.tornBytes, tail };
}

/** Checks each commit names the one before as its parent and does not go back in time; returns the new tail. */
export function checkCommitLinks(name: string, commits: readonly JournalCommit[], blocks: readonly Buffer[], previous: ChainTail): ChainTail {
  let { lastCommitHash, lastRecordedAtMs } = previous;
  blocks.forEach((block, i) => {
    const offset = commits[i]?.offset ?? 0;
    if (!block.subarray(32, 64).equals(lastCommitHash)) {
      throw new CorruptionError(name, offset + 32, 'parent hash is not the hash of the previous commit');
    }
    const recordedAtMs = commits[i]?.recordedAtMs ?? 0;
    if (recordedAtMs < lastRecordedAtMs) throw new CorruptionError(name, offset + 24, 'recordedAt goes back in time');
    lastCommitHash = nodeHashes.sha256([block]);
    lastRecordedAtMs = recordedAtMs;
  });
  const last = commits[commits.length - 1];
  const nextPosition = last === undefined ? previous.nextPosition : last.firstPosition + last.eventCount;
  return { nextPosition, lastCommitHash, lastRecordedAtMs };
}
