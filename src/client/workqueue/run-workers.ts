/**
 * runWorkers is the worker loop every controller runs (sample-controller's runWorker /
 * processNextWorkItem): take a key, sync it, and tell the queue how it went — forget on
 * success, a rate-limited re-add on failure (until maxRetries, then give up and log: the next
 * event or resync brings the key back), a plain delayed re-add when sync asks for one; done(key)
 * always, so the key can be handed out again.
 */
import { assert } from '../../base/assert.js';
import type { SyncResult, WorkerOptions, WorkQueue } from './types.js';

/** DEFAULT_MAX_RETRIES: upstream controllers' maxRetries (15 backoffs ≈ 82 s at 5 ms base). */
export const DEFAULT_MAX_RETRIES = 15;

/** WORKERS_MAX bounds workers per queue: more is a configuration mistake. */
export const WORKERS_MAX = 1024;

/** runWorkers runs o.workers loops; resolves once all have stopped (signal abort → shutDown). */
export async function runWorkers(o: WorkerOptions): Promise<void> {
  assert(o.workers >= 1 && o.workers <= WORKERS_MAX, `bad worker count ${o.workers}`);
  const stop = (): void => o.queue.shutDown();
  if (o.signal.aborted) stop();
  else o.signal.addEventListener('abort', stop, { once: true });
  try {
    const loops: Promise<void>[] = [];
    for (let i = 0; i < o.workers; i++) loops.push(workerLoop(o));
    await Promise.all(loops);
  } finally {
    o.signal.removeEventListener('abort', stop);
  }
}

async function workerLoop(o: WorkerOptions): Promise<void> {
  for (;;) {
    const key = await o.queue.get();
    if (key === undefined) return;
    await processKey(o, key);
  }
}

/** processKey syncs one key and reports the outcome to the queue; never throws. */
export async function processKey(o: WorkerOptions, key: string): Promise<void> {
  const q: WorkQueue = o.queue;
  try {
    const result: SyncResult = await o.sync(key);
    q.forget(key);
    if (result && result.requeueAfterMs > 0) q.addAfter(key, result.requeueAfterMs);
    else if (result) q.add(key);
  } catch (e) {
    const maxRetries = o.maxRetries ?? DEFAULT_MAX_RETRIES;
    const why = e instanceof Error ? e.message : String(e);
    if (q.numRequeues(key) < maxRetries) {
      o.log?.(`error syncing ${key}, requeuing: ${why}`);
      q.addRateLimited(key);
    } else {
      o.log?.(`dropping ${key} after ${maxRetries} retries: ${why}`);
      q.forget(key);
    }
  } finally {
    q.done(key);
  }
}
