/**
 * Lists: pages pinned to one revision with upstream's continue tokens, remainingItemCount,
 * predicate filtering with a growing batch, and the resourceVersion semantics ("" latest, "0" the
 * cache, Exact at a revision, NotOlderThan, a future revision is 504 Too large).
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { pod, rejection, rvOf, type SuiteContext } from './suite.js';

const names = (items: KubeObject[]): string[] => items.map((o) => o.metadata.name ?? '');

export function listTests(ctx: SuiteContext): void {
  describe('lists', () => {
    it('pages continue at the first page\'s revision while writes happen', async () => {
      const s = ctx.storage();
      const all: string[] = [];
      for (let i = 0; i < 25; i++) {
        const n = `p${String(i).padStart(2, '0')}`;
        all.push(n);
        await s.create(ctx.key(n), pod(ctx.ns(), n, {}, 0));
      }
      const first = await s.list(ctx.prefix(), { limit: 10 });
      assert.deepEqual(names(first.items), all.slice(0, 10));
      assert.equal(first.remainingItemCount, 15);
      assert.ok(first.continueToken);
      // Writes between pages: none of them may show up in the pinned list.
      await s.create(ctx.key('p99'), pod(ctx.ns(), 'p99'));
      await s.guaranteedUpdate(ctx.key('p15'), (c) => ({ ...c, spec: { n: 1 } }));
      await s.delete(ctx.key('p20'));
      const second = await s.list(ctx.prefix(), { limit: 10, continueToken: first.continueToken });
      assert.equal(second.resourceVersion, first.resourceVersion);
      assert.deepEqual(names(second.items), all.slice(10, 20));
      assert.deepEqual(second.items[5]?.spec, { n: 0 }, 'p15 as it was at the first page');
      assert.equal(second.remainingItemCount, 5);
      const third = await s.list(ctx.prefix(), { limit: 10, continueToken: second.continueToken });
      assert.deepEqual(names(third.items), all.slice(20));
      assert.equal(third.continueToken, undefined);
      assert.equal(third.remainingItemCount, undefined);
      const latest = await s.list(ctx.prefix(), {});
      assert.equal(latest.items.length, 25);
      assert.ok(Number(latest.resourceVersion) > Number(first.resourceVersion));
    });

    it('the continue token is upstream\'s base64 JSON {v, rv, start}', async () => {
      const s = ctx.storage();
      for (const n of ['a', 'b', 'c']) await s.create(ctx.key(n), pod(ctx.ns(), n));
      const page = await s.list(ctx.prefix(), { limit: 2 });
      const text = Buffer.from(page.continueToken ?? '', 'base64url').toString();
      const rv = Number(page.resourceVersion);
      assert.deepEqual(JSON.parse(text), { v: 'meta.k8s.io/v1', rv, start: 'b\u0000' });
      const bad = await rejection(s.list(ctx.prefix(), { limit: 2, continueToken: 'bm9wZQ' }));
      assert.equal(bad.code, 400);
      assert.match(bad.message, /^invalid continue token/);
    });

    it('a predicate filters; the batch grows until the page is full', async () => {
      const s = ctx.storage();
      for (let i = 0; i < 30; i++) {
        const n = `q${String(i).padStart(2, '0')}`;
        await s.create(ctx.key(n), pod(ctx.ns(), n, { keep: i % 7 === 0 ? 'yes' : 'no' }));
      }
      const predicate = (o: KubeObject) => o.metadata.labels?.keep === 'yes';
      const first = await s.list(ctx.prefix(), { limit: 3, predicate });
      assert.deepEqual(names(first.items), ['q00', 'q07', 'q14']);
      assert.equal(first.remainingItemCount, undefined, 'unknown when a predicate filters');
      const continueToken = first.continueToken;
      const rest = await s.list(ctx.prefix(), { limit: 3, predicate, continueToken });
      assert.deepEqual(names(rest.items), ['q21', 'q28']);
      assert.equal(rest.continueToken, undefined);
    });

    it('rv: Exact reads the past, "0" and NotOlderThan come from the cache', async () => {
      const s = ctx.storage();
      const v1 = await s.create(ctx.key('e'), pod(ctx.ns(), 'e', {}, 1));
      await s.guaranteedUpdate(ctx.key('e'), (c) => ({ ...c, spec: { n: 2 } }));
      const at = (o: KubeObject, resourceVersionMatch: 'Exact' | 'NotOlderThan') =>
        s.list(ctx.prefix(), { resourceVersion: String(rvOf(o)), resourceVersionMatch });
      const exact = await at(v1, 'Exact');
      assert.equal(exact.resourceVersion, String(rvOf(v1)));
      assert.deepEqual(exact.items.map((o) => o.spec), [{ n: 1 }]);
      const v3 = await s.guaranteedUpdate(ctx.key('e'), (c) => ({ ...c, spec: { n: 3 } }));
      const fresh = await at(v3, 'NotOlderThan');
      assert.ok(Number(fresh.resourceVersion) >= rvOf(v3));
      assert.deepEqual(fresh.items.map((o) => o.spec), [{ n: 3 }]);
      await s.cacheFor(ctx.prefix()).waitReady();
      const any = await s.list(ctx.prefix(), { resourceVersion: '0' });
      assert.equal(any.items.length, 1);
      assert.ok(Number(any.resourceVersion) >= rvOf(v1));
    });

    it('a future resourceVersion is 504 Timeout "Too large resource version"', async () => {
      const s = ctx.storage({ freshTimeoutMs: 200 });
      const now = await s.create(ctx.key('f'), pod(ctx.ns(), 'f'));
      const future = String(rvOf(now) + 1000);
      for (const match of ['Exact', 'NotOlderThan'] as const) {
        const opts = { resourceVersion: future, resourceVersionMatch: match };
        const err = await rejection(s.list(ctx.prefix(), opts));
        assert.equal(err.code, 504, match);
        assert.equal(err.reason, 'Timeout');
        const text = `^Timeout: Too large resource version: ${future}, current: \\d+$`;
        assert.match(err.message, new RegExp(text));
        assert.equal(err.status.details?.causes?.[0]?.reason, 'ResourceVersionTooLarge');
      }
    });

    it('refuses what upstream\'s list validation refuses', async () => {
      const s = ctx.storage();
      const cases = [
        { resourceVersionMatch: 'Exact' as const },
        { resourceVersion: '0', resourceVersionMatch: 'Exact' as const },
        { resourceVersion: 'abc' },
      ];
      for (const opts of cases) {
        assert.equal((await rejection(s.list(ctx.prefix(), opts))).code, 400);
      }
    });
  });
}
