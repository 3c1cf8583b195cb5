/**
 * Uncached resources (kube-apiserver's watch cache size 0, Events by default): lists read the
 * store and each watch is a store watch of its own, with the cached watch's semantics — rv "0"
 * snapshot then changes, rv N resume, selectors' ADDED/DELETED, bookmarks, 410 for a compacted
 * N. And TTLs (Events' --event-ttl): keys under one shared store lease that expires them.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { StatusError } from '../../../src/api/errors.js';
import { Events, pod, rejection, rvOf, waitUntil, type SuiteContext } from './suite.js';

export function uncachedTests(ctx: SuiteContext): void {
  describe('uncached resources (watch cache size 0)', () => {
    const uncached = (cache = {}) =>
      ctx.storage(cache, { uncached: new Set(['/registry/pods/']) });

    it('rv "0" lists the store, then follows its changes; no watch cache is made', async () => {
      const s = uncached();
      assert.equal(s.isCached(ctx.prefix()), false);
      assert.throws(() => s.cacheFor(ctx.prefix()), /is not cached/);
      await s.create(ctx.key('a'), pod(ctx.ns(), 'a'));
      await s.create(ctx.key('b'), pod(ctx.ns(), 'b'));
      const ev = new Events();
      const w = s.watch(ctx.prefix(), { resourceVersion: '0' }, ev.onEvent, ev.onError);
      await ev.until(2);
      assert.deepEqual(ev.summary(), ['ADDED a', 'ADDED b']);
      const upd = await s.guaranteedUpdate(ctx.key('a'), (c) => ({ ...c, spec: { n: 1 } }));
      const del = await s.delete(ctx.key('b'));
      const add = await s.create(ctx.key('c'), pod(ctx.ns(), 'c'));
      await ev.until(5);
      assert.deepEqual(ev.summary().slice(2), ['MODIFIED a', 'DELETED b', 'ADDED c']);
      const rvs = ev.events.slice(2).map((e) => e.object.metadata.resourceVersion);
      assert.deepEqual(rvs, [upd, del, add].map((o) => o.metadata.resourceVersion));
      assert.equal(ev.events[3]?.object.metadata.uid, `uid-${ctx.ns()}-b`, 'DELETED: last state');
      w.stop();
    });

    it('rv N sends the changes after N; another namespace\'s keys are not seen', async () => {
      const s = uncached();
      const a = await s.create(ctx.key('a'), pod(ctx.ns(), 'a'));
      await s.guaranteedUpdate(ctx.key('a'), (c) => ({ ...c, spec: { n: 1 } }));
      await s.create(`/registry/pods/${ctx.ns()}x/other`, pod(`${ctx.ns()}x`, 'other'));
      await s.create(ctx.key('b'), pod(ctx.ns(), 'b'));
      const ev = new Events();
      s.watch(ctx.prefix(), { resourceVersion: String(rvOf(a)) }, ev.onEvent, ev.onError);
      await ev.until(2);
      await s.delete(ctx.key('a'));
      await ev.until(3);
      assert.deepEqual(ev.summary(), ['MODIFIED a', 'ADDED b', 'DELETED a']);
    });

    it('a selector: "starts matching" is ADDED, "stops matching" is DELETED', async () => {
      const s = uncached();
      const prod = (o: KubeObject): boolean => o.metadata.labels?.env === 'prod';
      const ev = new Events();
      s.watch(ctx.prefix(), { resourceVersion: '0', predicate: prod }, ev.onEvent, ev.onError);
      await s.create(ctx.key('x'), pod(ctx.ns(), 'x', { env: 'dev' }));
      const relabel = (env: string) => (c: KubeObject): KubeObject =>
        ({ ...c, metadata: { ...c.metadata, labels: { env } } });
      await s.guaranteedUpdate(ctx.key('x'), relabel('prod'));
      await s.guaranteedUpdate(ctx.key('x'), relabel('prod2'));
      const gone = await s.guaranteedUpdate(ctx.key('x'), relabel('dev'));
      await s.create(ctx.key('y'), pod(ctx.ns(), 'y', { env: 'prod' }));
      await ev.until(3);
      assert.deepEqual(ev.summary(), ['ADDED x', 'DELETED x', 'ADDED y']);
      assert.equal(ev.events[1]?.object.metadata.labels?.env, 'prod', 'its last matching state');
      assert.ok(rvOf(ev.events[1]!.object) < rvOf(gone), 'at the revision it stopped matching');
    });

    it('bookmarks when asked, never behind the events sent', async () => {
      const s = uncached({ bookmarkIntervalMs: 100 });
      await s.create(ctx.key('first'), pod(ctx.ns(), 'first'));
      const ev = new Events();
      const opts = { resourceVersion: '0', bookmarks: true };
      s.watch(ctx.prefix(), opts, ev.onEvent, ev.onError);
      // After the initial list (the k8ts store reports progress of a watch only once the
      // store has reached its start revision: one write after the list).
      await ev.until(1);
      const a = await s.create(ctx.key('a'), pod(ctx.ns(), 'a'));
      const bm = await waitUntil('a bookmark after the create', () => ev.events.find((e) =>
        e.type === 'BOOKMARK' && rvOf(e.object) >= rvOf(a)));
      assert.equal(bm.object.kind, 'Pod');
      const plain = new Events();
      s.watch(ctx.prefix(), { resourceVersion: '0' }, plain.onEvent, plain.onError);
      await plain.until(2);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(plain.summary(), ['ADDED a', 'ADDED first'], 'no bookmarks unless asked');
    });

    it('lists read the store: latest, rv "0", rv N at least N, a future N is 504', async () => {
      const s = uncached();
      await s.create(ctx.key('a'), pod(ctx.ns(), 'a'));
      const b = await s.create(ctx.key('b'), pod(ctx.ns(), 'b'));
      for (const rv of [undefined, '0', String(rvOf(b))]) {
        const page = await s.list(ctx.prefix(), rv === undefined ? {} : { resourceVersion: rv });
        assert.deepEqual(page.items.map((o) => o.metadata.name), ['a', 'b'], `rv ${rv}`);
        assert.ok(Number(page.resourceVersion) >= rvOf(b));
      }
      const future = String(rvOf(b) + 1_000_000);
      const err = await rejection(s.list(ctx.prefix(), { resourceVersion: future }));
      assert.equal(err.code, 504);
      const exact = await s.list(ctx.prefix(), { resourceVersion: String(rvOf(b) - 1),
        resourceVersionMatch: 'Exact' });
      assert.deepEqual(exact.items.map((o) => o.metadata.name), ['a']);
    });

    it('keys with a TTL share one store lease; an update keeps its key under one', async () => {
      const s = uncached();
      const w = { ttlSeconds: 100 };
      await s.create(ctx.key('a'), pod(ctx.ns(), 'a'), w);
      await s.create(ctx.key('b'), pod(ctx.ns(), 'b'), w);
      await s.create(ctx.key('forever'), pod(ctx.ns(), 'forever'));
      const leaseOf = async (n: string): Promise<bigint> =>
        (await ctx.client().get(ctx.key(n))).kvs[0]?.lease ?? -1n;
      const lease = await leaseOf('a');
      assert.ok(lease > 0n);
      assert.equal(await leaseOf('b'), lease, 'one lease for both');
      assert.equal(await leaseOf('forever'), 0n, 'no TTL: no lease');
      const ttl = await ctx.client().leaseTimeToLive(lease);
      assert.equal(ttl.grantedTtl, 105, 'the TTL plus a reuse window of 5 %');
      await s.guaranteedUpdate(ctx.key('a'), (c) => ({ ...c, spec: { n: 1 } }), w);
      assert.equal(await leaseOf('a'), lease, 'an update within the window: the same lease');
      await s.guaranteedUpdate(ctx.key('forever'), (c) => ({ ...c, spec: { n: 1 } }));
      assert.equal(await leaseOf('forever'), 0n);
    });

    it('a key whose TTL ran out is deleted by the store; a watch sees DELETED', async function () {
      this.timeout(20_000);
      const s = uncached();
      const ev = new Events();
      s.watch(ctx.prefix(), { resourceVersion: '0' }, ev.onEvent, ev.onError);
      await s.create(ctx.key('short'), pod(ctx.ns(), 'short'), { ttlSeconds: 1 });
      await s.create(ctx.key('kept'), pod(ctx.ns(), 'kept'));
      await ev.until(3, 15_000);
      assert.deepEqual(ev.summary(), ['ADDED short', 'ADDED kept', 'DELETED short']);
      assert.equal(await s.get(ctx.key('short')), undefined);
      assert.notEqual(await s.get(ctx.key('kept')), undefined);
    });

    it('a watch from a compacted revision is 410 Expired; close() ends watches', async () => {
      const s = uncached();
      const first = await s.create(ctx.key('h'), pod(ctx.ns(), 'h'));
      await s.guaranteedUpdate(ctx.key('h'), (c) => ({ ...c, spec: { n: 1 } }));
      const now = await s.guaranteedUpdate(ctx.key('h'), (c) => ({ ...c, spec: { n: 2 } }));
      await ctx.client().compact(rvOf(now)); // the first change after `first` is gone
      const ev = new Events();
      s.watch(ctx.prefix(), { resourceVersion: String(rvOf(first)) }, ev.onEvent, ev.onError);
      const err = await ev.untilError();
      assert.ok(err instanceof StatusError);
      assert.equal(err.code, 410);
      assert.equal(err.reason, 'Expired');
      assert.match(err.message, new RegExp(`^too old resource version: ${rvOf(first)} `));
      const live = new Events();
      s.watch(ctx.prefix(), { resourceVersion: '0' }, live.onEvent, live.onError);
      await live.until(1);
      s.close();
      await s.create(ctx.key('after'), pod(ctx.ns(), 'after')).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(live.summary(), ['ADDED h'], 'a closed storage delivers nothing more');
    });
  });
}
