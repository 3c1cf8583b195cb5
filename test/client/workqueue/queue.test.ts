/**
 * The workqueue's contract, one sentence per test (client-go's queue_test.go covers the same
 * ground): adds collapse, one key is never held by two workers, a re-add while processing comes
 * back after done, delayed adds follow the injected clock, backoff doubles per key and is capped
 * by the global bucket, the bound is enforced, shutDown releases waiting workers.
 */
import assert from 'node:assert/strict';
import { AssertionError } from '../../../src/base/assert.js';
import {
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  defaultRateLimiter,
} from '../../../src/client/workqueue/rate-limiter.js';
import { RateLimitingWorkQueue } from '../../../src/client/workqueue/queue.js';
import { SimClock } from '../../../src/sim/clock.js';

/** settled: whether p has resolved after the microtask queue drains. */
async function settled<T>(p: Promise<T>): Promise<{ done: boolean; value?: T }> {
  let out: { done: boolean; value?: T } = { done: false };
  void p.then((value) => (out = { done: true, value }));
  await new Promise((r) => setImmediate(r));
  return out;
}

function newQueue(clock = new SimClock()): { q: RateLimitingWorkQueue; clock: SimClock } {
  return { q: new RateLimitingWorkQueue({ clock, name: 'test' }), clock };
}

describe('workqueue', () => {
  it('collapses repeated adds of a waiting key and hands keys out in FIFO order', async () => {
    const { q } = newQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  it('never hands a key that is processing to a second worker; re-add comes back after done',
    async () => {
      const { q } = newQueue();
      q.add('a');
      assert.equal(await q.get(), 'a');
      q.add('a');
      q.add('a');
      assert.equal(q.len(), 0, 'a processing key is not ready');
      const second = q.get();
      assert.equal((await settled(second)).done, false);
      q.done('a');
      assert.deepEqual(await settled(second), { done: true, value: 'a' });
      q.done('a');
      assert.equal(q.len(), 0, 'the two re-adds collapsed into one');
    });

  it('a waiting worker receives a key as soon as it is added', async () => {
    const { q } = newQueue();
    const p = q.get();
    assert.equal((await settled(p)).done, false);
    q.add('x');
    assert.equal(await p, 'x');
  });

  it('done of a key not processing is a programmer error', () => {
    const { q } = newQueue();
    assert.throws(() => q.done('nope'), AssertionError);
  });

  it('addAfter waits for the clock; an earlier addAfter of the same key wins', async () => {
    const { q, clock } = newQueue();
    q.addAfter('k', 100);
    q.addAfter('k', 50);
    q.addAfter('k', 200);
    assert.equal(q.len(), 0);
    clock.step();
    assert.equal(clock.nowMs(), 50);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'k');
    while (clock.step());
    assert.equal(q.len(), 0, 'the later timers were replaced, not added');
  });

  it('addAfter with a delay of 0 adds at once', () => {
    const { q } = newQueue();
    q.addAfter('k', 0);
    assert.equal(q.len(), 1);
  });

  it('addRateLimited doubles the delay per key; forget resets it', async () => {
    const { q, clock } = newQueue();
    const readyAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.nowMs();
      q.addRateLimited('k');
      clock.step();
      readyAt.push(clock.nowMs() - start);
      assert.equal(q.len(), 1);
      q.forget('other');
      q.done((await q.get())!);
    }
    assert.deepEqual(readyAt, [5, 10, 20, 40]);
    assert.equal(q.numRequeues('k'), 4);
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
  });

  it('per-key backoff caps at maxDelayMs', () => {
    const l = new ItemExponentialRateLimiter(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 100; i++) last = l.when('k');
    assert.equal(last, 1_000_000);
  });

  it('the global bucket allows a burst, then spaces re-adds at qps', () => {
    const clock = new SimClock();
    const b = new BucketRateLimiter(clock, 10, 100);
    for (let i = 0; i < 100; i++) assert.equal(b.when(`k${i}`), 0);
    assert.equal(Math.round(b.when('x')), 100);
    assert.equal(Math.round(b.when('y')), 200);
    const limiter = defaultRateLimiter(clock);
    for (let i = 0; i < 100; i++) limiter.when(`k${i}`);
    assert.equal(Math.round(limiter.when('fresh')), 100, 'max of 5 ms and the bucket');
  });

  it('enforces its bound on held keys', () => {
    const clock = new SimClock();
    const q = new RateLimitingWorkQueue({ clock, name: 'small', keysMax: 2 });
    q.add('a');
    q.addAfter('b', 10);
    assert.throws(() => q.add('c'), AssertionError);
    q.add('a');
  });

  it('shutDown resolves waiting workers with undefined and ignores later adds', async () => {
    const { q, clock } = newQueue();
    const p = q.get();
    q.addAfter('later', 10);
    q.shutDown();
    assert.equal(await p, undefined);
    q.add('x');
    while (clock.step());
    assert.equal(q.len(), 0);
    assert.equal(await q.get(), undefined);
  });
});
