import { parentPort } from 'node:worker_threads';
import { buildSegment } from '../chain/link';

/** What the sealing thread is given: the journal's bytes and where its commit blocks are in them. */
export interface SealRequest {
  storeId: Uint8Array;
  segmentNumber: number;
  previousEndMarker: Uint8Array;
  journal: Uint8Array;
  commitOffsets: number[];
  commitLengths: number[];
}

export interface SealResponse {
  bytes: Uint8Array;
  endMarker: Uint8Array;
  eventCount: number;
}

/**
 * The sealing thread's program (lib/segment/seal-thread.ts starts it): builds each segment it is
 * asked for with buildSegment — the same pure function the event loop runs otherwise — and hands
 * the bytes back without copying them.
 */
parentPort?.on('message', (request: SealRequest) => {
  const journal = Buffer.from(request.journal.buffer, request.journal.byteOffset, request.journal.byteLength);
  const commits = request.commitOffsets.map((offset, i) => journal.subarray(offset, offset + (request.commitLengths[i] as number)));
  const built = buildSegment({
    storeId: Buffer.from(request.storeId),
    segmentNumber: request.segmentNumber,
    previousEndMarker: Buffer.from(request.previousEndMarker),
    commits,
  });
  const bytes = ownArrayBuffer(built.bytes);
  const response: SealResponse = { bytes, endMarker: Uint8Array.from(built.endMarker), eventCount: built.eventCount };
  parentPort?.postMessage(response, [bytes.buffer as ArrayBuffer]);
});

/** `bytes` as a view of a whole ArrayBuffer of its own, which can be transferred (a pooled Buffer's cannot). */
export function ownArrayBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.from(bytes);
}
