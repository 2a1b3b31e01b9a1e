/**
 * The events every workload appends and the shape of the read fixture (W5–W9), computed the same
 * way in every process and for every store (a seeded PRNG, no state on disk).
 *
 * The fixture: `events` events (~300 B of JSON data each) in events/10 streams. One stream in 100
 * has 100 events (W7 reads those); the other streams share the rest (9 or 10 events each for the
 * default size). Every event is its own 1-event commit and the order of the commits is a seeded
 * shuffle of all the events, so a stream's events are spread through the whole log.
 */

import { seededRandom } from '../test/support/seeded-random';

/** Target size of an event's JSON data. */
export const DATA_BYTES = 300;
const REFERENCE = 'x'.repeat(DATA_BYTES - 160);
export const EVENT_TYPE = 'MoneyDeposited';
export const LONG_STREAM_EVENTS = 100;

/** An event's data as an application would append it: ~300 bytes once JSON-encoded. */
export function eventData(streamId: string, version: number): Record<string, unknown> {
  return { streamId, version, accountId: streamId, amount: 1000 + (version % 977), currency: 'EUR', at: new Date(1795500000000 + version).toISOString(), reference: REFERENCE };
}

/** One append's events as the append workloads make them: `count` versions of `streamId` from `firstVersion`. */
export function appendedEvents(streamId: string, firstVersion: number, count: number): Array<{ type: string; data: Record<string, unknown> }> {
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  for (let i = 0; i < count; i++) events.push({ type: EVENT_TYPE, data: eventData(streamId, firstVersion + i) });
  return events;
}

export interface Shape {
  events: number;
  streams: number;
  longStreams: number;
}

export function shapeOf(events: number): Shape {
  const streams = Math.max(1, Math.floor(events / 10));
  const longStreams = Math.max(1, Math.round(streams / 100));
  if (longStreams * LONG_STREAM_EVENTS + (streams - longStreams) > events) throw new Error(`${events} events are too few for ${streams} streams`);
  return { events, streams, longStreams };
}

/** Stream i's name: the first `longStreams` are the 100-event streams. */
export function streamName(shape: Shape, i: number): string {
  return i < shape.longStreams ? `long-${i}` : `account-${i}`;
}

/** Events of stream i. */
export function streamLength(shape: Shape, i: number): number {
  if (i < shape.longStreams) return LONG_STREAM_EVENTS;
  const rest = shape.events - shape.longStreams * LONG_STREAM_EVENTS;
  const others = shape.streams - shape.longStreams;
  const base = Math.floor(rest / others);
  return i - shape.longStreams < rest - base * others ? base + 1 : base;
}


/** The stream of each commit, in log order: every stream index repeated by its length, shuffled. */
export function commitOrder(shape: Shape): Uint32Array {
  const order = new Uint32Array(shape.events);
  let at = 0;
  for (let i = 0; i < shape.streams; i++) for (let n = streamLength(shape, i); n > 0; n--) order[at++] = i;
  if (at !== shape.events) throw new Error(`shape adds up to ${at} events, not ${shape.events}`);
  const random = seededRandom(42);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}

/** W7's reads: warm-up streams (short ones), then random 100-event streams. */
export function readPlan(shape: Shape, reads: number, seed: number): { warmup: string[]; measured: string[] } {
  const random = seededRandom(seed);
  const warmup = Array.from({ length: 200 }, () => streamName(shape, shape.longStreams + Math.floor(random() * (shape.streams - shape.longStreams))));
  const measured = Array.from({ length: reads }, () => streamName(shape, Math.floor(random() * shape.longStreams)));
  return { warmup, measured };
}
