import fc from 'fast-check';
import { FormatError } from '../../lib/errors/format.error';

/**
 * Structure-aware damage for decoder property tests: start from a valid encoding, then truncate it,
 * flip bits, overwrite bytes, put boundary values into its length and count fields, or append
 * garbage. Positions are taken modulo the current length, so every mutation applies to any buffer.
 */
export type Mutation =
  | { kind: 'truncate'; keep: number }
  | { kind: 'flipBit'; at: number; bit: number }
  | { kind: 'setByte'; at: number; value: number }
  | { kind: 'setU32'; field: number; value: number }
  | { kind: 'setU16'; field: number; value: number }
  | { kind: 'append'; bytes: Uint8Array };

/** Values that break length arithmetic: zero, one, the type's limits, and off-by-one neighbours. */
const boundaryU32 = fc.oneof(
  fc.constantFrom(0, 1, 2, 7, 8, 55, 56, 63, 64, 0xff, 0xffff, 0x10000, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff),
  fc.nat({ max: 4096 }),
  fc.nat({ max: 0xffff_ffff }),
);
const boundaryU16 = fc.oneof(fc.constantFrom(0, 1, 1023, 1024, 1025, 0x7fff, 0xffff), fc.nat({ max: 0xffff }));

/**
 * `fieldOffsets` are where the structure keeps lengths and counts: `setU32`/`setU16` aim there most
 * of the time (an index into the list), and anywhere otherwise.
 */
export function mutationArbitrary(fieldOffsets: readonly number[]): fc.Arbitrary<Mutation> {
  const field = fieldOffsets.length > 0
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...fieldOffsets) }, { weight: 1, arbitrary: fc.nat() })
    : fc.nat();
  return fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
    fc.record({ kind: fc.constant('flipBit' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
    fc.record({ kind: fc.constant('setByte' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
    fc.record({ kind: fc.constant('setU32' as const), field, value: boundaryU32 }),
    fc.record({ kind: fc.constant('setU16' as const), field, value: boundaryU16 }),
    fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  );
}

export function mutationsArbitrary(fieldOffsets: readonly number[]): fc.Arbitrary<Mutation[]> {
  return fc.array(mutationArbitrary(fieldOffsets), { minLength: 1, maxLength: 4 });
}

/** Flips bit `bit` of `bytes` in place (bit 0 is the lowest bit of byte 0). */
export function flipBit(bytes: Buffer, bit: number): Buffer {
  const at = bit >> 3;
  bytes.writeUInt8((bytes.readUInt8(at) ^ (1 << (bit & 7))) & 0xff, at);
  return bytes;
}

/** A damaged copy of `original`; the original is left alone. */
export function applyMutations(original: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes: Buffer = Buffer.from(original);
  for (const mutation of mutations) bytes = applyMutation(bytes, mutation);
  return bytes;
}

function applyMutation(bytes: Buffer, mutation: Mutation): Buffer {
  switch (mutation.kind) {
    case 'truncate':
      return bytes.subarray(0, mutation.keep % (bytes.length + 1));
    case 'append':
      return Buffer.concat([bytes, mutation.bytes]);
    case 'flipBit':
      if (bytes.length > 0) flipBit(bytes, (mutation.at % bytes.length) * 8 + mutation.bit);
      return bytes;
    case 'setByte':
      if (bytes.length > 0) bytes[mutation.at % bytes.length] = mutation.value;
      return bytes;
    case 'setU32':
      if (mutation.field + 4 <= bytes.length) bytes.writeUInt32LE(mutation.value, mutation.field);
      return bytes;
    case 'setU16':
      if (mutation.field + 2 <= bytes.length) bytes.writeUInt16LE(mutation.value, mutation.field);
      return bytes;
  }
}

/**
 * Runs `decode` and returns its result; fails the property when the decoder throws, or reports a
 * FormatError whose offset lies outside the `inputBytes` it was given.
 */
export function decodeOrFormatError<T>(inputBytes: number, decode: () => T | FormatError): T | FormatError {
  const result = decode();
  if (result instanceof FormatError) {
    if (!Number.isInteger(result.offset) || result.offset < 0 || result.offset > inputBytes) {
      throw new Error(`FormatError offset ${result.offset} outside the ${inputBytes} decoded bytes (${result.message})`);
    }
  }
  return result;
}

/**
 * Largest single allocation (in bytes) made through Buffer.alloc/allocUnsafe or a Uint32Array or
 * Float64Array constructor while `run` runs: a decoder that sizes a buffer from a length field it
 * has not checked shows up here as an allocation larger than its input.
 */
export function largestAllocationBytes(run: () => void): number {
  let largest = 0;
  const note = (bytes: number) => {
    if (bytes > largest) largest = bytes;
  };
  const global = globalThis as unknown as Record<string, unknown>;
  const saved = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, u32: global.Uint32Array, f64: global.Float64Array };
  const counting = (target: typeof Uint32Array | typeof Float64Array) =>
    new Proxy(target, {
      construct(constructor, args: unknown[]) {
        if (typeof args[0] === 'number') note(args[0] * constructor.BYTES_PER_ELEMENT);
        return Reflect.construct(constructor, args) as object;
      },
    });
  Buffer.alloc = ((size: number, ...rest: unknown[]) => {
    note(size);
    return (saved.alloc as (...args: unknown[]) => Buffer)(size, ...rest);
  }) as typeof Buffer.alloc;
  Buffer.allocUnsafe = ((size: number) => {
    note(size);
    return saved.allocUnsafe(size);
  }) as typeof Buffer.allocUnsafe;
  global.Uint32Array = counting(Uint32Array);
  global.Float64Array = counting(Float64Array);
  try {
    run();
  } finally {
    Buffer.alloc = saved.alloc;
    Buffer.allocUnsafe = saved.allocUnsafe;
    global.Uint32Array = saved.u32;
    global.Float64Array = saved.f64;
  }
  return largest;
}

/** Property-run settings shared by the decoder specs: enough cases to matter, a few seconds each. */
export const FUZZ_RUNS = { numRuns: 400 } as const;
