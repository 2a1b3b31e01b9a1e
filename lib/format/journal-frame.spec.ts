import fc from 'fast-check';
import { commitEventParts } from '../../test/chain/arbitraries';
import { applyMutations, decodeOrFormatError, flipBit, FUZZ_RUNS, largestAllocationBytes, mutationsArbitrary } from '../../test/chain/mutations';
import { FormatError } from '../errors/format.error';
import { checksum, MAX_SAFE_U64 } from './bytes';
import { COMMIT_BLOCK_HEADER_BYTES, encodeCommitBlock } from './commit-block';
import { decodeJournalFrame, encodeJournalFrame, FRAME_ALIGNMENT_BYTES, FRAME_HEADER_BYTES, JournalFrame } from './journal-frame';

const salt = Buffer.from('5a5a5a5a5a5a5a5a', 'hex');

interface FrameInput {
  salt: Buffer;
  firstPosition: number;
  commits: Buffer[];
}

/** Commits back to back with dense positions, as one group commit writes them. */
function commitsFrom(firstPosition: number, eventsPerCommit: number[]): Buffer[] {
  let position = firstPosition;
  return eventsPerCommit.map((count) => {
    const events = Array.from({ length: count }, (_, i) => ({
      version: i,
      id: Buffer.alloc(16, i),
      streamId: Buffer.from(`stream-${position}`),
      type: Buffer.from('T'),
      data: Buffer.from(`{"p":${position + i}}`),
      metadata: Buffer.alloc(0),
    }));
    const block = encodeCommitBlock({ firstPosition: position, recordedAtMs: 1_700_000_000_000, parentHash: Buffer.alloc(32), events });
    position += count;
    return block;
  });
}

const frameInput: fc.Arbitrary<FrameInput> = fc
  .record({
    salt: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b)),
    firstPosition: fc.nat({ max: MAX_SAFE_U64 - 100 }),
    commits: fc.array(fc.array(commitEventParts, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
  })
  .map(({ salt, firstPosition, commits }) => {
    let position = firstPosition;
    const blocks = commits.map((events) => {
      const block = encodeCommitBlock({ firstPosition: position, recordedAtMs: 1, parentHash: Buffer.alloc(32, 1), events });
      position += events.length;
      return block;
    });
    return { salt, firstPosition, commits: blocks };
  });

function frameChecksum(frame: Buffer, length: number): number {
  return checksum(frame, 8, length, checksum(frame, 0, 4));
}

/** Re-computes every checksum the frame holds (its commits' first), so the structural checks are reached. */
function reseal(frame: Buffer): Buffer {
  if (frame.length < FRAME_HEADER_BYTES) return frame;
  for (let cursor = FRAME_HEADER_BYTES; cursor + 8 <= frame.length; ) {
    const length = frame.readUInt32LE(cursor);
    if (length < 8 || cursor + length > frame.length) break;
    frame.writeUInt32LE(checksum(frame, cursor + 8, cursor + length), cursor + 4);
    cursor += length;
  }
  const length = frame.readUInt32LE(0);
  if (length >= 8 && length <= frame.length) frame.writeUInt32LE(frameChecksum(frame, length), 4);
  return frame;
}

