/**
 * Jittered, bounded exponential backoff between retries (Temporal's retry interceptor, clientv3's
 * jittered waits): the n-th wait is drawn from [½·d, d] with d = min(maxMs, baseMs·2^n), so
 * retries of many clients spread out and no single wait exceeds maxMs. Pure: randomness is passed
 * in (a seeded Prng in tests, Math.random in the client).
 */
import { assert } from '../../base/assert.js';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** DEFAULT_BACKOFF: 25 ms doubling to at most 1 s, the scale of an election on a busy store. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 25, maxMs: 1_000 };

/** backoffMs returns the wait before retry number `retry` (0 = first retry); `random` in [0,1). */
export function backoffMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  assert(retry >= 0 && Number.isInteger(retry), `backoffMs: bad retry ${retry}`);
  assert(policy.baseMs > 0 && policy.maxMs >= policy.baseMs, 'backoffMs: bad policy');
  const ceilingMs = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(retry, 30));
  const r = random();
  assert(r >= 0 && r < 1, `backoffMs: random() gave ${r}`);
  return Math.round(ceilingMs / 2 + (ceilingMs / 2) * r);
}
