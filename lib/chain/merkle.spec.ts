import { createHash } from 'node:crypto';
import { MerkleLeaves, merkleLeafHash, merkleRoot } from './merkle';
import { nobleHashes, nodeHashes } from './hash-functions';
import { runSteps } from './steps';

const sha256 = (...parts: Buffer[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest();

/** RFC 9162 §2.1.1, word for word: MTH({}) = SHA-256(); MTH({d0}) = SHA-256(0x00 || d0); else split at k. */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return sha256(Buffer.from([0x00]), leaves[0] as Buffer);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([0x01]), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

const leavesOf = (count: number) => Array.from({ length: count }, (_, i) => Buffer.from(`event record ${i}`.repeat((i % 3) + 1)));

describe('Merkle root', () => {
  it('equals the recursive RFC 9162 Merkle Tree Hash for 0 to 70 leaves', () => {
    for (let count = 0; count <= 70; count++) {
      const leaves = leavesOf(count);
      const root = merkleRoot(leaves.map((leaf) => merkleLeafHash(leaf)));
      expect(root.toString('hex')).toBe(referenceRoot(leaves).toString('hex'));
    }
  });

  it('matches the published RFC 6962 test vectors of the certificate-transparency tree of 8 leaves', () => {
    const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => Buffer.from(hex, 'hex'));
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    roots.forEach((expected, i) => {
      expect(merkleRoot(leaves.slice(0, i + 1).map((leaf) => merkleLeafHash(leaf))).toString('hex')).toBe(expected);
    });
  });

  it('roots an empty segment at SHA-256 of nothing', () => {
    expect(merkleRoot([]).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('separates leaves from nodes: a leaf hash is SHA-256(0x00 || record), never the hash of the record alone', () => {
    const record = Buffer.from('record');
    expect(merkleLeafHash(record)).toEqual(sha256(Buffer.from([0]), record));
    expect(merkleLeafHash(record)).not.toEqual(sha256(record));
  });

  it('gives the same root with @noble/hashes as with node:crypto', () => {
    for (const count of [0, 1, 2, 3, 17, 64, 65]) {
      const leaves = leavesOf(count);
      const noble = merkleRoot(leaves.map((leaf) => merkleLeafHash(leaf, nobleHashes)), nobleHashes);
      expect(noble).toEqual(referenceRoot(leaves));
    }
  });

  it('gives the RFC 9162 root from records added one by one (the seal\'s way), past the buffer\'s first growth, with either hash implementation', () => {
    for (const hashes of [nodeHashes, nobleHashes]) {
      for (const count of [0, 1, 2, 3, 5, 31, 1023, 1024, 1025, 2500]) {
        const leaves = leavesOf(count);
        const built = new MerkleLeaves(hashes);
        for (const leaf of leaves) built.addRecord(leaf);
        expect(built.length).toBe(count);
        expect(runSteps(built.rootSteps()).toString('hex')).toBe(referenceRoot(leaves).toString('hex'));
      }
    }
  });

  it('changes when any leaf changes or two leaves swap', () => {
    const leaves = leavesOf(9).map((leaf) => merkleLeafHash(leaf));
    const root = merkleRoot(leaves);
    const swapped = [...leaves];
    [swapped[3], swapped[4]] = [swapped[4] as Buffer, swapped[3] as Buffer];
    expect(merkleRoot(swapped)).not.toEqual(root);
    expect(merkleRoot([...leaves.slice(0, 8), merkleLeafHash(Buffer.from('other'))])).not.toEqual(root);
  });
});
