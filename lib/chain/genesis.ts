import { HashFunctions, nodeHashes } from './hash-functions';

/** Fixed label of the genesis hash; changing it would orphan every existing store. */
export const GENESIS_LABEL = 'nestjs-chainstore genesis v1';

/**
 * The "end marker before segment 1" and the parent hash of the first commit: SHA-256 of the label
 * and the store id, so that no segment or commit of another store can be spliced in.
 */
export function genesisHash(storeId: Uint8Array, hashes: HashFunctions = nodeHashes): Buffer {
  return hashes.sha256([Buffer.from(GENESIS_LABEL, 'utf8'), storeId]);
}
