/**
 * The pre-propose checks, with etcd 3.4's exact texts (reference/etcd-api.md §1).
 */
import assert from 'node:assert/strict';
import type { TxnRequest } from '../../../src/gen/etcdserverpb/rpc.js';
import { minLeaseTTLSeconds, validateRequest } from '../../../src/store/apply/validate.js';
import { etcdErrors } from '../../../src/store/errors.js';
import { cmp, delReq, op, putReq, rangeReq, txnReq } from './harness.js';

const rejects = (fn: () => void, expected: ReturnType<typeof etcdErrors.emptyKey>): void => {
  assert.throws(fn, (e: Error & { code?: number }) => e.message === expected.message && e.code === expected.code);
};
const txn = (t: TxnRequest, maxTxnOps = 128): void => validateRequest({ $case: 'txn', value: t }, { maxTxnOps });

describe('store: request validation', () => {
  it('an empty key is "etcdserver: key is not provided" for Range, Put, DeleteRange and compares', () => {
    rejects(() => validateRequest({ $case: 'range', value: rangeReq('') }), etcdErrors.emptyKey());
    rejects(() => validateRequest({ $case: 'put', value: putReq('', 'v') }), etcdErrors.emptyKey());
    rejects(() => validateRequest({ $case: 'deleteRange', value: delReq('') }), etcdErrors.emptyKey());
    rejects(() => txn(txnReq([cmp('', 'version', '=', 0n)], [])), etcdErrors.emptyKey());
    rejects(() => txn(txnReq([], [op.put('', 'v')])), etcdErrors.emptyKey());
  });

  it('ignore_value with a value is "value is provided"; ignore_lease with a lease is "lease is provided"', () => {
    rejects(() => validateRequest({ $case: 'put', value: putReq('k', 'v', { ignoreValue: true }) }), etcdErrors.valueProvided());
    rejects(() => validateRequest({ $case: 'put', value: putReq('k', '', { ignoreLease: true, lease: 1n }) }), etcdErrors.leaseProvided());
  });

  it('more than maxTxnOps compares, success or failure ops is "too many operations in txn request"', () => {
    const many = Array.from({ length: 4 }, (_, i) => op.put(`k${i}`, 'v'));
    txn(txnReq([], many), 4);
    rejects(() => txn(txnReq([], [...many, op.put('x', 'v')]), 4), etcdErrors.tooManyOps());
    rejects(() => txn(txnReq([], [], [...many, op.range('x')]), 4), etcdErrors.tooManyOps());
    const compares = Array.from({ length: 5 }, () => cmp('k', 'version', '=', 0n));
    rejects(() => txn(txnReq(compares, []), 4), etcdErrors.tooManyOps());
  });

  it('a nested txn gets the budget its parent leaves', () => {
    const inner = txnReq([], [op.put('a', '1'), op.put('b', '1')]);
    txn(txnReq([], [op.txn(inner), op.range('x')]), 4);
    rejects(() => txn(txnReq([], [op.txn(inner), op.range('x'), op.range('y')]), 4), etcdErrors.tooManyOps());
  });

  it('a key put twice in one branch is "duplicate key given in txn request"', () => {
    rejects(() => txn(txnReq([], [op.put('k', '1'), op.put('k', '2')])), etcdErrors.duplicateKey());
    txn(txnReq([], [op.put('k', '1')], [op.put('k', '2')]));
  });

  it('a branch of reads and one put (the API server\'s create and update) passes; a second put does not', () => {
    txn(txnReq([cmp('k', 'modRevision', '=', 0n)], [op.put('k', '1')]));
    txn(txnReq([cmp('k', 'modRevision', '=', 7n)], [op.put('k', '1'), op.range('k')], [op.range('k'), op.range('k')]));
    rejects(() => txn(txnReq([], [op.range('k'), op.put('k', '1')], [op.put('j', '1'), op.range('k'), op.put('j', '2')])),
      etcdErrors.duplicateKey());
    rejects(() => txn(txnReq([], [op.put('k', '1'), op.del('k')])), etcdErrors.duplicateKey());
  });

  it('a put inside a range deleted in the same branch is a duplicate, nested txns included', () => {
    rejects(() => txn(txnReq([], [op.del('a', 'c'), op.put('b', '1')])), etcdErrors.duplicateKey());
    rejects(() => txn(txnReq([], [op.del('b'), op.txn(txnReq([], [op.put('b', '1')]))])), etcdErrors.duplicateKey());
    rejects(() => txn(txnReq([], [op.put('b', '1'), op.txn(txnReq([], [op.del('a', 'c')]))])), etcdErrors.duplicateKey());
    txn(txnReq([], [op.del('a', 'b'), op.put('b', '1')]));
  });

  it('the same key in both branches of a nested txn is fine, but not beside a put at the outer level', () => {
    txn(txnReq([], [op.txn(txnReq([], [op.put('k', '1')], [op.put('k', '2')]))]));
    rejects(() => txn(txnReq([], [op.put('k', '0'), op.txn(txnReq([], [op.put('k', '1')]))])), etcdErrors.duplicateKey());
  });

  it('like etcd, a from-key delete ("\\x00") does not count as covering later puts', () => {
    txn(txnReq([], [op.del('a', '\x00'), op.put('b', '1')]));
  });

  it('an empty request op is "key not found", as etcd answers', () => {
    rejects(() => txn(txnReq([], [{ request: undefined }])), etcdErrors.keyNotFound());
  });

  it('the minimum lease TTL is ceil(1.5 × election timeout) seconds, at least 1', () => {
    assert.equal(minLeaseTTLSeconds(1000), 2);
    assert.equal(minLeaseTTLSeconds(300), 1);
    assert.equal(minLeaseTTLSeconds(10), 1);
    assert.equal(minLeaseTTLSeconds(3000), 5);
  });
});
