import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program: node:crypto only, given as source so it runs the same from the
 * compiled package, from ts sources under a test runner, or bundled.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
let endMarker;
let chainHash;
let fileSlice = Buffer.alloc(0);
function hashFile(message) {
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  sha512.update(Buffer.from(message.previousEndMarker));
  if (fileSlice.length < message.sliceBytes) fileSlice = Buffer.allocUnsafeSlow(message.sliceBytes);
  const fd = openSync(message.path, 'r');
  try {
    for (let position = 0; position < message.end; ) {
      const count = readSync(fd, fileSlice, 0, Math.min(message.sliceBytes, message.end - position), position);
      if (count === 0) break;
      const bytes = fileSlice.subarray(0, count);
      sha256.update(bytes);
      if (position + count > message.chainFrom) sha512.update(bytes.subarray(Math.max(0, message.chainFrom - position)));
      position += count;
    }
  } finally {
    closeSync(fd);
  }
  return { type: 'digests', endMarker: sha256.digest(), chainHash: sha512.digest() };
}
parentPort.on('message', (message) => {
  if (message.type === 'file') {
    let reply;
    try {
      reply = hashFile(message);
    } catch (error) {
      reply = { type: 'failed', message: error.message, code: error.code };
    }
    parentPort.postMessage(reply);
  } else if (message.type === 'start') {
    endMarker = createHash('sha256');
    chainHash = createHash('sha512');
    chainHash.update(Buffer.from(message.previousEndMarker));
  } else if (message.type === 'slice') {
    const bytes = Buffer.from(message.bytes, 0, message.length);
    endMarker.update(bytes);
    if (message.chainFrom < message.length) chainHash.update(bytes.subarray(message.chainFrom));
    parentPort.postMessage({ type: 'ack', bytes: message.bytes }, [message.bytes]);
  } else if (message.type === 'end') {
    parentPort.postMessage({ type: 'digests', endMarker: endMarker.digest(), chainHash: chainHash.digest() });
  }
  // 'spare': buffers handed over at close only to be freed with this thread.
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
 * `hashFile` has the worker read a file of the process's own file system itself. `hash` is for
 * files behind another FileSystem: the main thread does every read through it and hands each slice
 * over without copying (a transferred ArrayBuffer); the worker hands the buffer back once it has
 * hashed it, and the next slice is read into it, so every segment goes through the same few buffers.
 * (A buffer made per slice was freed only when the worker's heap happened to collect it, so many
 * 4 MiB buffers waited for that at once, and each new one cost a page fault per 4 KiB as it was
 * read into.)
 */
export class HashWorkers {
  private readonly idle: Worker[];
  private readonly waiting: Array<(worker: Worker) => void> = [];
  /** Slice buffers back from the workers, for the next slices. */
  private readonly spareSlices: ArrayBuffer[] = [];

  private constructor(private readonly workers: Worker[]) {
    this.idle = [...workers];
  }

  static start(count = Math.max(1, Math.min(4, availableParallelism()))): HashWorkers {
    return new HashWorkers(Array.from({ length: count }, () => new Worker(WORKER_SOURCE, { eval: true })));
  }

  /** SHA-256 of bytes [0, end) and SHA-512 of (previousEndMarker || bytes [chainFrom, end)). */
  async hash(read: SliceReader, end: number, chainFrom: number, previousEndMarker: Buffer, sliceBytes: number): Promise<SegmentDigests> {
    const worker = await this.acquire();
    const slices: SliceBuffers = {
      take: () => {
        const spare = this.spareSlices.pop();
        return spare !== undefined && spare.byteLength >= sliceBytes ? spare : new ArrayBuffer(sliceBytes);
      },
      giveBack: (slice) => void this.spareSlices.push(slice),
    };
    try {
      return await hashOn(worker, read, end, chainFrom, previousEndMarker, slices);
    } finally {
      this.release(worker);
    }
  }

  /**
   * The same digests of a file on the process's own file system, which the worker reads itself:
   * the event loop only waits, so work it does meanwhile does not hold the hashing up.
   */
  async hashFile(path: string, end: number, chainFrom: number, previousEndMarker: Buffer, sliceBytes: number): Promise<SegmentDigests> {
    const worker = await this.acquire();
    try {
      return await askForDigests(worker, { type: 'file', path, end, chainFrom, previousEndMarker: Uint8Array.from(previousEndMarker), sliceBytes });
    } finally {
      this.release(worker);
    }
  }

  async close(): Promise<void> {
    // The spare buffers go to a worker that is about to end: they are freed with it, rather than
    // left to this thread's next full collection (they are old by now: a scavenge does not free them).
    const spare = this.spareSlices.splice(0);
    if (spare.length > 0) this.workers[0]?.postMessage({ type: 'spare' }, spare);
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

type DigestsReply = { type: 'digests'; endMarker: Uint8Array; chainHash: Uint8Array } | { type: 'failed'; message: string; code?: string };

function askForDigests(worker: Worker, request: object): Promise<SegmentDigests> {
  return new Promise<SegmentDigests>((resolve, reject) => {
    const stop = listenTo(worker, reject, (reply: DigestsReply) => {
      stop();
      if (reply.type === 'digests') resolve({ endMarker: Buffer.from(reply.endMarker), chainHash: Buffer.from(reply.chainHash) });
      else reject(Object.assign(new Error(reply.message), { code: reply.code }));
    });
    worker.postMessage(request);
  });
}

/** Passes the worker's messages to `onMessage` until the returned stop is called; an error stops it and goes to `reject`. */
function listenTo<M>(worker: Worker, reject: (error: Error) => void, onMessage: (message: M) => void): () => void {
  const stop = () => {
    worker.off('message', onMessage);
    worker.off('error', onError);
  };
  const onError = (error: Error) => {
    stop();
    reject(error);
  };
  worker.on('message', onMessage);
  worker.on('error', onError);
  return stop;
}

/** Where hashOn takes the buffers it reads slices into, and gives them back. */
interface SliceBuffers {
  take(): ArrayBuffer;
  giveBack(slice: ArrayBuffer): void;
}

function hashOn(worker: Worker, read: SliceReader, end: number, chainFrom: number, previousEndMarker: Buffer, slices: SliceBuffers): Promise<SegmentDigests> {
  return new Promise<SegmentDigests>((resolve, reject) => {
    let inFlight = 0;
    let position = 0;
    let reading = false;
    let done = false;
    const onMessage = (message: { type: string; bytes?: ArrayBuffer; endMarker?: Uint8Array; chainHash?: Uint8Array }) => {
      if (message.type === 'ack') {
        slices.giveBack(message.bytes as ArrayBuffer);
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
      const slice = slices.take();
      read(Buffer.from(slice, 0, Math.min(slice.byteLength, end - position)), position).then(
        (count) => {
          reading = false;
          if (count === 0) {
            slices.giveBack(slice);
            position = end; // the file is shorter than its header says: the digests will not match
          } else {
            const chainStart = Math.max(0, chainFrom - position);
            inFlight++;
            position += count;
            worker.postMessage({ type: 'slice', bytes: slice, length: count, chainFrom: chainStart }, [slice]);
          }
          pump();
        },
        (error: unknown) => {
          slices.giveBack(slice);
          done = true;
          cleanup();
          reject(error);
        },
      );
    };
    const cleanup = listenTo(worker, reject, onMessage);
    worker.postMessage({ type: 'start', previousEndMarker: Uint8Array.from(previousEndMarker) });
    pump();
  });
}
