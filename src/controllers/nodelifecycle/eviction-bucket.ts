/**
 * The eviction rate limit (upstream --node-eviction-rate, 0.1 nodes/s): how fast nodes may start
 * evicting, i.e. receive a NoExecute taint they did not have. Why: when many nodes go silent at
 * once the likelier cause is the network or the control plane, not the nodes, and evicting every
 * pod in the cluster at once would turn a blip into an outage. A token bucket (burst 1) whose
 * time is passed in, so it stays deterministic under the simulator.
 */
import { assert } from '../../base/assert.js';

/** EvictionBucket hands out one token per 1/ratePerSecond seconds, holding at most one. */
export class EvictionBucket {
  private tokens = 1;
  private lastMs: number | undefined;

  constructor(private readonly ratePerSecond: number) {
    assert(ratePerSecond > 0 && Number.isFinite(ratePerSecond), 'eviction rate must be > 0');
  }

  /** waitMs: 0 when a token is available at nowMs, else how long until one is. */
  waitMs(nowMs: number): number {
    const t = this.refill(nowMs);
    return t >= 1 ? 0 : Math.ceil(((1 - t) * 1000) / this.ratePerSecond);
  }

  /** tryTake takes a token at nowMs; false when there is none. */
  tryTake(nowMs: number): boolean {
    this.tokens = this.refill(nowMs);
    this.lastMs = Math.max(this.lastMs ?? nowMs, nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(nowMs: number): number {
    const elapsedMs = this.lastMs === undefined ? 0 : Math.max(0, nowMs - this.lastMs);
    return Math.min(1, this.tokens + (elapsedMs * this.ratePerSecond) / 1000);
  }
}
