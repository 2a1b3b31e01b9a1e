import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { genesisHash, GENESIS_LABEL } from './genesis';
import { digestBytes, nobleHashes, nodeHashes, sha256Text } from './hash-functions';

const parts = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 });

describe('hash functions', () => {
  it('node:crypto and @noble/hashes give the same SHA-256 and SHA-512 of any list of parts', () => {
    fc.assert(
      fc.property(parts, (list) => {
        expect(nobleHashes.sha256(list)).toEqual(nodeHashes.sha256(list));
        expect(nobleHashes.sha512(list)).toEqual(nodeHashes.sha512(list));
      }),
      { numRuns: 300 },
    );
  });

  it('hashes a list of parts as their concatenation, with either implementation', () => {
    fc.assert(
      fc.property(parts, (list) => {
        const joined = Buffer.concat(list);
        expect(nodeHashes.sha256(list)).toEqual(createHash('sha256').update(joined).digest());
        expect(nobleHashes.sha512(list)).toEqual(createHash('sha512').update(joined).digest());
      }),
      { numRuns: 300 },
    );
  });

  it('gives the commit digest as 32 characters, one per byte, that read back as the SHA-256', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const text = sha256Text(bytes);
        expect(text).toHaveLength(32);
        expect(digestBytes(text)).toEqual(nobleHashes.sha256([bytes]));
      }),
      { numRuns: 300 },
    );
  });

  it('writes a SHA-256 into a buffer that its own input overlaps, as the Merkle tree does level by level', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.integer({ min: 0, max: 32 }), (bytes, at) => {
        for (const hashes of [nodeHashes, nobleHashes]) {
          const target = Buffer.from(bytes);
          const expected = createHash('sha256').update(Buffer.from([1])).update(target).digest();
          hashes.sha256Into([Buffer.from([1]), target.subarray(0, 64)], target, at);
          expect(target.subarray(at, at + 32)).toEqual(expected);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('returns 32 and 64 byte Buffers', () => {
    for (const hashes of [nodeHashes, nobleHashes]) {
      expect(Buffer.isBuffer(hashes.sha256([Buffer.from('x')]))).toBe(true);
      expect(hashes.sha256([Buffer.from('x')]).length).toBe(32);
      expect(hashes.sha512([]).length).toBe(64);
    }
  });
});

describe('genesis hash', () => {
  const storeId = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

  it('is SHA-256 of the fixed label then the store id', () => {
    expect(GENESIS_LABEL).toBe('nestjs-chainstore genesis v1');
    const expected = createHash('sha256').update('nestjs-chainstore genesis v1').update(storeId).digest();
    expect(genesisHash(storeId)).toEqual(expected);
    expect(genesisHash(storeId, nobleHashes)).toEqual(expected);
  });

  it('differs for every other store id, so a chain of another store never links', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (other) => {
        fc.pre(!Buffer.from(other).equals(storeId));
        expect(genesisHash(other)).not.toEqual(genesisHash(storeId));
      }),
      { numRuns: 100 },
    );
  });
});
