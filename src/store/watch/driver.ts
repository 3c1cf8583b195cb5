/**
 * The thin shell that runs a WatchHub on a Clock: catch-up steps on a zero-delay timer, progress
 * ticks on an interval, and etcd's no-leader watchdog. Everything here is wiring; the decisions
 * live in hub.ts.
 */
import { assert } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import type { StoreView } from '../types.js';
import { WatchHub, type WatchHubOptions } from './hub.js';

/** MAX_NO_LEADER_COUNT is etcd's maxNoLeaderCnt: streams that required a leader are ended after
 *  this many consecutive election timeouts without one. */
export const MAX_NO_LEADER_COUNT = 3;

/** WatchHubDriver is a running hub; stop() cancels its timers (streams stay with the caller). */
export interface WatchHubDriver {
  hub: WatchHub;
  stop(): void;
}

export type DriveOptions = Omit<WatchHubOptions, 'nowMs' | 'schedule'>;

/** driveWatchHub creates a hub over `view` and runs it on `clock`. The caller still connects
 *  publish: `state.onRevision = (ev) => hub.publish(ev)`, and calls hub.restored() after
 *  restoring a snapshot. */
export function driveWatchHub(view: StoreView, clock: Clock, o: DriveOptions = {}): WatchHubDriver {
  let stopped = false;
  const hub = new WatchHub(view, {
    ...o,
    nowMs: () => clock.nowMs(),
    schedule: (run) => {
      clock.setTimeout(() => {
        if (!stopped) run();
      }, 0);
    },
  });
  const tickMs = Math.min(1_000, Math.max(10, Math.floor(hub.progressIntervalMs / 10)));
  const ticker = clock.setInterval(() => hub.tick(), tickMs);
  return {
    hub,
    stop() {
      stopped = true;
      ticker.cancel();
    },
  };
}

/** NoLeaderCounter counts consecutive election timeouts without a leader (etcd's
 *  monitorLeader). Pure: observe() is called once per election timeout. */
export class NoLeaderCounter {
  private count = 0;

  /** observe records one election timeout; true means leader-requiring streams must end. */
  observe(hasLeader: boolean): boolean {
    this.count = hasLeader ? 0 : this.count + 1;
    return this.count >= MAX_NO_LEADER_COUNT;
  }
}

/** watchNoLeader runs NoLeaderCounter every election timeout and ends the hub's
 *  leader-requiring streams when it says so. Cancel the returned timer on shutdown. */
export function watchNoLeader(
  clock: Clock,
  electionTimeoutMs: number,
  hasLeader: () => boolean,
  hub: WatchHub,
): Timer {
  assert(electionTimeoutMs > 0, 'watchNoLeader: election timeout must be positive');
  const counter = new NoLeaderCounter();
  return clock.setInterval(() => {
    if (counter.observe(hasLeader())) hub.failLeaderRequired();
  }, electionTimeoutMs);
}
