import { Worker } from 'node:worker_threads';
import { BuiltSegment } from '../chain/link';
import { askWorker, corruptionOf, startLibWorker } from './lib-worker';
import { ownArrayBuffer, SealRequest, SealResponse } from './seal-worker';

/** A segment to build: the full journal's bytes, checked (commitsToSeal) by whoever builds it. */
export interface SealJob {
  storeId: Buffer;
  segmentNumber: number;
  previousEndMarker: Buffer;
  journal: Buffer;
  /** Where the journal must start: its header is checked against it. */
  firstPosition: number;
}

/**
 * Builds segments on a thread of their own: a 64 MiB segment takes about a second of hashing (a
 * Merkle leaf per event, the chain hash, the end marker) and ~150 ms of reading its journal back
 * (every frame and commit checked), which on the event loop would hold up the appends that go on
 * while it seals. A journal that does not check rejects with its CorruptionError. Started at the first seal, kept for the next, ended with
 * the log; unref'd, so it never keeps a process alive. The journal's bytes are handed over, not
 * copied: the caller must not use them afterwards.
 */
export class SealThread {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** @param startWorker starts the thread (tests give one that fails) */
  constructor(private readonly startWorker: () => Worker = startSealWorker) {}

  build(job: SealJob): Promise<BuiltSegment> {
    const run = this.queue.then(() => this.buildNow(job));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private buildNow(job: SealJob): Promise<BuiltSegment> {
    const worker = (this.worker ??= this.startWorker());
    const journal = ownArrayBuffer(job.journal);
    const request: SealRequest = {
      storeId: job.storeId,
      segmentNumber: job.segmentNumber,
      previousEndMarker: job.previousEndMarker,
      journal,
      firstPosition: job.firstPosition,
    };
    return askWorker<SealResponse>(worker, 'the sealing thread', request, [journal.buffer as ArrayBuffer]).then(
      (response) => {
        if ('corruption' in response) throw corruptionOf(response);
        const bytes = Buffer.from(response.bytes.buffer, response.bytes.byteOffset, response.bytes.byteLength);
        return { bytes, endMarker: Buffer.from(response.endMarker), eventCount: response.eventCount };
      },
      (error: unknown) => {
        this.worker = undefined;
        throw error;
      },
    );
  }
}

function startSealWorker(): Worker {
  return startLibWorker('seal-worker');
}
