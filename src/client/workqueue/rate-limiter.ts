/**
 * Rate limiters for re-adds of failing keys (client-go's DefaultControllerRateLimiter): each key
 * backs off exponentially on its own, so one broken object cannot spin a worker, and an overall
 * token bucket caps the retries of all keys together, so a mass failure (API server down) cannot
 * flood the API server when it returns. The delay of a re-add is the larger of the two.
 */
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import type { RateLimiterOptions } from './types.js';

/** RateLimiter decides how long a failing key waits before it is queued again. */
export interface RateLimiter {
  /** when records one more failure of key and returns the delay before its re-add. */
  when(key: string): number;
  /** forget clears key's failures (after a successful sync). */
  forget(key: string): void;
  /** numRequeues: failures recorded for key since its last forget. */
  numRequeues(key: string): number;
}

/** DEFAULT_RATE_LIMITS are client-go's: 5 ms doubling to 1000 s per key; 10 qps, burst 100. */
export const DEFAULT_RATE_LIMITS: Required<RateLimiterOptions> = {
  baseDelayMs: 5,
  maxDelayMs: 1_000_000,
  qps: 10,
  burst: 100,
};

/** FAILING_KEYS_MAX bounds the per-key failure table; a controller that never forgets its keys
 *  (runWorkers always does, on success and on giving up) is a programmer error. */
export const FAILING_KEYS_MAX = 1_000_000;

/**
 * ItemExponentialRateLimiter: delay = baseDelayMs · 2^failures, capped at maxDelayMs, per key.
 * Why per key: a key that keeps failing (bad spec) must not delay keys that succeed.
 */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseDelayMs: number,
    private readonly maxDelayMs: number,
  ) {
    assert(baseDelayMs > 0 && maxDelayMs >= baseDelayMs, 'bad exponential backoff bounds');
  }

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    if (n === 0) assert(this.failures.size < FAILING_KEYS_MAX, 'too many failing keys');
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for large n, which the cap absorbs.
    return Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * BucketRateLimiter is a token bucket on the injected clock (golang.org/x/time/rate's Reserve):
 * tokens refill at qps up to burst; each re-add takes one, and when none is left it reserves a
 * future token (the balance goes negative) and waits until that token exists. Why reservations:
 * a burst of failures is spread out at qps instead of being refused.
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly qps: number,
    private readonly burst: number,
  ) {
    assert(qps > 0 && burst >= 1, 'bad token bucket parameters');
    this.tokens = burst;
    this.lastMs = clock.nowMs();
  }

  when(_key: string): number {
    const now = this.clock.nowMs();
    const refill = (Math.max(0, now - this.lastMs) * this.qps) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + refill) - 1;
    this.lastMs = Math.max(this.lastMs, now);
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** MaxOfRateLimiter waits for the longest of its limiters; requeues are the largest count. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    assert(limiters.length > 0, 'MaxOfRateLimiter needs a limiter');
    this.limiters = limiters;
  }

  when(key: string): number {
    let delayMs = 0;
    for (const l of this.limiters) delayMs = Math.max(delayMs, l.when(key));
    return delayMs;
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    let n = 0;
    for (const l of this.limiters) n = Math.max(n, l.numRequeues(key));
    return n;
  }
}

/** defaultRateLimiter: per-key exponential backoff max'ed with the global token bucket. */
export function defaultRateLimiter(clock: Clock, o: RateLimiterOptions = {}): RateLimiter {
  const d = DEFAULT_RATE_LIMITS;
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(o.baseDelayMs ?? d.baseDelayMs, o.maxDelayMs ?? d.maxDelayMs),
    new BucketRateLimiter(clock, o.qps ?? d.qps, o.burst ?? d.burst),
  );
}
