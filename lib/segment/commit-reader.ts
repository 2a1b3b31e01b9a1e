import { FileSystem } from './file-system';
import { readJournalBlocks } from './journal-reader';
import { checkContiguous, findStoreId, listNumbered } from './recovery';
import { genesisHash } from '../chain/genesis';
import { StoreLayout } from './store-layout';
import { decodeIndexBlock } from '../format';
import { FormatError } from '../errors/format.error';
import { CorruptionError } from '../errors/corruption.error';
import { decodeSegmentHeader } from '../format';

/**
 * Every commit block of a store directory in position order, sealed segments first, then journals
 * up to their last valid frame. Reads files as they are, takes no lock and checks structure only:
 * chain validation is recovery's and verifyStore's job.
 */
export async function* readCommitBlocks(fileSystem: FileSystem, directory: string): AsyncGenerator<Buffer> {
  const layout = new StoreLayout(directory);
  const segmentNumbers = await listNumbered(fileSystem, layout.segmentsDirectory, 'edb');
  checkContiguous(segmentNumbers, 1, StoreLayout.segmentName);
  const journalNumbers = (await listNumbered(fileSystem, layout.journalDirectory, 'wal')).filter((n) => n > segmentNumbers.length);
  const storeId = await findStoreId(fileSystem, layout, segmentNumbers, journalNumbers);
  if (storeId === undefined) return;
  let nextPosition = 0;
  let lastCommitHash = genesisHash(storeId);
  let lastRecordedAtMs = 0;
  for (const segmentNumber of segmentNumbers) {
    const bytes = await fileSystem.readFile(layout.segmentPath(segmentNumber));
    const name = StoreLayout.segmentName(segmentNumber);
    const header = decodeSegmentHeader(bytes);
    if (header instanceof FormatError) throw new CorruptionError(name, header.offset, header.reason);
    const index = decodeIndexBlock(bytes.subarray(header.indexOffset, bytes.length - 32));
    if (index instanceof FormatError) throw new CorruptionError(name, header.indexOffset + index.offset, index.reason);
    const ends = [...index.commitOffsets.slice(1), header.indexOffset];
    for (let i = 0; i < index.commitOffsets.length; i++) {
      yield bytes.subarray(index.commitOffsets[i], ends[i]);
    }
    nextPosition = header.firstPosition + header.eventCount;
    lastCommitHash = header.lastCommitHash;
    lastRecordedAtMs = header.lastRecordedAtMs;
  }
  for (const journalNumber of journalNumbers) {
    const journal = await readJournalBlocks(fileSystem, layout, journalNumber, storeId, { nextPosition, lastCommitHash, lastRecordedAtMs });
    yield* journal.blocks;
    ({ nextPosition, lastCommitHash, lastRecordedAtMs } = journal.tail);
  }
}
