/**
 * Watch semantics (reference/etcd-api.md §2.5–§2.7, §3): history then live events, one response
 * per revision, prev_kv and filters, compacted start revisions, progress.
 */
import assert from 'node:assert/strict';
import { CompactedError, op } from '../../../src/store/client/index.js';
import { Collector, keysOf, sleep, waitUntil } from './helpers.js';
import type { SuiteContext } from './suite.js';

export function watchTests(ctx: SuiteContext): void {
  const c = () => ctx.client();
  const k = (n: string) => ctx.key(n);

  describe('watch', () => {
    it('from a past revision delivers the history, then live events, in revision order', async () => {
      const r1 = (await c().put(k('a'), '1')).revision;
      await c().put(k('b'), '1');
      await c().delete(k('a'));
      const w = new Collector(c().watch(ctx.prefix(), { prefix: true, startRevision: r1 }));
      await w.untilEvents(3);
      const live = await c().put(k('c'), '1');
      const events = await w.untilEvents(4);
      assert.deepEqual(events.map((e) => [e.type, e.kv.key.toString()]), [
        ['put', k('a')], ['put', k('b')], ['delete', k('a')], ['put', k('c')],
      ]);
      const revs = events.map((e) => e.kv.modRevision);
      assert.deepEqual(revs, [r1, r1 + 1, r1 + 2, live.revision]);
      assert.equal(w.watcher.nextRevision(), live.revision + 1);
      w.watcher.cancel();
      assert.equal(await w.untilEnded(), undefined, 'cancel ends the watch without an error');
    });

    it('from now (no start revision) delivers only later writes', async () => {
      await c().put(k('x'), 'before');
      const w = new Collector(c().watch(k('x')));
      const createdAt = await w.watcher.created;
      const r = await c().put(k('x'), 'after');
      const [e] = await w.untilEvents(1);
      assert.equal(e?.kv.value.toString(), 'after');
      assert.equal(e?.kv.modRevision, r.revision);
      assert.ok(createdAt < r.revision);
      w.watcher.cancel();
    });

    it('delivers all events of one txn in one response', async () => {
      const w = new Collector(c().watch(ctx.prefix(), { prefix: true, startRevision: (await c().get(k('-'))).revision + 1 }));
      const t = await c().txn().success(op.put(k('a'), '1'), op.put(k('b'), '1'), op.put(k('c'), '1')).commit();
      await c().put(k('d'), '1');
      await w.untilEvents(4);
      // The guarantee is that one revision is never split across responses. A watcher still
      // catching up (etcd's unsynced watchers) may get later revisions in the same response.
      const batches = w.eventBatches();
      const txnBatches = batches.filter((b) => b.events.some((e) => e.kv.modRevision === t.revision));
      assert.equal(txnBatches.length, 1, 'the txn\'s events arrive in one response');
      const txnEvents = txnBatches[0]?.events.filter((e) => e.kv.modRevision === t.revision);
      assert.deepEqual(txnEvents?.map((e) => e.kv.key.toString()), [k('a'), k('b'), k('c')]);
      assert.equal(batches.flatMap((b) => b.events).length, 4);
      w.watcher.cancel();
    });

    it('prevKv attaches the previous version; filters drop puts or deletes', async () => {
      const start = (await c().put(k('x'), 'v1')).revision;
      await c().put(k('x'), 'v2');
      await c().delete(k('x'));
      const withPrev = new Collector(c().watch(k('x'), { startRevision: start, prevKv: true }));
      const noPut = new Collector(c().watch(k('x'), { startRevision: start, filters: { noPut: true } }));
      const noDelete = new Collector(c().watch(k('x'), { startRevision: start, filters: { noDelete: true } }));
      const events = await withPrev.untilEvents(3);
      assert.deepEqual(events.map((e) => e.prevKv?.value.toString()), [undefined, 'v1', 'v2']);
      const del = events[2]!;
      assert.equal(del.type, 'delete');
      assert.equal(del.kv.value.length, 0);
      assert.equal(del.kv.modRevision, start + 2, 'a delete event carries the deletion revision');
      assert.deepEqual((await noPut.untilEvents(1)).map((e) => e.type), ['delete']);
      assert.deepEqual((await noDelete.untilEvents(2)).map((e) => e.type), ['put', 'put']);
      await sleep(100);
      assert.equal(noPut.events().length, 1);
      assert.equal(noDelete.events().length, 2);
      for (const w of [withPrev, noPut, noDelete]) w.watcher.cancel();
    });

    it('a watch from a compacted revision ends with CompactedError carrying the compact revision', async () => {
      const r1 = (await c().put(k('x'), '1')).revision;
      const r2 = (await c().put(k('x'), '2')).revision;
      await c().compact(r2);
      const w = new Collector(c().watch(k('x'), { startRevision: r1 }));
      const err = await w.untilEnded();
      assert.ok(err instanceof CompactedError, `got ${String(err)}`);
      assert.equal(err.compactRevision, r2);
      assert.equal(w.events().length, 0);
      // At exactly the compaction revision the kept version is still delivered.
      const atCompaction = new Collector(c().watch(k('x'), { startRevision: r2 }));
      assert.deepEqual((await atCompaction.untilEvents(1)).map((e) => e.kv.modRevision), [r2]);
      atCompaction.watcher.cancel();
    });

    it('answers a progress request with the current revision', async () => {
      const w = new Collector(c().watch(k('p'), { progressNotify: true }));
      await w.watcher.created;
      const r = await c().put(k('p'), '1');
      await w.untilEvents(1);
      await c().put(k('other'), '1');
      c().requestProgress();
      const progress = await waitUntil('a progress notification', () => w.batches.find((b) => b.progress));
      assert.ok(progress.revision >= r.revision + 1, `progress at ${progress.revision}, writes reached ${r.revision + 1}`);
      assert.equal(progress.events.length, 0);
      w.watcher.cancel();
    });

    it('a slow consumer pauses the stream at its buffer bound and loses nothing', async () => {
      const start = (await c().get(k('-'))).revision + 1;
      const w = c().watch(ctx.prefix(), { prefix: true, startRevision: start, maxBufferedResponses: 4 });
      for (let i = 0; i < 60; i++) await c().put(k(`s${i}`), 'x'.repeat(1024));
      await sleep(50);
      const seen: number[] = [];
      for await (const b of w) {
        seen.push(...b.events.map((e) => e.kv.modRevision));
        if (seen.length >= 60) break; // leaving the loop cancels the watch
      }
      assert.deepEqual(seen, Array.from({ length: 60 }, (_, i) => start + i));
    });

    it('a paused watch holding more than a stream window does not stall calls on its member', async () => {
      // Watches and unary calls share the member's HTTP/2 session: the paused stream may hold
      // only its own flow-control window, never the connection's.
      const start = (await c().get(k('-'))).revision + 1;
      const w = c().watch(ctx.prefix(), { prefix: true, startRevision: start, maxBufferedResponses: 2 });
      await w.created;
      const n = 160; // 160 KiB of events: over the 64 KiB stream and connection windows
      for (let i = 0; i < n; i++) await c().put(k(`p${i}`), 'y'.repeat(1024));
      const all = await c().get(ctx.prefix(), { prefix: true });
      assert.ok(all.kvs.length >= n, `a ${n} KiB read while the watch is paused`);
      const seen: number[] = [];
      for await (const b of w) {
        seen.push(...b.events.map((e) => e.kv.modRevision));
        if (seen.length >= n) break;
      }
      assert.deepEqual(seen, Array.from({ length: n }, (_, i) => start + i));
    });

    it('watches a range [key, rangeEnd) only', async () => {
      const start = (await c().get(k('-'))).revision + 1;
      const w = new Collector(c().watch(k('b'), { rangeEnd: k('d'), startRevision: start }));
      for (const n of ['a', 'b', 'c', 'd']) await c().put(k(n), n);
      await w.untilEvents(2);
      await sleep(100);
      assert.deepEqual(keysOf(w.events().map((e) => e.kv)), [k('b'), k('c')]);
      w.watcher.cancel();
    });
  });
}
