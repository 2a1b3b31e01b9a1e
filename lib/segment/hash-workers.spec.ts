import { createHash, randomBytes } from 'node:crypto';
import { HashWorkers, SliceReader } from './hash-workers';

/** A file in memory, read as the FileSystem would: into the buffer given, from a position. */
function readerOf(bytes: Buffer): SliceReader {
  return async (buffer, position) => bytes.copy(buffer, 0, position, Math.min(bytes.length, position + buffer.length));
}

describe('HashWorkers', () => {
  it('hashes files of several slices as node:crypto does, with slice buffers passed from file to file', async () => {
    const workers = HashWorkers.start(2);
    const sliceBytes = 64 * 1024;
    // Sizes that are not multiples of the slice: a buffer that carried a whole slice of one file
    // carries the short last slice of another, and only its first bytes may be hashed.
    const files = Array.from({ length: 6 }, (_, i) => randomBytes(sliceBytes * (5 - (i % 3)) + 1000 * i + 8));
    const previousEndMarker = randomBytes(32);
    const chainFrom = 320;
    try {
      for (const round of [0, 1]) {
        const digests = await Promise.all(files.map((bytes) => workers.hash(readerOf(bytes), bytes.length, chainFrom, previousEndMarker, sliceBytes)));
        digests.forEach((digest, i) => {
          const bytes = files[i] as Buffer;
          expect({ round, i, endMarker: digest.endMarker }).toEqual({ round, i, endMarker: createHash('sha256').update(bytes).digest() });
          expect(digest.chainHash).toEqual(createHash('sha512').update(previousEndMarker).update(bytes.subarray(chainFrom)).digest());
        });
      }
    } finally {
      await workers.close();
    }
  });
});
