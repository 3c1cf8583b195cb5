/**
 * Clock is the only way k8ts code reads time or sets timers, so the simulator can run the same
 * code on virtual time. SystemClock is the production one; SimClock lives in src/sim.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** nowMs returns milliseconds on a monotonic clock (not wall time). */
  nowMs(): number;
  /** setTimeout runs fn once after delayMs. */
  setTimeout(fn: () => void, delayMs: number): Timer;
  /** setInterval runs fn every periodMs until cancelled. */
  setInterval(fn: () => void, periodMs: number): Timer;
}

/** SystemClock is real time: performance.now() and Node's timers. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  setTimeout(fn, delayMs) {
    const h = setTimeout(fn, delayMs);
    return { cancel: () => clearTimeout(h) };
  },
  setInterval(fn, periodMs) {
    const h = setInterval(fn, periodMs);
    return { cancel: () => clearInterval(h) };
  },
};
