/**
 * runWorkers: sync outcomes drive the queue (forget, backoff, give up, requeueAfter), workers
 * never sync one key concurrently, and aborting the signal stops every worker.
 */
import assert from 'node:assert/strict';
import { RateLimitingWorkQueue } from '../../../src/client/workqueue/queue.js';
import { runWorkers } from '../../../src/client/workqueue/run-workers.js';
import type { SyncFn } from '../../../src/client/workqueue/types.js';
import { systemClock } from '../../../src/base/clock.js';
import { SimClock } from '../../../src/sim/clock.js';

/** until polls cond (bounded) on real time. */
async function until(cond: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('runWorkers', () => {
  it('syncs each key; a key re-added during its sync is synced again, never concurrently',
    async () => {
      const q = new RateLimitingWorkQueue({ clock: systemClock, name: 't' });
      const ac = new AbortController();
      const active = new Set<string>();
      const synced: string[] = [];
      let overlap = false;
      const sync: SyncFn = async (key) => {
        if (active.has(key)) overlap = true;
        active.add(key);
        if (synced.length === 0) q.add(key); // re-add while processing
        await new Promise((r) => setTimeout(r, 5));
        synced.push(key);
        active.delete(key);
      };
      const run = runWorkers({ queue: q, sync, workers: 4, signal: ac.signal });
      q.add('a');
      q.add('b');
      await until(() => synced.length >= 3, 'three syncs');
      ac.abort();
      await run;
      assert.equal(overlap, false);
      assert.deepEqual(synced.filter((k) => k === 'a').length, 2);
    });

  it('a failing sync backs off and is dropped after maxRetries; success forgets', async () => {
    const clock = new SimClock();
    const q = new RateLimitingWorkQueue({ clock, name: 't' });
    const ac = new AbortController();
    const lines: string[] = [];
    let calls = 0;
    const sync: SyncFn = () => {
      calls++;
      return Promise.reject(new Error('boom'));
    };
    const run = runWorkers({ queue: q, sync, workers: 1, signal: ac.signal, maxRetries: 3,
      log: (l) => lines.push(l) });
    q.add('k');
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setImmediate(r));
      clock.step();
    }
    assert.equal(calls, 4, 'first try + 3 retries');
    assert.equal(q.numRequeues('k'), 0, 'forgotten after giving up');
    assert.match(lines.at(-1) ?? '', /dropping k after 3 retries: boom/);
    ac.abort();
    await run;
  });

  it('requeueAfterMs brings the key back after the delay without counting a failure', async () => {
    const clock = new SimClock();
    const q = new RateLimitingWorkQueue({ clock, name: 't' });
    const ac = new AbortController();
    const at: number[] = [];
    const sync: SyncFn = () => {
      at.push(clock.nowMs());
      return Promise.resolve(at.length < 3 ? { requeueAfterMs: 1000 } : undefined);
    };
    const run = runWorkers({ queue: q, sync, workers: 2, signal: ac.signal });
    q.add('k');
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      clock.step();
    }
    assert.deepEqual(at, [0, 1000, 2000]);
    assert.equal(q.numRequeues('k'), 0);
    ac.abort();
    await run;
  });

  it('resolves at once when the signal is already aborted', async () => {
    const q = new RateLimitingWorkQueue({ clock: new SimClock(), name: 't' });
    const ac = new AbortController();
    ac.abort();
    await runWorkers({ queue: q, sync: () => Promise.resolve(), workers: 3, signal: ac.signal });
    assert.equal(q.isShuttingDown(), true);
  });
});
