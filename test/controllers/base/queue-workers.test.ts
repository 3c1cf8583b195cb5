/**
 * The shared controller shell (src/controllers/base/queue-workers.ts) over a cache double: keys
 * are synced only after the caches synced, every queue's workers stop with the signal, and a
 * signal that aborts while the caches fill ends the controller quietly (not as a failure).
 */
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/base/clock.js';
import type { InformerFactory } from '../../../src/client/cache/types.js';
import type { ComponentApi } from '../../../src/client/component-api.js';
import { newWorkQueue } from '../../../src/client/workqueue/queue.js';
import { runQueueWorkers } from '../../../src/controllers/base/queue-workers.js';
import type { ControllerContext } from '../../../src/controllers/types.js';

/** context: a ControllerContext whose caches sync when `synced` resolves (or fail with it). */
function context(synced: Promise<void>, signal: AbortSignal): ControllerContext {
  const informers = {
    waitForSync: (s?: AbortSignal) => new Promise<void>((resolve, reject) => {
      s?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      synced.then(resolve, reject);
    }),
  } as unknown as InformerFactory;
  return { api: {} as ComponentApi, informers, clock: systemClock, wallMs: () => 0,
    events: () => ({ event: () => {} }), log: () => {}, signal };
}

describe('runQueueWorkers', () => {
  it('syncs keys of every queue once the caches synced, until the signal aborts', async () => {
    let markSynced = (): void => {};
    const abort = new AbortController();
    const ctx = context(new Promise((r) => { markSynced = r; }), abort.signal);
    const [a, b] = [newWorkQueue({ clock: systemClock, name: 'a' }),
      newWorkQueue({ clock: systemClock, name: 'b' })];
    const seen: string[] = [];
    a.add('k1');
    b.add('k2');
    const run = runQueueWorkers(ctx,
      { queue: a, sync: async (k) => { seen.push(`a:${k}`); }, workers: 1 },
      { queue: b, sync: async (k) => { seen.push(`b:${k}`); }, workers: 2 });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, [], 'nothing synced before the caches');
    markSynced();
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(seen.sort(), ['a:k1', 'b:k2']);
    abort.abort();
    await run;
  });

  it('ends quietly when aborted while the caches fill; other failures reject', async () => {
    const abort = new AbortController();
    const queue = newWorkQueue({ clock: systemClock, name: 'q' });
    const run = runQueueWorkers(context(new Promise(() => {}), abort.signal),
      { queue, sync: async () => {}, workers: 1 });
    abort.abort();
    await run;
    assert.equal(await queue.get(), undefined, 'the queue is shut down');
    const broken = context(Promise.reject(new Error('no cache')), new AbortController().signal);
    await assert.rejects(runQueueWorkers(broken,
      { queue: newWorkQueue({ clock: systemClock, name: 'r' }), sync: async () => {},
        workers: 1 }), /no cache/);
  });
});
