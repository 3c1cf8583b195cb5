/**
 * Compaction: the compactor's rounds (kube-apiserver's compact.go) and what compacted history
 * means for clients — 410 for lists at an old revision and for continue tokens (with upstream's
 * inconsistent-continue token), and a watch cache that keeps serving across compactions.
 */
import assert from 'node:assert/strict';
import { COMPACT_REV_KEY } from '../../../src/apiserver/storage/compactor.js';
import { LIST_EXPIRED } from '../../../src/apiserver/storage/storage-errors.js';
import { Events, pod, rejection, rvOf, type SuiteContext } from './suite.js';

export function compactionTests(ctx: SuiteContext): void {
  describe('compaction (last: drops history)', () => {
    it('the compactor compacts to the revision it saw one round earlier', async () => {
      const c = ctx.compactor();
      const s = ctx.storage();
      const old = await s.create(ctx.key('a'), pod(ctx.ns(), 'a'));
      assert.equal(await c.runOnce(), undefined, 'nothing to compact on the first round');
      const seen = c.lastState.revision;
      assert.ok(seen >= rvOf(old));
      await s.guaranteedUpdate(ctx.key('a'), (x) => ({ ...x, spec: { n: 1 } }));
      assert.equal(await c.runOnce(), seen);
      const key = await ctx.client().get(COMPACT_REV_KEY);
      assert.equal(key.kvs[0]?.version, 2, 'one version of compact_rev_key per won round');
      const past = { resourceVersion: String(seen - 1), resourceVersionMatch: 'Exact' as const };
      const err = await rejection(s.list(ctx.prefix(), past));
      assert.equal(err.code, 410);
      assert.equal(err.reason, 'Expired');
      assert.equal(err.message, LIST_EXPIRED);
    });

    it('another API server\'s compactor loses the round, adopts the winner\'s time', async () => {
      const a = ctx.compactor();
      const b = ctx.compactor();
      await a.runOnce();
      const before = (await ctx.client().get(COMPACT_REV_KEY)).kvs[0]?.version ?? 0;
      await b.runOnce(); // b expects version 0: loses, learns the current version
      assert.equal(b.lastState.time, before);
      assert.equal((await ctx.client().get(COMPACT_REV_KEY)).kvs[0]?.version, before);
    });

    it('a continue token whose revision is compacted is 410 with a token to go on', async () => {
      const s = ctx.storage();
      for (const n of ['a', 'b', 'c']) await s.create(ctx.key(n), pod(ctx.ns(), n));
      const page = await s.list(ctx.prefix(), { limit: 1 });
      await s.create(ctx.key('d'), pod(ctx.ns(), 'd'));
      const now = await s.create(ctx.key('e'), pod(ctx.ns(), 'e'));
      await ctx.client().compact(rvOf(now));
      const next = { limit: 1, continueToken: page.continueToken };
      const err = await rejection(s.list(ctx.prefix(), next));
      assert.equal(err.code, 410);
      assert.match(err.message, /^The provided continue parameter is too old/);
      const token = err.status.metadata.continue;
      assert.equal(typeof token, 'string');
      const rest = await s.list(ctx.prefix(), { continueToken: token as string });
      assert.deepEqual(rest.items.map((o) => o.metadata.name), ['b', 'c', 'd', 'e']);
    });

    it('the watch cache keeps serving across a compaction', async () => {
      const s = ctx.storage();
      const ev = new Events();
      s.watch(ctx.prefix(), { resourceVersion: '0' }, ev.onEvent, ev.onError);
      await s.cacheFor(ctx.prefix()).waitReady();
      const a = await s.create(ctx.key('a'), pod(ctx.ns(), 'a'));
      await ev.until(1);
      await ctx.client().compact(rvOf(a));
      await s.create(ctx.key('b'), pod(ctx.ns(), 'b'));
      await ev.until(2);
      assert.deepEqual(ev.summary(), ['ADDED a', 'ADDED b']);
      const list = await s.list(ctx.prefix(), { resourceVersion: '0' });
      assert.equal(list.items.length, 2);
    });
  });
}
