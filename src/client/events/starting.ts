/**
 * StartingWork: the busy signal a component gives its event sink (EventRecorder.yieldTo): the
 * keys of pods it is starting (the kubelet: pods with a worker that have not reported past
 * Pending; the scheduler: pods it bound that its informer has not yet seen past Pending). busy()
 * is read every few tens of ms while Events are held, so it is a size check, not a scan: keys
 * are kept in the order they began, and those older than maxAgeMs are forgotten from the front
 * as busy() is read — a pod that takes longer than that to start (a long image pull, a crash
 * loop, a pod nobody watches any more) is no burst, and must not hold Events for ever. At most
 * keysMax keys are kept (the oldest is forgotten first).
 */
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';

/** STARTING_LIMITS: how old and how many starting keys are kept. */
export const STARTING_LIMITS = {
  /** A key this old no longer counts (two holds of recorder.ts's holdMaxMs). */
  maxAgeMs: 4_000,
  /** Keys kept at once; beyond, the oldest is forgotten. */
  keysMax: 10_000,
} as const;

/** StartingWork: keys of pods being started, each with when it began. */
export class StartingWork {
  /** Map order is begin order: re-inserted on a new begin, pruned from the front. */
  private readonly began = new Map<string, number>();

  constructor(private readonly clock: Pick<Clock, 'nowMs'>,
    private readonly maxAgeMs: number = STARTING_LIMITS.maxAgeMs) {
    assert(maxAgeMs > 0, `StartingWork: maxAgeMs ${maxAgeMs}`);
  }

  /** begin: key's pod is being started (again: its age starts over). */
  begin(key: string): void {
    this.began.delete(key);
    this.began.set(key, this.clock.nowMs());
    if (this.began.size > STARTING_LIMITS.keysMax) {
      const oldest = this.began.keys().next().value;
      if (oldest !== undefined) this.began.delete(oldest);
    }
  }

  /** end: key's pod started, failed or went away. */
  end(key: string): void {
    this.began.delete(key);
  }

  /** busy: some pod began less than maxAgeMs ago and has not ended (forgets older ones). */
  busy(): boolean {
    const nowMs = this.clock.nowMs();
    for (const [key, atMs] of this.began) {
      if (nowMs - atMs < this.maxAgeMs) return true;
      this.began.delete(key);
    }
    return false;
  }

  /** size: keys kept (older ones are forgotten only as busy() reads them). */
  get size(): number {
    return this.began.size;
  }
}
