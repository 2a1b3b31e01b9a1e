import { InvalidEventError } from '../errors/invalid-event.error';
import { WrongExpectedVersionError } from '../errors/wrong-expected-version.error';
import { ExpectedVersion } from './types';

export function checkExpectedVersion(expected: unknown): ExpectedVersion {
  if (expected === undefined) return 'any';
  if (expected === 'any' || expected === 'no-stream' || expected === 'stream-exists') return expected;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= -1) return expected;
  throw new InvalidEventError('expectedVersion', `must be a version (an integer >= -1), 'any', 'no-stream' or 'stream-exists', not ${String(expected)}`);
}

/** Throws WrongExpectedVersionError unless a stream at `actualVersion` (-1: none) satisfies `expected`. */
export function assertExpectedVersion(streamId: string, expected: ExpectedVersion, actualVersion: number): void {
  if (expected === 'any') return;
  const ok =
    expected === 'no-stream' ? actualVersion === -1 : expected === 'stream-exists' ? actualVersion >= 0 : actualVersion === expected;
  if (!ok) throw new WrongExpectedVersionError(streamId, expected === -1 ? 'no-stream' : expected, actualVersion);
}
