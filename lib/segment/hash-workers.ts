import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program: node:crypto only, given as source so it runs the same from the
 * compiled package, from ts sources under a test runner, or bundled.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let endMarker;
let chainHash;
parentPort.on('message', (message) => {
  if (message.type === 'start') {
    endMarker = createHash('sha256');
    chainHash = createHash('sha512');
    chainHash.update(Buffer.from(message.previousEndMarker));
  } else if (message.type === 'slice') {
    const bytes = Buffer.from(message.bytes, 0, message.length);
    endMarker.update(bytes);
    if (message.chainFrom < message.length) chainHash.update(bytes.subarray(message.chainFrom));
    parentPort.postMessage({ type: 'ack' });
  } else if (message.type === 'end') {
    parentPort.postMessage({ type: 'digests', endMarker: endMarker.digest(), chainHash: chainHash.digest() });
  }
});
`;

export interface SegmentDigests {
  endMarker: Buffer;
  chainHash: Buffer;
}

/** Reads the bytes to hash, slice by slice, into the buffer given; returns how many it read (0: done). */
export type SliceReader = (buffer: Buffer, position: number) => Promise<number>;

/** Slices in flight to one worker: reading stays ahead of hashing without queueing a whole file. */
const SLICES_IN_FLIGHT = 2;

/**
 * Hashes segments on worker threads, so that a store's segments are checked in parallel at open.
 * The main thread still does every read (through the FileSystem interface) and hands each slice
 * over without copying (a transferred ArrayBuffer).
 */
export class HashWorkers {
  private readonly idle: Worker[];
  private readonly waiting: Array<(worker: Worker) => void> = [];

  private constructor(private readonly workers: Worker[]) {
    this.idle = [...workers];
  }

  static start(count = Math.max(1, Math.min(4, availableParallelism()))): HashWorkers {
    return new HashWorkers(Array.from({ length: count }, () => new Worker(WORKER_SOURCE, { eval: true })));
  }

  /** SHA-256 of bytes [0, end) and SHA-512 of (previousEndMarker || bytes [chainFrom, end)). */
  async hash(read: SliceReader, end: number, chainFrom: number, previousEndMarker: Buffer, sliceBytes: number): Promise<SegmentDigests> {
    const worker = await this.acquire();
    try {
      return await hashOn(worker, read, end, chainFrom, previousEndMarker, sliceBytes);
    } finally {
      this.release(worker);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private acquire(): Promise<Worker> {
    const worker = this.idle.pop();
    return worker ? Promise.resolve(worker) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }
}

function hashOn(worker: Worker, read: SliceReader, end: number, chainFrom: number, previousEndMarker: Buffer, sliceBytes: number): Promise<SegmentDigests> {
  return new Promise<SegmentDigests>((resolve, reject) => {
    let inFlight = 0;
    let position = 0;
    let reading = false;
    let done = false;
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onMessage = (message: { type: string; endMarker?: Uint8Array; chainHash?: Uint8Array }) => {
      if (message.type === 'ack') {
        inFlight--;
        pump();
      } else if (message.type === 'digests') {
        cleanup();
        resolve({ endMarker: Buffer.from(message.endMarker as Uint8Array), chainHash: Buffer.from(message.chainHash as Uint8Array) });
      }
    };
    const pump = () => {
      if (reading || done) return;
      if (position >= end) {
        if (inFlight === 0) {
          done = true;
          worker.postMessage({ type: 'end' });
        }
        return;
      }
      if (inFlight >= SLICES_IN_FLIGHT) return;
      reading = true;
      const slice = Buffer.allocUnsafeSlow(Math.min(sliceBytes, end - position));
      read(slice, position).then(
        (count) => {
          reading = false;
          if (count === 0) {
            position = end; // the file is shorter than its header says: the digests will not match
          } else {
            const chainStart = Math.max(0, chainFrom - position);
            inFlight++;
            position += count;
            worker.postMessage({ type: 'slice', bytes: slice.buffer, length: count, chainFrom: chainStart }, [slice.buffer]);
          }
          pump();
        },
        (error: unknown) => {
          done = true;
          cleanup();
          reject(error);
        },
      );
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage({ type: 'start', previousEndMarker: Uint8Array.from(previousEndMarker) });
    pump();
  });
}
