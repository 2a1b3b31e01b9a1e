import { parentPort } from 'node:worker_threads';
import { buildSegment } from '../chain/link';
import { CorruptionError } from '../errors/corruption.error';
import { commitsToSeal } from './journal-scan';
import { CorruptionReport, reportOf } from './lib-worker';
import { StoreLayout } from './store-layout';

/** What the sealing thread is given: the full journal's bytes, and where it must start. */
export interface SealRequest {
  storeId: Uint8Array;
  segmentNumber: number;
  previousEndMarker: Uint8Array;
  journal: Uint8Array;
  firstPosition: number;
}

/** The built segment, or what is wrong with the journal. */
export type SealResponse =
  | { bytes: Uint8Array; endMarker: Uint8Array; eventCount: number }
  | CorruptionReport;

/**
 * The sealing thread's program (lib/segment/seal-thread.ts starts it): checks each journal it is
 * given and builds its segment with commitsToSeal and buildSegment — the same pure functions the
 * event loop runs otherwise — and hands the bytes back without copying them.
 */
parentPort?.on('message', (request: SealRequest) => {
  const journal = Buffer.from(request.journal.buffer, request.journal.byteOffset, request.journal.byteLength);
  const found = commitsToSeal(journal, StoreLayout.journalName(request.segmentNumber), request.firstPosition);
  if (found instanceof CorruptionError) {
    parentPort?.postMessage(reportOf(found) satisfies SealResponse);
    return;
  }
  const commits = found.map((commit) => journal.subarray(commit.offset, commit.offset + commit.length));
  const built = buildSegment({
    storeId: Buffer.from(request.storeId),
    segmentNumber: request.segmentNumber,
    previousEndMarker: Buffer.from(request.previousEndMarker),
    commits,
    checksumsChecked: true,
  });
  const bytes = ownArrayBuffer(built.bytes);
  const response: SealResponse = { bytes, endMarker: Uint8Array.from(built.endMarker), eventCount: built.eventCount };
  parentPort?.postMessage(response, [bytes.buffer as ArrayBuffer]);
});

/** `bytes` as a view of a whole ArrayBuffer of its own, which can be transferred (a pooled Buffer's cannot). */
export function ownArrayBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.from(bytes);
}
