import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { SegmentExpectation } from '../chain/validate-segment';
import { verifySegment } from '../chain/verify-segment-contents';
import { CorruptionError } from '../errors/corruption.error';
import { CorruptionReport, reportOf } from './lib-worker';

/** What a verifying thread is given: a segment file, and what the chain before it says it must be. */
export interface VerifyRequest {
  path: string;
  expect: Omit<SegmentExpectation, 'storeId' | 'previousEndMarker' | 'previousCommitHash'> & {
    storeId: Uint8Array;
    previousEndMarker: Uint8Array;
    previousCommitHash: Uint8Array;
  };
}

/** Nothing wrong (the bytes read), what is wrong with the segment, or why it could not be read. */
export type VerifyResponse =
  | { bytes: number }
  | CorruptionReport
  | { failed: { message: string; code: string | undefined } };

/**
 * A verifying thread's program (lib/segment/verify-store.ts starts them): reads a segment whole and
 * runs verifySegment on it, as verify() does on the event loop otherwise, so that the segments of a
 * store are verified in parallel.
 */
parentPort?.on('message', (request: VerifyRequest) => {
  parentPort?.postMessage(verifyOne(request) satisfies VerifyResponse);
});

function verifyOne(request: VerifyRequest): VerifyResponse {
  let bytes: Buffer;
  try {
    bytes = readFileSync(request.path);
  } catch (error) {
    return { failed: { message: (error as Error).message, code: (error as NodeJS.ErrnoException).code } };
  }
  const expect: SegmentExpectation = {
    ...request.expect,
    storeId: Buffer.from(request.expect.storeId),
    previousEndMarker: Buffer.from(request.expect.previousEndMarker),
    previousCommitHash: Buffer.from(request.expect.previousCommitHash),
  };
  const verified = verifySegment(bytes, expect);
  if (verified instanceof CorruptionError) return reportOf(verified);
  return { bytes: bytes.length };
}
