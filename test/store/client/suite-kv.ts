/**
 * KV and txn semantics (reference/etcd-api.md §2.1–§2.4, §2.9, §3): revisions, per-key metadata,
 * ranges, MVCC reads, compaction, kube-apiserver's txns, and etcd's input errors with exact texts.
 */
import assert from 'node:assert/strict';
import { compare, CompactedError, op, prefixEnd, type OpResult } from '../../../src/store/client/index.js';
import { freePorts } from '../../support/ports.js';
import { keysOf, rejectsWith } from './helpers.js';
import type { SuiteContext } from './suite.js';

const TEXT = {
  compacted: 'etcdserver: mvcc: required revision has been compacted',
  future: 'etcdserver: mvcc: required revision is a future revision',
  emptyKey: 'etcdserver: key is not provided',
  tooManyOps: 'etcdserver: too many operations in txn request',
  duplicateKey: 'etcdserver: duplicate key given in txn request',
  tooLarge: 'etcdserver: request is too large',
  leaseNotFound: 'etcdserver: requested lease not found',
};

function only<T extends OpResult['type']>(r: OpResult | undefined, type: T): Extract<OpResult, { type: T }> {
  assert.ok(r, 'missing op response');
  assert.equal(r.type, type);
  return r as Extract<OpResult, { type: T }>;
}

