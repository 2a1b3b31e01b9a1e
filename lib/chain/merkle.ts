import { HashFunctions, nodeHashes } from './hash-functions';
import { EVENTS_PER_STEP, runSteps, Steps } from './steps';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function merkleLeafHash(leaf: Uint8Array, hashes: HashFunctions = nodeHashes): Buffer {
  return hashes.sha256([LEAF_PREFIX, leaf]);
}

/**
 * RFC 9162 §2.1.1 Merkle Tree Hash over the given leaf hashes: the root of an empty list is
 * SHA-256 of nothing; otherwise the list splits at the largest power of two below its length.
 * Computed bottom-up, pairing left to right and carrying an odd last node up unchanged, which
 * gives the same root as the recursive definition.
 */
export function merkleRoot(leafHashes: readonly Buffer[], hashes: HashFunctions = nodeHashes): Buffer {
  return runSteps(merkleRootSteps(leafHashes, hashes));
}

/** merkleRoot, yielding every EVENTS_PER_STEP node hashes. */
export function* merkleRootSteps(leafHashes: readonly Buffer[], hashes: HashFunctions = nodeHashes): Steps<Buffer> {
  if (leafHashes.length === 0) return hashes.sha256([]);
  let level: Buffer[] = [...leafHashes];
  let sinceYield = 0;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      next.push(hashes.sha256([NODE_PREFIX, level[i] as Buffer, level[i + 1] as Buffer]));
      if (++sinceYield === EVENTS_PER_STEP) {
        sinceYield = 0;
        yield;
      }
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Buffer);
    level = next;
  }
  return level[0] as Buffer;
}
