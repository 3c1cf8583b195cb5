/**
 * WriteConditions: a fence compare and a companion write riding in a write's own transaction,
 * on every write verb. A lost fence is refused without a retry and without writing anything; an
 * ordinary concurrent change under a valid fence is still retried; a companion lands (or not)
 * atomically with its object.
 */
import assert from 'node:assert/strict';
import { StatusError } from '../../../src/api/errors.js';
import type { WriteConditions } from '../../../src/apiserver/storage/types.js';
import { pod, rejection, type SuiteContext } from './suite.js';

export function fenceTests(ctx: SuiteContext): void {
  describe('fenced writes (WriteConditions)', () => {
    const fenceKey = (): string => `/registry/leasefences/${ctx.ns()}/lead`;
    /** putFence writes the fence key and returns its mod_revision. */
    const putFence = async (holder: string): Promise<number> => {
      await ctx.client().put(fenceKey(), holder);
      return (await ctx.client().get(fenceKey())).kvs[0]!.modRevision;
    };
    const refused: number[] = [];
    const fenced = (modRevision: number): WriteConditions => ({
      fence: {
        key: fenceKey(),
        modRevision,
        refuse: (current) => {
          refused.push(current);
          return new StatusError(403, 'Forbidden', `fence ${modRevision} lost to ${current}`);
        },
      },
    });
    const raw = async (name: string): Promise<string | undefined> =>
      (await ctx.client().get(ctx.key(name))).kvs[0]?.value.toString('utf8');

    beforeEach(() => void refused.splice(0));

    it('a current fence lets create, update and delete through', async () => {
      const s = ctx.storage();
      const w = fenced(await putFence('a'));
      await s.create(ctx.key('p'), pod(ctx.ns(), 'p'), w);
      const up = await s.guaranteedUpdate(ctx.key('p'), (c) => ({ ...c, spec: { n: 1 } }), w);
      assert.deepEqual(up.spec, { n: 1 });
      await s.delete(ctx.key('p'), undefined, w);
      assert.equal(await raw('p'), undefined);
      assert.deepEqual(refused, []);
    });

    it('a lost fence is refused on every verb, once, and nothing is written', async () => {
      const s = ctx.storage();
      const old = await putFence('a');
      await s.create(ctx.key('q'), pod(ctx.ns(), 'q'));
      const before = await raw('q');
      const now = await putFence('b');
      const create = await rejection(s.create(ctx.key('r'), pod(ctx.ns(), 'r'), fenced(old)));
      assert.equal(create.code, 403);
      assert.equal(await raw('r'), undefined);
      let calls = 0;
      const bump = (c: Parameters<Parameters<typeof s.guaranteedUpdate>[1]>[0]) => {
        calls++;
        return { ...c, spec: { n: 9 } };
      };
      const upd = await rejection(s.guaranteedUpdate(ctx.key('q'), bump, fenced(old)));
      assert.equal(upd.message, `fence ${old} lost to ${now}`);
      assert.equal(calls, 1, 'a lost fence is not retried');
      await rejection(s.delete(ctx.key('q'), undefined, fenced(old)));
      assert.equal(await raw('q'), before);
      assert.deepEqual(refused, [now, now, now]);
    });

    it('a fence on a key that does not exist is refused with revision 0', async () => {
      const s = ctx.storage();
      const err = await rejection(s.create(ctx.key('s'), pod(ctx.ns(), 's'), fenced(1)));
      assert.equal(err.reason, 'Forbidden');
      assert.deepEqual(refused, [0]);
      assert.equal(await raw('s'), undefined);
    });

    it('a no-op update still checks the fence', async () => {
      const s = ctx.storage();
      const old = await putFence('a');
      await s.create(ctx.key('t'), pod(ctx.ns(), 't'));
      const same = await s.guaranteedUpdate(ctx.key('t'), (c) => c, fenced(old));
      assert.equal(same.metadata.name, 't');
      await putFence('b');
      await rejection(s.guaranteedUpdate(ctx.key('t'), (c) => c, fenced(old)));
    });

    it('a concurrent change under a valid fence is retried, both updaters land', async () => {
      const s = ctx.storage();
      const w = fenced(await putFence('a'));
      await s.create(ctx.key('u'), pod(ctx.ns(), 'u'));
      const bump = async (times: number) => {
        for (let i = 0; i < times; i++) {
          await s.guaranteedUpdate(ctx.key('u'), (cur) => {
            const spec = cur.spec as { n: number };
            return { ...cur, spec: { n: spec.n + 1 } };
          }, w);
        }
      };
      await Promise.all([bump(5), bump(5)]);
      assert.deepEqual((await s.get(ctx.key('u')))?.spec, { n: 10 });
      assert.deepEqual(refused, []);
    });

    it('a companion write lands in the same revision as its object, or not at all', async () => {
      const s = ctx.storage();
      const side = `/registry/leasefences/${ctx.ns()}/side`;
      const w: WriteConditions = {
        companion: (before, after) => {
          if (!after) return { type: 'delete', key: side };
          const n = (after.spec as { n: number }).n;
          if (before && (before.spec as { n: number }).n === n) return undefined;
          return { type: 'put', key: side, value: String(n) };
        },
      };
      const created = await s.create(ctx.key('v'), pod(ctx.ns(), 'v'), w);
      const sideKv = async () => (await ctx.client().get(side)).kvs[0];
      assert.equal(String((await sideKv())?.modRevision), created.metadata.resourceVersion);
      const relabel = (c: typeof created) => ({ ...c, metadata: { ...c.metadata, labels: { x: 'y' } } });
      const same = await s.guaranteedUpdate(ctx.key('v'), relabel, w);
      assert.equal(String((await sideKv())?.modRevision), created.metadata.resourceVersion);
      const changed = await s.guaranteedUpdate(ctx.key('v'), (c) => ({ ...c, spec: { n: 2 } }), w);
      assert.notEqual(changed.metadata.resourceVersion, same.metadata.resourceVersion);
      assert.equal(String((await sideKv())?.modRevision), changed.metadata.resourceVersion);
      assert.equal((await sideKv())?.value.toString('utf8'), '2');
      await s.delete(ctx.key('v'), undefined, w);
      assert.equal(await sideKv(), undefined);
    });
  });
}
