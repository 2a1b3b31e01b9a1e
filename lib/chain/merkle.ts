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
  const leaves = new MerkleLeaves(hashes);
  for (const leafHash of leafHashes) leaves.addLeafHash(leafHash);
  return runSteps(leaves.rootSteps());
}

const DIGEST_BYTES = 32;

/**
 * The leaf hashes of a Merkle tree side by side in one buffer, and the tree's root computed level
 * by level in that buffer: no Buffer (each with an ArrayBuffer of its own) per leaf or node. A
 * segment of 1-event commits has ~140k of each; as objects they took a fifth of a seal's time in
 * allocation and garbage collection.
 */
export class MerkleLeaves {
  private digests = Buffer.allocUnsafe(1024 * DIGEST_BYTES);
  private count = 0;

  constructor(private readonly hashes: HashFunctions = nodeHashes) {}

  get length(): number {
    return this.count;
  }

  /** Adds the leaf of a record: SHA-256(0x00 || record). */
  addRecord(record: Uint8Array): void {
    this.hashes.sha256Into([LEAF_PREFIX, record], this.reserve(), this.count++ * DIGEST_BYTES);
  }

  /** Adds a leaf hash (merkleLeafHash) computed elsewhere. */
  addLeafHash(leafHash: Uint8Array): void {
    this.reserve().set(leafHash, this.count++ * DIGEST_BYTES);
  }

  /**
   * The root (merkleRoot's), bottom-up: node i of a level is written over slot i, which its
   * pair (slots 2i and 2i + 1) has been read from. The leaves are gone afterwards.
   */
  *rootSteps(): Steps<Buffer> {
    if (this.count === 0) return this.hashes.sha256([]);
    const digests = this.digests;
    let width = this.count;
    let sinceYield = 0;
    while (width > 1) {
      const pairs = width >> 1;
      for (let i = 0; i < pairs; i++) {
        const left = 2 * i * DIGEST_BYTES;
        this.hashes.sha256Into([NODE_PREFIX, digests.subarray(left, left + 2 * DIGEST_BYTES)], digests, i * DIGEST_BYTES);
        if (++sinceYield === EVENTS_PER_STEP) {
          sinceYield = 0;
          yield;
        }
      }
      if (width % 2 === 1) digests.copyWithin(pairs * DIGEST_BYTES, (width - 1) * DIGEST_BYTES, width * DIGEST_BYTES);
      width = pairs + (width % 2);
    }
    this.count = 0;
    return Buffer.from(digests.subarray(0, DIGEST_BYTES));
  }

  /** The buffer, with room for one more leaf. */
  private reserve(): Buffer {
    if ((this.count + 1) * DIGEST_BYTES > this.digests.length) {
      const grown = Buffer.allocUnsafe(2 * this.digests.length);
      this.digests.copy(grown, 0, 0, this.count * DIGEST_BYTES);
      this.digests = grown;
    }
    return this.digests;
  }
}
