import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('hashes files that the workers read themselves as node:crypto does, up to the end given', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'hash-workers-'));
    const workers = HashWorkers.start(2);
    const sliceBytes = 64 * 1024;
    const previousEndMarker = randomBytes(32);
    const chainFrom = 320;
    try {
      const files = Array.from({ length: 5 }, (_, i) => {
        const bytes = randomBytes(sliceBytes * (3 - (i % 3)) + 777 * i + 40);
        const path = join(directory, `file-${i}`);
        writeFileSync(path, bytes);
        return { path, bytes, end: bytes.length - 32 };
      });
      const digests = await Promise.all(files.map((file) => workers.hashFile(file.path, file.end, chainFrom, previousEndMarker, sliceBytes)));
      digests.forEach((digest, i) => {
        const { bytes, end } = files[i] as (typeof files)[number];
        expect({ i, endMarker: digest.endMarker }).toEqual({ i, endMarker: createHash('sha256').update(bytes.subarray(0, end)).digest() });
        expect(digest.chainHash).toEqual(createHash('sha512').update(previousEndMarker).update(bytes.subarray(chainFrom, end)).digest());
      });
    } finally {
      await workers.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('rejects with the error code of a file it cannot read, and goes on hashing others', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'hash-workers-'));
    const workers = HashWorkers.start(1);
    try {
      const missing = await workers.hashFile(join(directory, 'missing'), 100, 0, randomBytes(32), 4096).catch((error: unknown) => error);
      expect(missing).toMatchObject({ code: 'ENOENT' });
      const path = join(directory, 'present');
      writeFileSync(path, Buffer.alloc(100, 7));
      const digest = await workers.hashFile(path, 100, 0, Buffer.alloc(32), 4096);
      expect(digest.endMarker).toEqual(createHash('sha256').update(Buffer.alloc(100, 7)).digest());
    } finally {
      await workers.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
