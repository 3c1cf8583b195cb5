/**
 * Per-pod backoff (upstream's podInitialBackoffDuration 1 s, podMaxBackoffDuration 10 s): a
 * pod that failed n attempts waits initial × 2^(n-1), capped, before it is tried again, so a
 * pod that cannot fit does not spin the scheduler while a pod that just raced a bind retries
 * quickly.
 */
import { assert } from '../../base/assert.js';

/** DEFAULT_INITIAL_BACKOFF_MS and DEFAULT_MAX_BACKOFF_MS are upstream's defaults. */
export const DEFAULT_INITIAL_BACKOFF_MS = 1_000;
export const DEFAULT_MAX_BACKOFF_MS = 10_000;

/** backoffDelayMs: the wait after `attempts` failed attempts (≥ 1). */
export function backoffDelayMs(attempts: number, initialMs = DEFAULT_INITIAL_BACKOFF_MS,
  maxMs = DEFAULT_MAX_BACKOFF_MS): number {
  assert(initialMs > 0 && maxMs >= initialMs, 'backoffDelayMs: bad bounds');
  let delay = initialMs;
  for (let i = 1; i < attempts; i++) {
    if (delay > maxMs - delay) return maxMs;
    delay += delay;
  }
  return Math.min(delay, maxMs);
}
