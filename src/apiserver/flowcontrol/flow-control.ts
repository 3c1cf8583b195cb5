/**
 * FlowControl: API Priority and Fairness for one API server's mutating requests. Every write
 * takes a seat (bounding the writes in flight to the store, so its queue stays short); when none
 * is free it waits in its priority level's fair queue (levels.ts, fair-queue.ts).
 *
 * Seats: each queuing level has a nominal share of totalSeats. A free seat goes first to a level
 * under its share (in LEVELS order), else — borrowing, as upstream's levels borrow idle seats —
 * to the levels with waiters in turn, so a lone busy level still uses the whole server.
 *
 * Waiting is bounded in count (a full flow or level answers 429 at once) and in time: a request
 * waits at most maxWaitMs, and never past its caller's own deadline. Why the deadline matters:
 * a write still queued after its client gave up would be applied for nobody while the client
 * retries it — under overload that is how a server ends up doing only work nobody waits for
 * (measured: 1,000 hollow kubelets' status writes, each timed out at 5 s, all stalled). A request
 * whose caller is gone (cancelled) is dropped unrun. Timed-out waiters get upstream's answer:
 * 429 TooManyRequests with Retry-After; nothing was applied, so the client may retry.
 */
import { StatusError } from '../../api/errors.js';
import { assert } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import { FairQueue } from './fair-queue.js';
import { classify, LEVELS, nominalSeats, type LevelName, type RequestAttrs } from './levels.js';

/** FLOW_LIMITS: the defaults (kube-apiserver allows 200 mutating requests in flight; on 2 cores
 *  a short store queue matters more than width). */
export const FLOW_LIMITS = {
  totalSeats: 32,
  /** Waiting requests per level (upstream: queues × queueLengthLimit, 64 × 50). */
  levelQueueMax: 5_000,
  /** Waiting requests per flow (one client) in a level. */
  flowQueueMax: 1_000,
  /** Longest wait for a seat (upstream waits up to a quarter of the request timeout). */
  maxWaitMs: 4_000,
  /** How often waiters are checked for expiry while any wait. */
  sweepMs: 100,
  /** Refusals are summed into one log line per this period (only while there are any). */
  reportMs: 10_000,
} as const;

/** CallerEdge: what the transport knows of the caller. */
export interface CallerEdge {
  /** The caller's deadline on the clock's timeline; undefined: none. */
  deadlineMs?: number;
  /** True once the caller has gone (reset the stream). */
  cancelled?: () => boolean;
}

/** FlowStats: counters for logs and tests. */
export interface FlowStats {
  inFlight: number;
  waiting: number;
  rejectedFull: number;
  rejectedTimeout: number;
  droppedCancelled: number;
}

interface Waiter {
  flow: string;
  expiresAtMs: number;
  cancelled: () => boolean;
  admit: () => void;
  refuse: (err: unknown) => void;
}

interface LevelState {
  name: LevelName;
  nominal: number;
  inFlight: number;
  queue: FairQueue<Waiter>;
}

type Limits = { -readonly [K in keyof typeof FLOW_LIMITS]: number };

