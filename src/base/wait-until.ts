/**
 * waitUntil: the bounded poll a starting component uses to wait for something it needs (its
 * runtime's socket, an API server's port). Pure of I/O: the probe and the clock are given, so
 * callers in src/kubelet and src/cluster share one loop instead of each writing their own.
 */
import type { Clock } from './clock.js';

/** WaitOptions: how long and how often to try. */
export interface WaitOptions {
  clock: Clock;
  /** Give up (and resolve false) after this long. */
  maxMs: number;
  /** Pause between attempts. */
  pollMs: number;
}

/** waitUntil calls probe until it resolves true or maxMs has passed (then false). */
export async function waitUntil(probe: () => Promise<boolean>, o: WaitOptions): Promise<boolean> {
  const startMs = o.clock.nowMs();
  for (;;) {
    if (await probe()) return true;
    if (o.clock.nowMs() - startMs >= o.maxMs) return false;
    await new Promise<void>((resolve) => o.clock.setTimeout(resolve, o.pollMs));
  }
}
