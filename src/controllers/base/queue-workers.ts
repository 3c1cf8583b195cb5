/**
 * The part of a controller's shell that is the same in every controller (sample-controller's
 * Run): wait until the shared caches hold the first full list, then run workers on the
 * controller's queue(s) until the context's signal aborts, and handlers that only turn a change
 * into a key. What stays in each controller.ts is what differs: which informers, which keys a
 * change concerns, and sync(key).
 */
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { EventHandlers } from '../../client/cache/types.js';
import { runWorkers } from '../../client/workqueue/run-workers.js';
import type { SyncFn, WorkQueue } from '../../client/workqueue/types.js';
import type { ControllerContext } from '../types.js';

/** QueueLoop is one queue and the sync its workers run on each key. */
export interface QueueLoop {
  queue: WorkQueue;
  sync: SyncFn;
  /** Concurrent syncs (upstream's --concurrent-<name>-syncs). */
  workers: number;
  /** Rate-limited retries of one key before it is dropped (default: runWorkers'). */
  maxRetries?: number;
}

/**
 * runQueueWorkers waits for the caches (a sync on a half-filled cache would act on a partial
 * view), then runs every loop's workers until ctx.signal aborts; resolves once all have stopped.
 * Aborted while waiting: the queues are shut down and it resolves quietly (leadership ended
 * before the controller started); any other failure to sync rejects.
 */
export async function runQueueWorkers(
  ctx: ControllerContext,
  ...loops: QueueLoop[]
): Promise<void> {
  assert(loops.length > 0, 'runQueueWorkers: no queue to work on');
  try {
    await ctx.informers.waitForSync(ctx.signal);
  } catch (err) {
    for (const l of loops) l.queue.shutDown();
    if (ctx.signal.aborted) return;
    throw err;
  }
  await Promise.all(loops.map((l) => runWorkers({ ...l, signal: ctx.signal, log: ctx.log })));
}

/**
 * onEveryChange: handlers that pass the newest state of every add, update and delete to enqueue
 * (which only picks a key: the payload is never trusted). Spread it and override one handler
 * where a change needs more (forgetting a deleted object's bookkeeping).
 */
export function onEveryChange<T extends KubeObject>(
  enqueue: (obj: T) => void,
): Required<EventHandlers<T>> {
  return { add: enqueue, update: (_old, obj) => enqueue(obj), delete: enqueue };
}
