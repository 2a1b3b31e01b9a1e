import fc from 'fast-check';
import { InvalidEventError } from '../errors/invalid-event.error';
import { encodeEvents, isPlainData } from './encode-events';

const STREAM = Buffer.from('stream-1');

/** What JSON.stringify with a replacer that refuses every lossy value would make of `value`. */
function carefully(value: unknown): string | 'refused' {
  try {
    return JSON.stringify(value, (_key, inner: unknown) => {
      if (typeof inner === 'function' || typeof inner === 'symbol' || (typeof inner === 'number' && !Number.isFinite(inner))) throw new Error('lossy');
      if (inner instanceof Map || inner instanceof Set) throw new Error('lossy');
      return inner;
    }) ?? 'refused';
  } catch {
    return 'refused';
  }
}

const anyValue = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  maxDepth: 4,
});
const withFunctions = fc.oneof(anyValue, fc.dictionary(fc.string(), fc.oneof(anyValue, fc.func(fc.integer()), fc.constant(Symbol('s')))));

describe('encodeEvents: data written as JSON', () => {
  it('takes the fast path only for values the careful path accepts, and writes the same JSON', () => {
    fc.assert(
      fc.property(withFunctions, (value) => {
        if (value !== undefined && isPlainData(value, 0)) expect(JSON.stringify(value)).toBe(carefully(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes exactly what the careful path accepts, and refuses the rest naming the field', () => {
    fc.assert(
      fc.property(withFunctions, (data) => {
        const expected = data === undefined ? 'refused' : carefully(data);
        let encoded: string | 'refused';
        try {
          encoded = (encodeEvents(STREAM, [{ type: 'T', data }], 1 << 24)[0] as { data: Buffer }).data.toString('utf8');
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventError);
          expect((error as InvalidEventError).field).toBe('events[0].data');
          encoded = 'refused';
        }
        expect(encoded).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a Date as its ISO text and refuses a Map, NaN, a function or a cycle at any depth', () => {
    const at = new Date(Date.UTC(2026, 0, 2));
    expect((encodeEvents(STREAM, [{ type: 'T', data: { at } }], 1 << 24)[0] as { data: Buffer }).data.toString()).toBe('{"at":"2026-01-02T00:00:00.000Z"}');
    const cycle: Record<string, unknown> = {};
    cycle.self = { inner: cycle };
    for (const data of [{ a: [{ m: new Map() }] }, { a: { b: Number.NaN } }, { a: [1, () => 2] }, cycle]) {
      expect(() => encodeEvents(STREAM, [{ type: 'T', data }], 1 << 24)).toThrow(InvalidEventError);
    }
  });
});
