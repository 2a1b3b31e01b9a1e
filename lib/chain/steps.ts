/**
 * Long computations (building or checking a 64 MiB segment) are written once as generators that
 * yield between slices of work: run straight through by `runSteps`, or with a turn of the event
 * loop at each yield by the sealer, so that appends keep flowing while a segment seals.
 */
export type Steps<T> = Generator<void, T, void>;

/** How much work a slice does before it yields. */
export const EVENTS_PER_STEP = 2048;
export const BYTES_PER_STEP = 1024 * 1024;

export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}
