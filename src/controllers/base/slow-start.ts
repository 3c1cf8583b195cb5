/**
 * slowStartBatch (kube-controller-manager's slowStartBatch): run `count` calls in batches of 1, 2,
 * 4, ... concurrent calls, stopping after the first batch with a failure. A controller whose pods
 * are all refused (quota, admission, a namespace being deleted) then makes one failing call, not
 * hundreds; one that succeeds reaches full speed after a few doublings.
 */
import { assert } from '../../base/assert.js';

/** SLOW_START_INITIAL_BATCH: the first batch's size (upstream's SlowStartInitialBatchSize). */
export const SLOW_START_INITIAL_BATCH = 1;

/** SlowStartResult: how many calls succeeded, and the first error that stopped the rest. */
export interface SlowStartResult {
  successes: number;
  /** Calls never made because an earlier batch failed. */
  skipped: number;
  error?: unknown;
}

/** slowStartBatch calls fn(i) for i in [0, count) as described above; never throws. */
export async function slowStartBatch(
  count: number,
  fn: (i: number) => Promise<void>,
): Promise<SlowStartResult> {
  assert(Number.isInteger(count) && count >= 0, `slowStartBatch: bad count ${count}`);
  let next = 0;
  let successes = 0;
  for (let size = SLOW_START_INITIAL_BATCH; next < count; size *= 2) {
    const batch = Math.min(size, count - next);
    const outcomes = await Promise.allSettled(Array.from({ length: batch }, (_, j) =>
      fn(next + j)));
    next += batch;
    const failure = outcomes.find((o) => o.status === 'rejected');
    successes += outcomes.filter((o) => o.status === 'fulfilled').length;
    if (failure !== undefined) return { successes, skipped: count - next, error: failure.reason };
  }
  return { successes, skipped: 0 };
}