export function kvTests(ctx: SuiteContext): void {
  const c = () => ctx.client();
  const k = (n: string) => ctx.key(n);

  describe('revisions and keys', () => {
    it('a fresh store is at revision 1; every write bumps it by exactly one', async () => {
      assert.equal((await c().get(k('none'))).revision, 1);
      assert.equal((await c().put(k('a'), '1')).revision, 2);
      assert.equal((await c().put(k('b'), '1')).revision, 3);
      assert.equal((await c().delete(k('a'))).revision, 4);
      const nothing = await c().delete(k('missing'));
      assert.equal(nothing.deleted, 0);
      assert.equal(nothing.revision, 4, 'deleting nothing costs no revision');
      const t = await c().txn().success(op.put(k('c'), '1'), op.put(k('d'), '1'), op.delete(k('b'))).commit();
      assert.equal(t.revision, 5, 'all writes of one txn share one revision');
      assert.equal((await c().get(k('c'))).kvs[0]?.modRevision, 5);
    });

    it('create revision, mod revision and version follow each write; delete resets them', async () => {
      const r1 = (await c().put(k('x'), 'v1')).revision;
      let kv = (await c().get(k('x'))).kvs[0]!;
      assert.deepEqual([kv.createRevision, kv.modRevision, kv.version, kv.value.toString()], [r1, r1, 1, 'v1']);
      const r2 = (await c().put(k('x'), Buffer.from('v2'))).revision;
      kv = (await c().get(k('x'))).kvs[0]!;
      assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [r1, r2, 2]);
      await c().delete(k('x'));
      const r4 = (await c().put(k('x'), 'v3')).revision;
      kv = (await c().get(k('x'))).kvs[0]!;
      assert.deepEqual([kv.createRevision, kv.modRevision, kv.version, kv.lease], [r4, r4, 1, 0n]);
    });

    it('put with prevKv returns the previous version', async () => {
      assert.equal((await c().put(k('p'), 'old', { prevKv: true })).prevKv, undefined);
      const r = await c().put(k('p'), 'new', { prevKv: true });
      assert.equal(r.prevKv?.value.toString(), 'old');
      assert.equal(r.prevKv?.version, 1);
    });

    it('a prefix get with limit returns the first keys, more=true and the count of the whole range', async () => {
      for (const n of ['e', 'c', 'a', 'd', 'b']) await c().put(k(`p/${n}`), n);
      await c().put(k('p'), 'outside');
      await c().put(k('q/a'), 'outside');
      const page1 = await c().get(k('p/'), { prefix: true, limit: 2 });
      assert.deepEqual(keysOf(page1.kvs), [k('p/a'), k('p/b')]);
      assert.equal(page1.more, true);
      assert.equal(page1.count, 5);
      // kube-apiserver's paging: continue after the last key at the first page's revision.
      await c().put(k('p/f'), 'later');
      const page2 = await c().get(`${k('p/b')}\x00`, { rangeEnd: prefixEnd(k('p/')), limit: 10, revision: page1.revision });
      assert.deepEqual(keysOf(page2.kvs), [k('p/c'), k('p/d'), k('p/e')]);
      assert.equal(page2.more, false);
      const all = await c().get(k('p/'), { prefix: true });
      assert.equal(all.count, 6);
      assert.equal(all.more, false);
    });

    it('keys-only omits values; count-only returns only the count', async () => {
      for (const n of ['a', 'b', 'c']) await c().put(k(n), `value-${n}`);
      const keysOnly = await c().get(ctx.prefix(), { prefix: true, keysOnly: true });
      assert.deepEqual(keysOf(keysOnly.kvs), [k('a'), k('b'), k('c')]);
      assert.ok(keysOnly.kvs.every((kv) => kv.value.length === 0 && kv.modRevision > 0));
      const countOnly = await c().get(ctx.prefix(), { prefix: true, countOnly: true });
      assert.deepEqual([countOnly.kvs.length, countOnly.count], [0, 3]);
    });

    it('sorts by target and order; fromKey reads every key from a key on', async () => {
      for (const n of ['a', 'b', 'c']) await c().put(k(n), n);
      await c().put(k('a'), 'a2');
      const byMod = await c().get(ctx.prefix(), { prefix: true, sort: { target: 'mod', order: 'descend' } });
      assert.deepEqual(keysOf(byMod.kvs), [k('a'), k('c'), k('b')]);
      const byKey = await c().get(ctx.prefix(), { prefix: true, sort: { target: 'key', order: 'descend' } });
      assert.deepEqual(keysOf(byKey.kvs), [k('c'), k('b'), k('a')]);
      const from = await c().get(k('b'), { fromKey: true });
      assert.deepEqual(keysOf(from.kvs).slice(0, 2), [k('b'), k('c')]);
    });

    it('a get at an old revision sees the store as it was', async () => {
      const r1 = (await c().put(k('m'), 'one')).revision;
      await c().put(k('m'), 'two');
      await c().delete(k('m'));
      const old = await c().get(k('m'), { revision: r1 });
      assert.equal(old.kvs[0]?.value.toString(), 'one');
      assert.ok(old.revision > r1, 'header.revision is the current revision, not the one read');
      assert.equal((await c().get(k('m'))).kvs.length, 0);
      const serializable = await c().get(k('m'), { revision: r1, serializable: true });
      assert.equal(serializable.kvs[0]?.value.toString(), 'one');
    });

    it('a future revision is refused', async () => {
      const now = (await c().get(k('x'))).revision;
      await rejectsWith(c().get(k('x'), { revision: now + 100 }), 'futureRevision', TEXT.future);
    });

    it('after compaction older revisions are gone; the compaction revision itself stays readable', async () => {
      const r1 = (await c().put(k('v'), 'one')).revision;
      const r2 = (await c().put(k('v'), 'two')).revision;
      await c().compact(r2);
      const err = await rejectsWith(c().get(k('v'), { revision: r1 }), 'compacted', TEXT.compacted);
      assert.ok(err instanceof CompactedError);
      assert.equal((await c().get(k('v'), { revision: r2 })).kvs[0]?.value.toString(), 'two');
      await rejectsWith(c().compact(r2), 'compacted', TEXT.compacted);
      await rejectsWith(c().compact(r2 + 1000), 'futureRevision', TEXT.future);
    });
  });

  describe('txn', () => {
    it('create-if-absent: If(mod_revision = 0) Then(put), as kube-apiserver creates', async () => {
      const create = () => c().txn().if(compare.modRevision(k('obj'), '=', 0)).success(op.put(k('obj'), 'v1')).commit();
      const first = await create();
      assert.equal(first.succeeded, true);
      const put = only(first.responses[0], 'put');
      assert.equal(put.revision, first.revision, "the object's resourceVersion is the put's header revision");
      const again = await create();
      assert.equal(again.succeeded, false, 'AlreadyExists');
      assert.equal(again.revision, first.revision, 'a failed compare costs no revision');
      assert.equal(again.responses.length, 0);
    });

    it('update-if-mod-revision: the failure branch returns the current object', async () => {
      const rv = (await c().put(k('obj'), 'v1')).revision;
      const update = (at: number, v: string) =>
        c().txn().if(compare.modRevision(k('obj'), '=', at)).success(op.put(k('obj'), v)).failure(op.get(k('obj'))).commit();
      const ok = await update(rv, 'v2');
      assert.equal(ok.succeeded, true);
      const conflict = await update(rv, 'v3');
      assert.equal(conflict.succeeded, false);
      const current = only(conflict.responses[0], 'get');
      assert.equal(current.kvs[0]?.value.toString(), 'v2');
      assert.equal(current.kvs[0]?.modRevision, ok.revision);
      const del = await c().txn().if(compare.modRevision(k('obj'), '=', ok.revision)).success(op.delete(k('obj'))).failure(op.get(k('obj'))).commit();
      assert.equal(del.succeeded, true);
      assert.equal(only(del.responses[0], 'delete').deleted, 1);
    });

    it('a txn that only reads does not bump the revision', async () => {
      const rev = (await c().put(k('r'), 'x')).revision;
      const readThen = await c().txn().if(compare.value(k('r'), '=', 'x')).success(op.get(k('r'))).commit();
      assert.deepEqual([readThen.succeeded, readThen.revision], [true, rev]);
      const readElse = await c().txn().if(compare.value(k('r'), '=', 'y')).success(op.put(k('r'), 'z')).failure(op.get(k('r'))).commit();
      assert.deepEqual([readElse.succeeded, readElse.revision], [false, rev]);
    });

    it('compares value, version, create and mod revision and lease with =, !=, >, <', async () => {
      const r1 = (await c().put(k('c'), 'm')).revision;
      const r2 = (await c().put(k('c'), 'm')).revision;
      const holds = async (cmp: ReturnType<typeof compare.value>) => (await c().txn().if(cmp).commit()).succeeded;
      const table: [string, ReturnType<typeof compare.value>, boolean][] = [
        ['value =', compare.value(k('c'), '=', 'm'), true],
        ['value >', compare.value(k('c'), '>', 'l'), true],
        ['value <', compare.value(k('c'), '<', 'l'), false],
        ['value !=', compare.value(k('c'), '!=', 'm'), false],
        ['version =', compare.version(k('c'), '=', 2), true],
        ['version >', compare.version(k('c'), '>', 2), false],
        ['create =', compare.createRevision(k('c'), '=', r1), true],
        ['create <', compare.createRevision(k('c'), '<', r2), true],
        ['mod =', compare.modRevision(k('c'), '=', r2), true],
        ['mod !=', compare.modRevision(k('c'), '!=', r2), false],
        ['lease = 0', compare.lease(k('c'), '=', 0n), true],
        ['missing key version = 0', compare.version(k('missing'), '=', 0), true],
        ['missing key create = 0', compare.createRevision(k('missing'), '=', 0), true],
      ];
      for (const [name, cmp, want] of table) assert.equal(await holds(cmp), want, name);
    });

    it('nested txns run with their own compares, at the outer revision', async () => {
      const t = await c()
        .txn()
        .success(op.put(k('a'), '1'), op.txn([compare.version(k('b'), '=', 0)], [op.put(k('b'), '1')], [op.get(k('b'))]))
        .commit();
      const inner = only(t.responses[1], 'txn');
      assert.equal(inner.succeeded, true);
      assert.equal(only(inner.responses[0], 'put').revision, t.revision);
      const kvs = (await c().get(ctx.prefix(), { prefix: true })).kvs;
      assert.deepEqual(kvs.map((kv) => kv.modRevision), [t.revision, t.revision]);
    });

    it('refuses more than 128 ops and duplicate keys, applying nothing', async () => {
      const before = (await c().get(k('x'))).revision;
      const many = Array.from({ length: 129 }, (_, i) => op.put(k(`k${i}`), 'v'));
      await rejectsWith(c().txn().success(...many).commit(), 'tooManyOps', TEXT.tooManyOps);
      await rejectsWith(c().txn().success(op.put(k('d'), '1'), op.put(k('d'), '2')).commit(), 'duplicateKey', TEXT.duplicateKey);
      assert.equal((await c().get(k('x'))).revision, before);
      const exactly128 = Array.from({ length: 128 }, (_, i) => op.put(k(`k${i}`), 'v'));
      assert.equal((await c().txn().success(...exactly128).commit()).revision, before + 1);
    });
  });

  describe('input errors', () => {
    it('an empty key is refused', async () => {
      await rejectsWith(c().put('', 'v'), 'emptyKey', TEXT.emptyKey);
      await rejectsWith(c().get(''), 'emptyKey', TEXT.emptyKey);
    });

    it('a request over 1.5 MiB is refused and changes nothing', async () => {
      const before = (await c().get(k('big'))).revision;
      await rejectsWith(c().put(k('big'), Buffer.alloc(1.5 * 1024 * 1024 + 1024, 1)), 'requestTooLarge', TEXT.tooLarge);
      const near = Buffer.alloc(1024 * 1024, 2);
      assert.equal((await c().put(k('near'), near)).revision, before + 1, 'a 1 MiB value fits');
      assert.equal((await c().get(k('big'))).revision, before + 1);
    });

    it('a put with an unknown lease is refused', async () => {
      await rejectsWith(c().put(k('l'), 'v', { lease: 0x7eadbeefn }), 'leaseNotFound', TEXT.leaseNotFound);
    });
  });

  describe('deletes and misc', () => {
    it('a prefix delete removes every key in one revision and returns prev_kvs', async () => {
      for (const n of ['a', 'b', 'c']) await c().put(k(`d/${n}`), n);
      await c().put(k('dd'), 'outside');
      const r = await c().delete(k('d/'), { prefix: true, prevKv: true });
      assert.equal(r.deleted, 3);
      assert.deepEqual(r.prevKvs.map((kv) => kv.value.toString()).sort(), ['a', 'b', 'c']);
      assert.equal((await c().get(k('d/'), { prefix: true, countOnly: true })).count, 0);
      assert.equal((await c().get(k('dd'))).count, 1);
    });

    it('accepts a W3C traceparent on writes', async () => {
      const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const r = await c().put(k('t'), 'v', { traceparent: tp });
      const t = await c().txn().success(op.put(k('t'), 'w')).commit({ traceparent: tp });
      assert.equal(t.revision, r.revision + 1);
    });

    it('no alarms on a healthy store', async () => {
      assert.deepEqual(await c().alarms(), []);
    });

    it('a client whose first endpoint is dead uses the next one', async () => {
      const [dead] = await freePorts(1);
      const client = ctx.newClient([`127.0.0.1:${dead}`, ...ctx.store().endpoints]);
      const w = await client.put(k('f'), 'v');
      assert.equal((await client.get(k('f'))).kvs[0]?.modRevision, w.revision);
      assert.notEqual(client.activeEndpoint(), `127.0.0.1:${dead}`);
    });
  });
}
