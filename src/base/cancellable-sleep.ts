/**
 * CancellableSleep is the pause a retry loop takes between attempts (a reflector's backoff, a
 * watch's re-open delay) that stopping the loop must cut short: stop() should not wait out a
 * backoff of seconds. cancel() ends the current sleep at once and makes every later sleep return
 * immediately, so the loop sees its stopped flag on the next turn.
 */
import type { Clock, Timer } from './clock.js';

export class CancellableSleep {
  private sleeping: { timer: Timer; wake: () => void } | undefined;
  private cancelled = false;

  constructor(private readonly clock: Clock) {}

  /** sleep resolves after delayMs on the injected clock, or at once when cancelled. */
  sleep(delayMs: number): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleeping = undefined;
        resolve();
      };
      this.sleeping = { timer: this.clock.setTimeout(wake, delayMs), wake };
    });
  }

  /** cancel wakes the current sleeper now; later sleeps return at once. */
  cancel(): void {
    this.cancelled = true;
    const s = this.sleeping;
    if (s === undefined) return;
    s.timer.cancel();
    s.wake();
  }
}
