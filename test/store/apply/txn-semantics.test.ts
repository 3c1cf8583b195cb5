/**
 * etcd 3.4's Txn: compares, atomicity, nested txns, revisions (reference/etcd-api.md §2.1, §2.3).
 */
import assert from 'node:assert/strict';
import type { RangeResponse, TxnResponse } from '../../../src/gen/etcdserverpb/rpc.js';
import { etcdErrors } from '../../../src/store/errors.js';
import { Harness, cmp, err, keys, op, txnReq } from './harness.js';

const rev = (r: { header?: { revision: bigint } | undefined }): number => Number(r.header?.revision);
const rangeAt = (t: TxnResponse, i: number): RangeResponse => {
  const r = t.responses[i]?.response;
  assert.ok(r?.$case === 'responseRange');
  return r.value;
};

describe('store: txn', () => {
  it('create is If(mod_revision(k) = 0) Then(Put): a missing key compares as 0', () => {
    const h = new Harness();
    const first = h.txn(txnReq([cmp('k', 'modRevision', '=', 0n)], [op.put('k', 'v')]));
    assert.equal(first.succeeded, true);
    assert.equal(rev(first), 2);
    const again = h.txn(txnReq([cmp('k', 'modRevision', '=', 0n)], [op.put('k', 'w')], [op.range('k')]));
    assert.equal(again.succeeded, false);
    assert.equal(rangeAt(again, 0).kvs[0]?.value.toString(), 'v');
  });

  it('a txn whose executed branch is read-only does not bump the revision', () => {
    const h = new Harness();
    h.put('k', 'v');
    const t = h.txn(txnReq([cmp('k', 'version', '=', 5n)], [op.put('k', 'x')], [op.range('k')]));
    assert.equal(t.succeeded, false);
    assert.equal(rev(t), 2);
    assert.equal(h.state.revision(), 2);
  });

  it('all writes of one txn share one revision, in the order written', () => {
    const h = new Harness();
    h.put('old', '1');
    const t = h.txn(txnReq([], [op.put('a', '1'), op.del('old'), op.put('b', '2')]));
    assert.equal(rev(t), 3);
    assert.equal(h.published.at(-1)?.events.map((e) => e.kv?.key.toString()).join(','), 'a,old,b');
    assert.deepEqual(h.published.at(-1)?.events.map((e) => e.type), [0, 1, 0]);
  });

  it('reads inside a txn see the txn\'s earlier writes, with the txn\'s revision', () => {
    const h = new Harness();
    const t = h.txn(txnReq([], [op.range('k'), op.put('k', 'v'), op.range('k')]));
    assert.equal(rangeAt(t, 0).kvs.length, 0);
    assert.equal(rev(rangeAt(t, 0)), 1);
    assert.equal(rangeAt(t, 2).kvs[0]?.value.toString(), 'v');
    assert.equal(rev(rangeAt(t, 2)), 2);
  });

  it('compares on value, version, create, lease with every result', () => {
    const h = new Harness();
    h.grant(9n);
    h.put('k', 'mid', { lease: 9n });
    const holds = (c: ReturnType<typeof cmp>): boolean => h.txn(txnReq([c], [])).succeeded;
    assert.equal(holds(cmp('k', 'value', '=', 'mid')), true);
    assert.equal(holds(cmp('k', 'value', '>', 'aaa')), true);
    assert.equal(holds(cmp('k', 'value', '<', 'aaa')), false);
    assert.equal(holds(cmp('k', 'version', '!=', 1n)), false);
    assert.equal(holds(cmp('k', 'createRevision', '=', 2n)), true);
    assert.equal(holds(cmp('k', 'lease', '=', 9n)), true);
    assert.equal(holds(cmp('missing', 'value', '=', '')), false);
    assert.equal(holds(cmp('missing', 'version', '=', 0n)), true);
  });

  it('a compare with range_end must hold for every key in the range', () => {
    const h = new Harness();
    h.put('p/a', '1');
    h.put('p/b', '1');
    h.put('p/b', '2');
    assert.equal(h.txn(txnReq([cmp('p/', 'version', '=', 1n, 'p0')], [])).succeeded, false);
    assert.equal(h.txn(txnReq([cmp('p/', 'version', '>', 0n, 'p0')], [])).succeeded, true);
  });

  it('nested txn compares see the state before the txn wrote anything', () => {
    const h = new Harness();
    const nested = txnReq([cmp('k', 'version', '=', 0n)], [op.put('n', 'yes')], [op.put('n', 'no')]);
    const t = h.txn(txnReq([], [op.put('k', 'v'), op.txn(nested)]));
    const inner = t.responses[1]?.response;
    assert.ok(inner?.$case === 'responseTxn');
    assert.equal(inner.value.succeeded, true);
    assert.equal(inner.value.header?.revision, 0n, 'nested txn headers are empty, as in etcd');
    assert.equal(h.get('n').kvs[0]?.value.toString(), 'yes');
    assert.equal(rev(t), 2);
  });

  it('an unknown lease anywhere on the chosen path fails the whole txn with nothing written', () => {
    const h = new Harness();
    const e = err(h.apply({ $case: 'txn', value: txnReq([], [op.put('a', '1'), op.txn(txnReq([], [op.put('b', '1', { lease: 42n })]))]) }));
    assert.equal(e.message, etcdErrors.leaseNotFound().message);
    assert.equal(h.state.revision(), 1);
    assert.equal(h.get('a').kvs.length, 0);
  });

  it('a compacted read revision inside a txn fails it before any write', () => {
    const h = new Harness();
    h.put('a', '1');
    h.put('a', '2');
    h.compact(3);
    const e = err(h.apply({ $case: 'txn', value: txnReq([], [op.put('b', '1'), op.range('a', '', { revision: 2n })]) }));
    assert.equal(e.message, etcdErrors.compacted().message);
    assert.equal(h.get('b').kvs.length, 0);
  });

  it('the branch not taken is not checked', () => {
    const h = new Harness();
    const t = h.txn(txnReq([cmp('k', 'version', '=', 0n)], [op.put('a', '1')], [op.put('b', '1', { lease: 42n })]));
    assert.equal(t.succeeded, true);
  });

  it('a txn whose write ops delete nothing costs no revision', () => {
    const h = new Harness();
    const t = h.txn(txnReq([], [op.del('nothing')]));
    assert.equal(rev(t), 1);
    assert.equal(h.published.length, 0);
  });

  it('inner responses report the revision of their write', () => {
    const h = new Harness();
    h.put('x', '1');
    const t = h.txn(txnReq([], [op.del('none'), op.put('a', '1'), op.del('x')]));
    const revs = t.responses.map((r) => Number(r.response?.value.header?.revision));
    assert.deepEqual(revs, [2, 3, 3]);
    assert.deepEqual(keys(h.get('\x00', '\x00')), ['a']);
  });
});
