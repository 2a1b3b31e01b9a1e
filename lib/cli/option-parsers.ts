import { InvalidArgumentError } from 'commander';

/** Parsers for flag values: each returns the value or throws one line that says what is expected. */

export function parseNonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return Number(value);
}

export function parsePositiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) === 0) throw new InvalidArgumentError('expected a whole number, 1 or more');
  return Number(value);
}

/** An ISO 8601 time with a date, e.g. 2026-03-01 or 2026-03-01T12:00:00Z. */
export function parseIsoTime(value: string): Date {
  const time = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time.getTime())) {
    throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-03-01T12:00:00Z');
  }
  return time;
}

/** A head hash as `chainstore inspect` and `verify` print it: SHA-256, 64 hex digits. */
export function parseHeadHash(value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError('expected a head hash: 64 hexadecimal digits (SHA-256)');
  return value.toLowerCase();
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
