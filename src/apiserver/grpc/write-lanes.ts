/**
 * WriteLanes: a small piece of kube-apiserver's API Priority and Fairness for the component API.
 * Leader election must not wait behind the bulk writes of the very components it elects: a
 * scheduler binding thousands of pods (plus their events) fills the store's queue, a Lease
 * renewal queued behind them misses its deadline, and the leader steps down for nothing — over
 * and over (measured: the scheduler changed terms every second while binding 10,000 pods).
 * So, per API server: writes to coordination.k8s.io Leases go straight through (upstream's
 * "leader-election" priority level); every other write takes one of `workloadSeats` seats, and
 * waits in a bounded FIFO when none is free; past the queue it is refused with 429 and a
 * Retry-After, as APF refuses (nothing was applied, so the client may retry).
 */
import { StatusError } from '../../api/errors.js';
import { assert } from '../../base/assert.js';
import type { ResourceInfo } from '../../api/resources.js';

/** WRITE_SEATS: workload writes in flight per API server (kube-apiserver's default is 200
 *  mutating requests in total; on 2 cores a short store queue matters more than width). */
export const WRITE_SEATS = 32;
/** WRITE_QUEUE_MAX: workload writes waiting for a seat before 429. */
export const WRITE_QUEUE_MAX = 10_000;

export class WriteLanes {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly seats = WRITE_SEATS,
    private readonly queueMax = WRITE_QUEUE_MAX,
  ) {
    assert(seats >= 1 && queueMax >= 0, 'write lanes: bad limits');
  }

  /** run performs a write of resource r in its lane. */
  async run<T>(r: ResourceInfo, write: () => Promise<T>): Promise<T> {
    if (r.group === 'coordination.k8s.io' && r.resource === 'leases') return write();
    if (this.inFlight >= this.seats) {
      if (this.waiting.length >= this.queueMax) throw tooManyRequests();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.inFlight++;
    }
    try {
      return await write();
    } finally {
      // Hand the seat straight to the next waiter (inFlight unchanged), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    }
  }
}

function tooManyRequests(): StatusError {
  return new StatusError(429, 'TooManyRequests',
    'Too many requests, please try again later.', { retryAfterSeconds: 1 });
}
