/**
 * Writes: create's If(mod_revision = 0), GuaranteedUpdate's compare loop, conditional delete —
 * each as kube-apiserver's etcd3 store does it (reference/etcd-api.md §3).
 */
import assert from 'node:assert/strict';
import { conflict } from '../../../src/api/errors.js';
import { pod, rejection, rvOf, type SuiteContext } from './suite.js';

export function writeTests(ctx: SuiteContext): void {
  describe('writes', () => {
    it('create stores JSON without resourceVersion, returns mod_revision as RV', async () => {
      const s = ctx.storage();
      const obj = pod(ctx.ns(), 'a');
      obj.metadata.resourceVersion = '12345';
      const created = await s.create(ctx.key('a'), obj);
      const raw = await ctx.client().get(ctx.key('a'));
      const kv = raw.kvs[0]!;
      assert.equal(created.metadata.resourceVersion, String(kv.modRevision));
      const stored = JSON.parse(kv.value.toString('utf8')) as { metadata: Record<string, unknown> };
      assert.equal(stored.metadata.resourceVersion, undefined);
      assert.equal(stored.metadata.name, 'a');
      const got = await s.get(ctx.key('a'));
      assert.deepEqual(got, created);
    });

    it('create of an existing key is 409 AlreadyExists in kube-apiserver words', async () => {
      const s = ctx.storage();
      await s.create(ctx.key('a'), pod(ctx.ns(), 'a'));
      const err = await rejection(s.create(ctx.key('a'), pod(ctx.ns(), 'a')));
      assert.equal(err.code, 409);
      assert.equal(err.reason, 'AlreadyExists');
      assert.equal(err.message, 'pods "a" already exists');
    });

    it('get of an absent key is undefined', async () => {
      assert.equal(await ctx.storage().get(ctx.key('nobody')), undefined);
    });

    it('guaranteedUpdate retries on conflict: two concurrent updaters both land', async () => {
      const s = ctx.storage();
      await s.create(ctx.key('c'), pod(ctx.ns(), 'c'));
      let calls = 0;
      const bump = async (times: number) => {
        for (let i = 0; i < times; i++) {
          await s.guaranteedUpdate(ctx.key('c'), (cur) => {
            calls++;
            const spec = cur.spec as { n: number };
            return { ...cur, spec: { n: spec.n + 1 } };
          });
        }
      };
      await Promise.all([bump(10), bump(10)]);
      const final = await s.get(ctx.key('c'));
      assert.deepEqual(final?.spec, { n: 20 });
      assert.ok(calls > 20, `expected conflicts to re-run the update (${calls} calls)`);
    });

    it('a no-op update writes nothing and keeps the resourceVersion', async () => {
      const s = ctx.storage();
      const created = await s.create(ctx.key('n'), pod(ctx.ns(), 'n'));
      const before = (await ctx.client().get('/registry/health')).revision;
      const same = await s.guaranteedUpdate(ctx.key('n'), (cur) => cur);
      const after = (await ctx.client().get('/registry/health')).revision;
      assert.equal(same.metadata.resourceVersion, created.metadata.resourceVersion);
      assert.equal(after, before);
      const changed = await s.guaranteedUpdate(ctx.key('n'), (cur) => ({ ...cur, spec: { n: 1 } }));
      assert.ok(rvOf(changed) > rvOf(created));
    });

    it('guaranteedUpdate of an absent key is 404; an UpdateFn error aborts as it is', async () => {
      const s = ctx.storage();
      const err = await rejection(s.guaranteedUpdate(ctx.key('none'), (c) => c));
      assert.equal(err.code, 404);
      assert.equal(err.message, 'pods "none" not found');
      await s.create(ctx.key('x'), pod(ctx.ns(), 'x'));
      const gr = { group: '', resource: 'pods' };
      const mine = conflict(gr, 'x', 'mine');
      const abort = () => {
        throw mine;
      };
      await assert.rejects(s.guaranteedUpdate(ctx.key('x'), abort), (e) => e === mine);
    });

    it('delete checks the state, returns it at the deletion revision, then 404', async () => {
      const s = ctx.storage();
      const created = await s.create(ctx.key('d'), pod(ctx.ns(), 'd'));
      class Precondition extends Error {}
      await assert.rejects(
        s.delete(ctx.key('d'), () => {
          throw new Precondition('uid mismatch');
        }),
        Precondition,
      );
      assert.ok(await s.get(ctx.key('d')), 'a failed check must not delete');
      const seen: string[] = [];
      const last = await s.delete(ctx.key('d'), (cur) => void seen.push(cur.metadata.uid ?? ''));
      assert.deepEqual(seen, [created.metadata.uid]);
      assert.equal(last.metadata.uid, created.metadata.uid);
      assert.ok(rvOf(last) > rvOf(created), 'the returned object carries the deletion revision');
      assert.equal(await s.get(ctx.key('d')), undefined);
      const err = await rejection(s.delete(ctx.key('d')));
      assert.equal(err.code, 404);
    });
  });
}
