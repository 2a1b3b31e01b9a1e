import { InvalidOptionsError } from '../errors/invalid-options.error';
import { checkStreamId, EventFilter, ReadAllOptions, ReadDirection, ReadStreamOptions, StoreCore } from '../store';

/** A read resolved against the store at the moment it starts: fixed bounds, so it completes. */
export interface ResolvedRead {
  from: number;
  bound: number;
  direction: ReadDirection;
  maxCount: number;
  maxPosition: number;
  filter?: EventFilter;
}

export function checkReadStreamOptions(streamId: string, options: ReadStreamOptions = {}): void {
  checkStreamId(streamId);
  checkObject(options);
  checkNonNegative('fromVersion', options.fromVersion);
  checkCommon(options);
}

export function checkReadAllOptions(options: ReadAllOptions = {}): void {
  checkObject(options);
  checkNonNegative('fromPosition', options.fromPosition);
  checkCommon(options);
  checkFilter(options.filter);
}

export function resolveStreamRead(core: StoreCore, streamId: string, options: ReadStreamOptions = {}): ResolvedRead {
  const last = core.durableStreamVersion(streamId);
  const maxPosition = options.asOf ? core.lastPositionAtOrBefore(options.asOf) : Number.POSITIVE_INFINITY;
  const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
  if (options.direction === 'backwards') {
    let from = Math.min(options.fromVersion ?? last, last);
    if (options.asOf && from >= 0) from = Math.min(from, core.lastStreamVersionAtOrBefore(streamId, maxPosition));
    return { from, bound: 0, direction: 'backwards', maxCount, maxPosition };
  }
  return { from: options.fromVersion ?? 0, bound: last, direction: 'forwards', maxCount, maxPosition };
}

export function resolveAllRead(core: StoreCore, options: ReadAllOptions = {}): ResolvedRead {
  let last = core.durableNextPosition - 1;
  if (options.asOf) last = Math.min(last, core.lastPositionAtOrBefore(options.asOf));
  const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
  const maxPosition = Number.POSITIVE_INFINITY;
  if (options.direction === 'backwards') {
    return { from: Math.min(options.fromPosition ?? last, last), bound: 0, direction: 'backwards', maxCount, maxPosition, filter: options.filter };
  }
  return { from: options.fromPosition ?? 0, bound: last, direction: 'forwards', maxCount, maxPosition, filter: options.filter };
}

function checkObject(options: unknown): void {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError('options', 'must be an object');
}

function checkCommon(options: ReadStreamOptions | ReadAllOptions): void {
  const { direction, maxCount, asOf } = options;
  if (direction !== undefined && direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidOptionsError('direction', `must be 'forwards' or 'backwards', not ${JSON.stringify(direction)}`);
  }
  if (maxCount !== undefined && !(Number.isSafeInteger(maxCount) && maxCount >= 0)) {
    throw new InvalidOptionsError('maxCount', `must be a non-negative integer, not ${String(maxCount)}`);
  }
  if (asOf !== undefined && !(asOf instanceof Date && Number.isFinite(asOf.getTime()))) {
    throw new InvalidOptionsError('asOf', 'must be a valid Date');
  }
}

export function checkNonNegative(option: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
    throw new InvalidOptionsError(option, `must be a non-negative integer, not ${String(value)}`);
  }
}

export function checkFilter(filter: EventFilter | undefined): void {
  if (filter === undefined) return;
  if (filter === null || typeof filter !== 'object') throw new InvalidOptionsError('filter', 'must be an object { eventTypes?, streamPrefix? }');
  if (filter.eventTypes !== undefined && !(Array.isArray(filter.eventTypes) && filter.eventTypes.every((type) => typeof type === 'string'))) {
    throw new InvalidOptionsError('filter.eventTypes', 'must be an array of strings');
  }
  if (filter.streamPrefix !== undefined && typeof filter.streamPrefix !== 'string') {
    throw new InvalidOptionsError('filter.streamPrefix', 'must be a string');
  }
}
