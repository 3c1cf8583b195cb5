/**
 * TurnSlicer: the component API's calls run in slices of at most a few ms of CPU between two
 * flushes of the process's output, so a burst of calls starts moving through the cluster while
 * its tail is still being decoded.
 *
 * Why: node:http2 sends what JavaScript wrote (a store transaction, an answer) only when the
 * event loop reaches its check phase (the session's flush is a native setImmediate). A burst of
 * 100 creates arrives in one or a few socket reads, and every one of them is decoded, admitted,
 * validated and handed to the store client in that same poll phase: the first transaction leaves
 * for the store only after the last create was prepared, and the rest of the cluster (store,
 * other API servers, scheduler) has nothing of the burst to work on until then (burst timeline:
 * 0 of 100 pods stored before the last create's transaction left, in every burst). With slices
 * the first writes leave within ~budgetMs of CPU, the store commits them while this server
 * prepares the next slice, and their answers and watch events flow meanwhile.
 *
 * A window's budget is CPU time, not wall time: on a loaded machine the process loses its core
 * in the middle of windows, and wall-time windows then ended after a call or two because of
 * that, not because the server had worked long (create-burst-micro at load 10-15: wall-time
 * windows split 4 of 5 bursts; 5 ms CPU windows split 1 of 10 — a 100-create burst's
 * preparation mostly fits in one). Splitting has a price: the later calls wait behind the
 * answers and watch events the server handles between windows (2 ms CPU windows, load 8.5:
 * api.create.recv p99 79-762 ms against 22-82 ms unsliced), hence a budget that splits only
 * bursts that really hold the loop. The wall clock is read first (cheap); the process's CPU
 * clock (getrusage, ~1.3 µs) only once wall time passes the budget.
 *
 * How: a window opens at the first call after a flush and closes at the next check phase (an
 * immediate armed when it opened). A call that finds its window's budget spent waits, with all
 * calls after it, first in first out, for that check phase: the flush of the window's output
 * runs first (native immediates precede JavaScript's), then the waiting calls run in a new
 * window, as many as its budget allows, the rest wait for the next. Nothing is reordered — flow
 * control (APF) sees calls in arrival order — and nothing is refused; the first call of every
 * window runs, so a lone expensive call is never starved. Both clocks are injected: on clocks
 * that do not move no budget is ever spent and no call waits.
 *
 * Bounded by what is waiting: calls HTTP/2 accepted (its concurrent-streams limit per
 * connection), each one closure.
 */
import { assert } from '../../base/assert.js';

/** TURN_BUDGET_MS: the CPU time a window runs calls for before the rest wait for the next. */
export const TURN_BUDGET_MS = 5;

/** Run calls a queue that never empties (sustained overload) are dropped from its head. */
const COMPACT_AT = 1024;

/** Defer runs fn at the event loop's next check phase (setImmediate; tests drive it by hand). */
export type Defer = (fn: () => void) => void;

/** SliceClocks: wall time (a monotonic clock) and the process's CPU time, both in ms. */
export interface SliceClocks {
  wallMs: () => number;
  cpuMs: () => number;
}

/** processCpuMs: this process's CPU time (user + system, all threads) in ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export class TurnSlicer {
  /** When the open window started (wallMs); undefined: none open (the next call opens one). */
  private windowStartMs: number | undefined;
  /** The process's CPU time when the open window started (cpuMs). */
  private windowCpuMs = 0;
  /** Calls waiting for a window, oldest at head. */
  private waiting: ((() => void) | undefined)[] = [];
  private head = 0;
  /** Whether the window's close is armed (one immediate per window). */
  private armed = false;

  constructor(
    private readonly clocks: SliceClocks,
    private readonly budgetMs = TURN_BUDGET_MS,
    private readonly defer: Defer = setImmediate,
  ) {
    assert(budgetMs > 0, 'TurnSlicer: budgetMs must be > 0');
  }

  /** waitingCount: calls waiting for a window (tests, stats). */
  get waitingCount(): number {
    return this.waiting.length - this.head;
  }

  /** run runs fn now if the open window has budget left (and nothing waits), else later, in
   *  arrival order. */
  run(fn: () => void): void {
    if (this.head === this.waiting.length && this.hasBudget()) {
      fn();
      return;
    }
    this.waiting.push(fn);
    this.arm();
  }

  /** hasBudget opens a window if none is open; true while the open one has budget left. */
  private hasBudget(): boolean {
    if (this.windowStartMs === undefined) {
      this.open();
      this.arm();
      return true;
    }
    return this.spentMs(this.windowStartMs) < this.budgetMs;
  }

  private open(): void {
    this.windowStartMs = this.clocks.wallMs();
    this.windowCpuMs = this.clocks.cpuMs();
  }

  /** spentMs: the window's CPU time — its wall time while that is under budget (a process
   *  spends no more CPU than wall time on its one JavaScript thread), read only past it. */
  private spentMs(startMs: number): number {
    const wall = this.clocks.wallMs() - startMs;
    return wall < this.budgetMs ? wall : this.clocks.cpuMs() - this.windowCpuMs;
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    this.defer(this.windowClosed);
  }

  /** windowClosed: the check phase after a window (its output flushed): waiting calls get the
   *  next window. */
  private readonly windowClosed = (): void => {
    this.armed = false;
    this.windowStartMs = undefined;
    if (this.head === this.waiting.length) return;
    this.open();
    const start = this.windowStartMs!;
    this.arm();
    do {
      const fn = this.waiting[this.head];
      this.waiting[this.head++] = undefined;
      fn?.();
    } while (this.head < this.waiting.length && this.spentMs(start) < this.budgetMs);
    if (this.head === this.waiting.length || this.head > COMPACT_AT) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  };
}
