import fc from 'fast-check';
import { EncodeCommitInput, EventRecordParts, IndexBlockInput, MAX_SAFE_U64, MAX_STREAM_ID_BYTES } from '../../lib/format';

/** A u64 field's value: anything the format accepts, its bounds most of all. */
export const safeU64 = fc.oneof(fc.constantFrom(0, 1, 0xffff_ffff, 0x1_0000_0000, MAX_SAFE_U64), fc.maxSafeNat());

/** UTF-8 bytes of a non-empty string of any code points, at most `maxBytes` long. */
export function utf8Name(maxLength = 24): fc.Arbitrary<Buffer> {
  return fc
    .string({ unit: 'binary', minLength: 1, maxLength })
    .map((name) => Buffer.from(name, 'utf8'))
    .filter((bytes) => bytes.length > 0 && bytes.length <= MAX_STREAM_ID_BYTES);
}

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((array) => Buffer.from(array));

/** An event as a commit takes it (position and recordedAt come from the commit). */
export const commitEventParts: fc.Arbitrary<Omit<EventRecordParts, 'position' | 'recordedAtMs'>> = fc.record({
  version: safeU64,
  id: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  streamId: utf8Name(),
  type: utf8Name(),
  data: bytes(96),
  metadata: bytes(32),
});

export const eventRecordParts: fc.Arbitrary<EventRecordParts> = fc
  .record({ event: commitEventParts, position: safeU64, recordedAtMs: safeU64 })
  .map(({ event, position, recordedAtMs }) => ({ ...event, position, recordedAtMs }));

/** A commit of 1..`maxEvents` events whose positions stay below 2^53. */
export function commitInput(maxEvents = 4): fc.Arbitrary<EncodeCommitInput> {
  return fc.record({
    firstPosition: fc.oneof(fc.constantFrom(0, MAX_SAFE_U64 - maxEvents), fc.nat({ max: MAX_SAFE_U64 - maxEvents })),
    recordedAtMs: safeU64,
    parentHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    events: fc.array(commitEventParts, { minLength: 1, maxLength: maxEvents }),
  });
}

/** An index block's contents: commits and streams whose counts agree. */
export const segmentIndex: fc.Arbitrary<IndexBlockInput> = fc
  .record({
    commits: fc.array(fc.record({ offset: fc.nat({ max: 0xffff_ffff }), delta: fc.nat({ max: 0xffff_ffff }), recordedAtMs: safeU64 }), { maxLength: 8 }),
    streams: fc.array(
      fc.record({
        streamId: fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
        firstVersion: safeU64,
        eventOffsets: fc.array(fc.nat({ max: 0xffff_ffff }), { minLength: 1, maxLength: 8 }),
      }),
      { maxLength: 5 },
    ),
  })
  .map(({ commits, streams }) => ({
    eventCount: streams.reduce((sum, stream) => sum + stream.eventOffsets.length, 0),
    commitOffsets: Uint32Array.from(commits.map((commit) => commit.offset)),
    commitPositionDeltas: Uint32Array.from(commits.map((commit) => commit.delta)),
    commitRecordedAtMs: Float64Array.from(commits.map((commit) => commit.recordedAtMs)),
    streams: streams.map((stream) => ({ ...stream, eventOffsets: Uint32Array.from(stream.eventOffsets) })),
  }));
