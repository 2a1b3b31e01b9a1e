import { createHash, hash } from 'node:crypto';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';

/** The two digests the chain uses, over a list of byte strings taken as one. */
export interface HashFunctions {
  sha256(parts: readonly Uint8Array[]): Buffer;
  sha512(parts: readonly Uint8Array[]): Buffer;
}

function nodeDigest(algorithm: 'sha256' | 'sha512', parts: readonly Uint8Array[]): Buffer {
  if (parts.length === 1) return hash(algorithm, parts[0] as Uint8Array, 'buffer') as unknown as Buffer;
  const hasher = createHash(algorithm);
  for (const part of parts) hasher.update(part);
  return hasher.digest();
}

/** node:crypto (OpenSSL): the hot path, several times faster than a JS implementation. */
export const nodeHashes: HashFunctions = {
  sha256: (parts) => nodeDigest('sha256', parts),
  sha512: (parts) => nodeDigest('sha512', parts),
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
};
