/**
 * SimClock is virtual time for the deterministic simulator. Nothing happens between events: the
 * harness pops the next event, jumps the clock to its time and runs it. Events due at the same
 * virtual ms run in insertion order (a sequence number breaks ties), so a seed replays exactly —
 * a heap ordered by time alone would run equal-time events in an order that depends on its shape.
 */
import { assert } from '../base/assert.js';
import type { Clock, Timer } from '../base/clock.js';

interface SimEvent {
  atMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Bound on queued events: more means something schedules without limit (a bug, not load). */
const EVENTS_MAX = 1_000_000;

export class SimClock implements Clock {
  private nowMsValue = 0;
  private seq = 0;
  /** Binary min-heap ordered by (atMs, seq). */
  private readonly heap: SimEvent[] = [];

  nowMs(): number {
    return this.nowMsValue;
  }

  setTimeout(fn: () => void, delayMs: number): Timer {
    assert(Number.isFinite(delayMs) && delayMs >= 0, `bad delay ${delayMs}`);
    const ev: SimEvent = { atMs: this.nowMsValue + delayMs, seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return { cancel: () => (ev.cancelled = true) };
  }

  setInterval(fn: () => void, periodMs: number): Timer {
    assert(periodMs > 0, `interval period must be > 0, got ${periodMs}`);
    let cancelled = false;
    let current: Timer | undefined;
    const fire = (): void => {
      if (cancelled) return;
      current = this.setTimeout(fire, periodMs);
      fn();
    };
    current = this.setTimeout(fire, periodMs);
    return {
      cancel: () => {
        cancelled = true;
        current?.cancel();
      },
    };
  }

  /** pending counts queued events, cancelled ones included (they are dropped when popped). */
  pending(): number {
    return this.heap.length;
  }

  /** nextAtMs is the time of the earliest queued event, undefined when none is queued. */
  nextAtMs(): number | undefined {
    return this.heap[0]?.atMs;
  }

  /** step runs the earliest live event; false when the queue is empty. */
  step(): boolean {
    for (;;) {
      const ev = this.pop();
      if (ev === undefined) return false;
      if (ev.cancelled) continue;
      assert(ev.atMs >= this.nowMsValue, 'virtual time went backwards');
      this.nowMsValue = ev.atMs;
      ev.fn();
      return true;
    }
  }

  /** advanceTo moves time forward to atMs without running anything (no event may be due before). */
  advanceTo(atMs: number): void {
    const next = this.nextAtMs();
    assert(next === undefined || next >= atMs, 'advanceTo would skip a due event');
    if (atMs > this.nowMsValue) this.nowMsValue = atMs;
  }

  private push(ev: SimEvent): void {
    const h = this.heap;
    assert(h.length < EVENTS_MAX, `more than ${EVENTS_MAX} events queued`);
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): SimEvent | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