/** FlowControl: run(attrs, edge, write) performs write when a seat is free. */
export class FlowControl {
  private readonly limits: Limits;
  private readonly levels = new Map<LevelName, LevelState>();
  private readonly order: LevelState[] = [];
  private inFlight = 0;
  private waiting = 0;
  private borrowTurn = 0;
  private sweeper: Timer | undefined;
  private readonly counts = { rejectedFull: 0, rejectedTimeout: 0, droppedCancelled: 0 };
  private reported = { ...this.counts };
  private reporter: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    limits: Partial<Limits> = {},
    private readonly log: (line: string) => void = () => {},
  ) {
    this.limits = { ...FLOW_LIMITS, ...limits };
    assert(this.limits.totalSeats >= 1 && this.limits.maxWaitMs > 0, 'flow control: bad limits');
    const nominal = nominalSeats(this.limits.totalSeats);
    for (const l of LEVELS) {
      const seats = nominal.get(l.name);
      if (seats === undefined) continue;
      const s: LevelState = { name: l.name, nominal: seats, inFlight: 0,
        queue: new FairQueue(this.limits.levelQueueMax, this.limits.flowQueueMax) };
      this.levels.set(l.name, s);
      this.order.push(s);
    }
  }

  /** run performs write in the request's level, after waiting for a seat if it must. */
  async run<T>(attrs: RequestAttrs, edge: CallerEdge, write: () => Promise<T>): Promise<T> {
    const c = classify(attrs);
    const level = this.levels.get(c.level);
    if (level === undefined) return write();
    if (this.waiting === 0 && this.inFlight < this.limits.totalSeats) this.take(level);
    else await this.wait(level, c.flow, edge);
    try {
      return await write();
    } finally {
      level.inFlight--;
      this.inFlight--;
      this.dispatch();
    }
  }

  /** stats reports the counters (summed over levels). */
  stats(): FlowStats {
    return { inFlight: this.inFlight, waiting: this.waiting, ...this.counts };
  }

  /** stop ends the timers: the expiry sweep and the refusal report (waiters still get seats
   *  as writes finish; the sweep starts again if any wait). */
  stop(): void {
    this.stopSweep();
    this.reporter?.cancel();
    this.reporter = undefined;
  }

  private stopSweep(): void {
    this.sweeper?.cancel();
    this.sweeper = undefined;
  }

  /** refuse answers w's caller 429 and counts why. */
  private refuse(why: keyof FlowControl['counts'], refuse: (err: unknown) => void): void {
    this.counts[why]++;
    refuse(tooManyRequests());
    this.reporter ??= this.clock.setTimeout(() => this.report(), this.limits.reportMs);
  }

  /** report logs the refusals since the last line: an overloaded server says so. */
  private report(): void {
    this.reporter = undefined;
    const c = this.counts;
    const r = this.reported;
    this.log(`flow control: refused ${c.rejectedFull - r.rejectedFull} writes (queue full), ` +
      `${c.rejectedTimeout - r.rejectedTimeout} (waited too long), dropped ` +
      `${c.droppedCancelled - r.droppedCancelled} (caller gone) in the last ` +
      `${this.limits.reportMs / 1000} s; ${this.waiting} waiting, ${this.inFlight} in flight`);
    this.reported = { ...c };
  }

  private take(level: LevelState): void {
    level.inFlight++;
    this.inFlight++;
  }

  private wait(level: LevelState, flow: string, edge: CallerEdge): Promise<void> {
    const now = this.clock.nowMs();
    const expiresAtMs = Math.min(now + this.limits.maxWaitMs, edge.deadlineMs ?? Infinity);
    if (expiresAtMs <= now) {
      let err: unknown;
      this.refuse('rejectedTimeout', (e) => (err = e));
      return Promise.reject(err);
    }
    return new Promise<void>((admit, refuse) => {
      const w: Waiter = { flow, expiresAtMs, cancelled: edge.cancelled ?? (() => false),
        admit: () => { this.take(level); admit(); }, refuse };
      if (!level.queue.push(w)) {
        this.refuse('rejectedFull', refuse);
        return;
      }
      this.waiting++;
      this.sweeper ??= this.clock.setInterval(() => this.sweep(), this.limits.sweepMs);
      this.dispatch();
    });
  }

  /** dispatch hands free seats to waiters: under-share levels first, then borrowing in turn. */
  private dispatch(): void {
    while (this.inFlight < this.limits.totalSeats && this.waiting > 0) {
      const level = this.order.find((l) => l.queue.size > 0 && l.inFlight < l.nominal) ??
        this.nextBorrower();
      const w = level?.queue.pop();
      assert(w !== undefined, 'flow control: waiting count out of step with the queues');
      this.waiting--;
      if (this.gone(w)) continue;
      w.admit();
    }
    if (this.waiting === 0) this.stopSweep();
  }

  private nextBorrower(): LevelState | undefined {
    for (let i = 0; i < this.order.length; i++) {
      const l = this.order[(this.borrowTurn + i) % this.order.length];
      if (l !== undefined && l.queue.size > 0) {
        this.borrowTurn = (this.borrowTurn + i + 1) % this.order.length;
        return l;
      }
    }
    return undefined;
  }

  /** gone refuses w if its time is up or its caller left; true then. */
  private gone(w: Waiter): boolean {
    if (w.cancelled()) {
      this.refuse('droppedCancelled', w.refuse);
      return true;
    }
    if (w.expiresAtMs <= this.clock.nowMs()) {
      this.refuse('rejectedTimeout', w.refuse);
      return true;
    }
    return false;
  }

  private sweep(): void {
    for (const l of this.order) {
      this.waiting -= l.queue.removeWhere((w) => this.gone(w)).length;
    }
    if (this.waiting === 0) this.stopSweep();
  }
}

/** tooManyRequests: upstream APF's rejection, retryable (nothing was applied). */
export function tooManyRequests(): StatusError {
  return new StatusError(429, 'TooManyRequests',
    'Too many requests, please try again later.', { retryAfterSeconds: 1 });
}
