import { createHash, hash } from 'node:crypto';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';

export interface IncrementalHash {
  update(part: Uint8Array): void;
  digest(): Buffer;
}

/** The two digests the chain uses, over a list of byte strings taken as one, or fed in pieces. */
export interface HashFunctions {
  sha256(parts: readonly Uint8Array[]): Buffer;
  sha512(parts: readonly Uint8Array[]): Buffer;
  /** SHA-256 of the parts written at `offset` of `target` (which the parts may overlap: they are read first). */
  sha256Into(parts: readonly Uint8Array[], target: Buffer, offset: number): void;
  incremental(algorithm: 'sha256' | 'sha512'): IncrementalHash;
}

/** Small multi-part inputs (Merkle leaves and nodes) are gathered here and hashed in one call. */
const SCRATCH_BYTES = 64 * 1024;
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

/** The parts as one input: the only part, or a copy of them in the scratch buffer; undefined when too long for it. */
function gathered(parts: readonly Uint8Array[]): Uint8Array | undefined {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > SCRATCH_BYTES) return undefined;
  // One-shot hash of a copy: a createHash object per call costs more than copying a few hundred bytes.
  let offset = 0;
  for (const part of parts) {
    scratch.set(part, offset);
    offset += part.length;
  }
  return scratch.subarray(0, length);
}

/**
 * One node:crypto digest of the parts, as a Buffer or as latin1 text ('binary'), which makes no
 * ArrayBuffer per digest: that costs as much again as hashing a few hundred bytes.
 */
function nodeDigest(algorithm: 'sha256' | 'sha512', parts: readonly Uint8Array[], output: 'buffer'): Buffer;
function nodeDigest(algorithm: 'sha256' | 'sha512', parts: readonly Uint8Array[], output: 'binary'): string;
function nodeDigest(algorithm: 'sha256' | 'sha512', parts: readonly Uint8Array[], output: 'buffer' | 'binary'): Buffer | string {
  const input = gathered(parts);
  if (input) return hash(algorithm, input, output);
  const hasher = createHash(algorithm);
  for (const part of parts) hasher.update(part);
  return output === 'buffer' ? hasher.digest() : hasher.digest(output);
}

/**
 * SHA-256 of one commit block as 32 latin1 characters, one per byte of the digest: what the append
 * path chains blocks with. A string costs about half as much to make as a Buffer, which takes an
 * ArrayBuffer of its own per call (0.39 against 0.72 µs a hash of a 450-byte block here) and,
 * once per commit, drives scavenges on external-memory pressure.
 */
export function sha256Text(block: Uint8Array): string {
  return hash('sha256', block, 'binary'); // 'binary' is node's name for latin1
}

/** The digest's bytes of a sha256Text string. */
export function digestBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** node:crypto (OpenSSL): the hot path, several times faster than a JS implementation. */
export const nodeHashes: HashFunctions = {
  sha256: (parts) => nodeDigest('sha256', parts, 'buffer'),
  sha512: (parts) => nodeDigest('sha512', parts, 'buffer'),
  sha256Into: (parts, target, offset) => void target.write(nodeDigest('sha256', parts, 'binary'), offset, 32, 'latin1'),
  incremental: (algorithm) => {
    const hasher = createHash(algorithm);
    return { update: (part) => void hasher.update(part), digest: () => hasher.digest() };
  },
};

/** @noble/hashes: portable, no Node built-ins; used to check the node:crypto digests differentially. */
export const nobleHashes: HashFunctions = {
  sha256: (parts) => {
    const hasher = nobleSha256.create();
    for (const part of parts) hasher.update(part);
    return Buffer.from(hasher.digest());
  },
  sha512: (parts) => {
    const hasher = nobleSha512.create();
    for (const part of parts) hasher.update(part);
    return Buffer.from(hasher.digest());
  },
  sha256Into: (parts, target, offset) => {
    const hasher = nobleSha256.create();
    for (const part of parts) hasher.update(part);
    target.set(hasher.digest(), offset);
  },
  incremental: (algorithm) => {
    const hasher = algorithm === 'sha256' ? nobleSha256.create() : nobleSha512.create();
    return { update: (part) => void hasher.update(part), digest: () => Buffer.from(hasher.digest()) };
  },
};