describe('journal frame', () => {
  it('has a 32-byte header: a frame of no commit is exactly the header', () => {
    expect(FRAME_HEADER_BYTES).toBe(32);
    expect(encodeJournalFrame(salt, 0, []).length).toBe(FRAME_HEADER_BYTES);
  });

  it('puts its fields at their documented offsets and pads with zeros to a multiple of 8', () => {
    const commits = commitsFrom(10, [1, 2]);
    const frame = encodeJournalFrame(salt, 10, commits);
    const payload = commits[0]!.length + commits[1]!.length;
    expect(frame.length % FRAME_ALIGNMENT_BYTES).toBe(0);
    expect(frame.length - (FRAME_HEADER_BYTES + payload)).toBeLessThan(FRAME_ALIGNMENT_BYTES);
    expect(frame.readUInt32LE(0)).toBe(frame.length);
    expect(frame.readUInt32LE(4)).toBe(frameChecksum(frame, frame.length));
    expect(frame.subarray(8, 16)).toEqual(salt);
    expect(frame.readBigUInt64LE(16)).toBe(10n);
    expect(frame.readUInt32LE(24)).toBe(3);
    expect(frame.readUInt32LE(28)).toBe(2);
    expect(frame.subarray(32, 32 + payload)).toEqual(Buffer.concat(commits));
    expect(frame.subarray(32 + payload)).toEqual(Buffer.alloc(frame.length - 32 - payload));
  });

  it('decodes what it encodes: where each commit is and what it covers', () => {
    fc.assert(
      fc.property(frameInput, fc.nat({ max: 3 }), ({ salt, firstPosition, commits }, before) => {
        const frame = encodeJournalFrame(salt, firstPosition, commits);
        const offset = before * FRAME_ALIGNMENT_BYTES;
        const file = Buffer.concat([Buffer.alloc(offset), frame, Buffer.alloc(64)]);
        const decoded = decodeJournalFrame(file, offset, salt) as JournalFrame;
        expect(decoded).not.toBeInstanceOf(FormatError);
        expect(decoded.frameLength).toBe(frame.length);
        expect(decoded.firstPosition).toBe(firstPosition);
        expect(decoded.eventCount).toBe(commits.reduce((sum, block) => sum + block.readUInt32LE(8), 0));
        let cursor = offset + FRAME_HEADER_BYTES;
        decoded.commits.forEach((commit, i) => {
          expect(file.subarray(commit.offset, commit.offset + commit.length)).toEqual(commits[i]);
          expect(commit.offset).toBe(cursor);
          cursor += commit.length;
        });
      }),
      FUZZ_RUNS,
    );
  });

  it('never validates a frame under another journal\'s salt', () => {
    const frame = encodeJournalFrame(salt, 0, commitsFrom(0, [1]));
    expect(decodeJournalFrame(frame, 0, Buffer.from('5a5a5a5a5a5a5a5b', 'hex'))).toMatchObject({ offset: 8, reason: 'salt of another journal' });
  });

  it('reports any single flipped bit, and any truncation', () => {
    const frame = encodeJournalFrame(salt, 0, commitsFrom(0, [1, 1]));
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const damaged = Buffer.from(frame);
      flipBit(damaged, bit);
      expect(decodeJournalFrame(damaged, 0, salt)).toBeInstanceOf(FormatError);
    }
    for (let length = 0; length < frame.length; length++) {
      expect(decodeJournalFrame(frame.subarray(0, length), 0, salt)).toBeInstanceOf(FormatError);
    }
  });

  it('reports checksum-valid frames whose commits are not dense, miscounted or leave bytes over', () => {
    const gap = encodeJournalFrame(salt, 0, [...commitsFrom(0, [1]), ...commitsFrom(2, [1])]);
    expect(decodeJournalFrame(gap, 0, salt)).toMatchObject({ reason: 'commit positions are not dense' });
    const wrongStart = encodeJournalFrame(salt, 1, commitsFrom(0, [1]));
    expect(decodeJournalFrame(wrongStart, 0, salt)).toMatchObject({ reason: 'commit positions are not dense' });
    const eventCount = encodeJournalFrame(salt, 0, commitsFrom(0, [2]));
    eventCount.writeUInt32LE(3, 24);
    expect(decodeJournalFrame(reseal(eventCount), 0, salt)).toMatchObject({ offset: 24 });
    for (const commitCount of [0, 2, 0xffff_ffff]) {
      const frame = encodeJournalFrame(salt, 0, commitsFrom(0, [1]));
      frame.writeUInt32LE(commitCount, 28);
      expect(decodeJournalFrame(reseal(frame), 0, salt)).toBeInstanceOf(FormatError);
    }
    const extra = encodeJournalFrame(salt, 0, [...commitsFrom(0, [1]), Buffer.alloc(16)]);
    extra.writeUInt32LE(1, 28);
    expect(decodeJournalFrame(reseal(extra), 0, salt)).toMatchObject({ reason: 'bytes left after the last commit' });
  });

  it('reports a commit whose own checksum fails inside a frame whose checksum holds, naming that commit', () => {
    // The frame's commits are checked in one pass (commitChecksumsHold); a failing pass must still
    // name the first commit that fails, wherever it is among the others.
    const commits = commitsFrom(0, [1, 2, 1, 1]);
    const starts = commits.map((_, i) => FRAME_HEADER_BYTES + commits.slice(0, i).reduce((sum, block) => sum + block.length, 0));
    for (const start of starts) {
      const frame = encodeJournalFrame(salt, 0, commits);
      flipBit(frame, (start + COMMIT_BLOCK_HEADER_BYTES + 20) * 8);
      frame.writeUInt32LE(frameChecksum(frame, frame.readUInt32LE(0)), 4);
      expect(decodeJournalFrame(frame, 0, salt)).toMatchObject({ offset: start + 4, reason: 'checksum mismatch' });
    }
  });

  it('reports a frame length that is not a multiple of 8 or runs past the file', () => {
    const frame = encodeJournalFrame(salt, 0, commitsFrom(0, [1]));
    const unaligned = Buffer.from(frame);
    unaligned.writeUInt32LE(frame.length - 4, 0);
    expect(decodeJournalFrame(reseal(unaligned), 0, salt)).toMatchObject({ offset: 0, reason: expect.stringContaining('out of range') });
    const long = Buffer.from(frame);
    long.writeUInt32LE(frame.length + 8, 0);
    expect(decodeJournalFrame(long, 0, salt)).toMatchObject({ offset: 0, reason: expect.stringContaining('runs past the end') });
  });

  it('returns a FormatError or a consistent frame for damaged bytes, resealed or not; never throws or over-allocates', () => {
    const fields = [0, 24, 28, 32, 40, 48, 96, 100, 102, 144, 148];
    fc.assert(
      fc.property(frameInput, mutationsArbitrary(fields), fc.boolean(), ({ salt, firstPosition, commits }, mutations, resealAfter) => {
        const damaged = applyMutations(encodeJournalFrame(salt, firstPosition, commits), mutations);
        if (resealAfter) reseal(damaged);
        let result: JournalFrame | FormatError | undefined;
        const allocated = largestAllocationBytes(() => {
          result = decodeOrFormatError(damaged.length, () => decodeJournalFrame(damaged, 0, salt));
        });
        expect(allocated).toBeLessThanOrEqual(damaged.length);
        if (result !== undefined && !(result instanceof FormatError)) {
          expect(result.frameLength).toBeLessThanOrEqual(damaged.length);
          const covered = result.commits.reduce((sum, commit) => sum + commit.length, 0);
          expect(FRAME_HEADER_BYTES + covered).toBeLessThanOrEqual(result.frameLength);
          expect(result.commits.every((commit) => commit.length >= COMMIT_BLOCK_HEADER_BYTES)).toBe(true);
        }
      }),
      FUZZ_RUNS,
    );
  });

  it('returns a FormatError or a value for random bytes at any offset, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 320 }), fc.boolean(), (random, offset, resealAfter) => {
        const bytes = Buffer.from(random);
        if (resealAfter) reseal(bytes);
        decodeOrFormatError(Math.max(0, bytes.length - offset), () => decodeJournalFrame(bytes, offset, salt));
      }),
      FUZZ_RUNS,
    );
  });
});
