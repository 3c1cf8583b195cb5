/**
 * actorClock: the project's Clock as the timer interface an XState actor system schedules its
 * delayed events and transitions with (createActor's `clock` option), so a machine's `after`
 * delays run on the injected clock (a test's, the simulator's) like every other timer. Used by
 * the kubelet's pod workers and the process runtime's container machines.
 */
import type { Clock, Timer } from './clock.js';

/** ActorClock is what XState's createActor takes as `clock`. */
export interface ActorClock {
  setTimeout(fn: () => void, delayMs: number): Timer;
  clearTimeout(timer: Timer): void;
}

/** actorClock adapts clock (see the file comment). */
export function actorClock(clock: Clock): ActorClock {
  return {
    setTimeout: (fn, delayMs) => clock.setTimeout(fn, delayMs),
    clearTimeout: (timer) => timer.cancel(),
  };
}
