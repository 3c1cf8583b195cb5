/**
 * The workqueue implementation (client-go's util/workqueue Type + delaying + rate-limiting
 * queues in one class). Three sets carry the whole contract:
 * - dirty: keys that need processing (an add of a dirty key is a no-op: adds collapse);
 * - processing: keys a worker holds (a dirty key that is processing is NOT queued, so no key is
 *   ever handed to two workers at once; done() queues it again if it became dirty meanwhile);
 * - the ready FIFO: dirty keys not processing, in the order they became ready (fairness).
 * Delayed adds wait on the injected Clock (one timer per key, the earliest wins).
 */
import { assert } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import { defaultRateLimiter, type RateLimiter } from './rate-limiter.js';
import type { RateLimiterOptions, WorkQueue } from './types.js';

/** KEYS_MAX bounds the keys a queue holds (dirty + delayed): generous (a million objects per
 *  resource is beyond any k8ts cluster); exceeding it means a key leak, a programmer error. */
export const KEYS_MAX = 1_000_000;

/** WorkQueueOptions: the clock for delays, a name for logs, and the re-add rate limiter. */
export interface WorkQueueOptions {
  clock: Clock;
  /** e.g. "replicaset": names the queue in logs and assertion messages. */
  name: string;
  /** A limiter, or options for the default one (defaultRateLimiter). */
  rateLimiter?: RateLimiter | RateLimiterOptions;
  /** Bound on held keys (default KEYS_MAX). */
  keysMax?: number;
}

interface Delayed {
  readyAtMs: number;
  timer: Timer;
}

/** RateLimitingWorkQueue implements WorkQueue (see ./types.ts for the contract). */
export class RateLimitingWorkQueue implements WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly keysMax: number;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** Ready keys: ready[head..] (a head index keeps dequeue O(1)). */
  private ready: string[] = [];
  private head = 0;
  private readonly delayed = new Map<string, Delayed>();
  /** Workers blocked in get(), oldest first; only non-empty while ready is empty. */
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(o: WorkQueueOptions) {
    this.name = o.name;
    this.clock = o.clock;
    const rl = o.rateLimiter;
    this.limiter = rl !== undefined && 'when' in rl ? rl : defaultRateLimiter(o.clock, rl);
    this.keysMax = o.keysMax ?? KEYS_MAX;
    assert(this.keysMax > 0, 'keysMax must be > 0');
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.assertRoom(key);
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done() queues it
    this.pushReady(key);
  }

  addAfter(key: string, delayMs: number): void {
    assert(Number.isFinite(delayMs), `${this.name}: bad delay ${delayMs} for ${key}`);
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const readyAtMs = this.clock.nowMs() + delayMs;
    const prev = this.delayed.get(key);
    if (prev !== undefined) {
      if (prev.readyAtMs <= readyAtMs) return; // an earlier add wins
      prev.timer.cancel();
    } else {
      this.assertRoom(key);
    }
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { readyAtMs, timer });
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.popReady();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    assert(this.processing.has(key), `${this.name}: done(${key}) for a key not processing`);
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.pushReady(key);
  }

  len(): number {
    return this.ready.length - this.head;
  }

  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.timer.cancel();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** isShuttingDown: shutDown() has been called. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** pushReady queues a dirty, not processing key, or hands it to a waiting worker at once. */
  private pushReady(key: string): void {
    assert(this.dirty.has(key) && !this.processing.has(key), `${this.name}: bad ready ${key}`);
    this.ready.push(key);
    const waiter = this.waiters.shift();
    if (waiter === undefined) return;
    const next = this.popReady();
    assert(next !== undefined, 'ready key vanished');
    waiter(next);
  }

  /** popReady takes the oldest ready key and marks it processing. */
  private popReady(): string | undefined {
    if (this.head >= this.ready.length) return undefined;
    const key = this.ready[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private assertRoom(key: string): void {
    const held = this.dirty.size + this.delayed.size;
    assert(held < this.keysMax, `${this.name}: more than ${this.keysMax} keys queued (${key})`);
  }
}

/** newWorkQueue is the usual way to make a controller's queue. */
export function newWorkQueue(o: WorkQueueOptions): RateLimitingWorkQueue {
  return new RateLimitingWorkQueue(o);
}
