/**
 * Leases, alarms and members as the replicated state holds them (reference/etcd-api.md §2.10).
 */
import assert from 'node:assert/strict';
import { AlarmType, type AlarmResponse } from '../../../src/gen/etcdserverpb/rpc.js';
import { ConfChangeType } from '../../../src/gen/k8ts/raft/v1/raft.js';
import { etcdErrors } from '../../../src/store/errors.js';
import { Harness, cmp, err, keys, ok, op, txnReq } from './harness.js';

describe('store: leases', () => {
  it('a grant with an existing id is "lease already exists"; grants cost no revision', () => {
    const h = new Harness();
    ok(h.grant(5n, 30n));
    assert.equal(err(h.grant(5n)).message, etcdErrors.leaseExists().message);
    assert.equal(h.state.revision(), 1);
    assert.deepEqual(h.state.leases(), [{ id: 5n, ttl: 30 }]);
  });

  it('a put with an unknown lease is "requested lease not found"', () => {
    const h = new Harness();
    const e = err(h.apply({ $case: 'put', value: { key: Buffer.from('k'), value: Buffer.from('v'), lease: 3n, prevKv: false, ignoreValue: false, ignoreLease: false } }));
    assert.equal(e.message, etcdErrors.leaseNotFound().message);
    assert.equal(e.code, etcdErrors.leaseNotFound().code);
  });

  it('revoke deletes every attached key in one revision with DELETE events in key order', () => {
    const h = new Harness();
    h.grant(1n);
    h.put('b', '1', { lease: 1n });
    h.put('a', '1', { lease: 1n });
    h.put('c', '1');
    ok(h.revoke(1n));
    assert.equal(h.state.revision(), 5);
    const last = h.published.at(-1);
    assert.deepEqual(last?.events.map((e) => [e.type, e.kv?.key.toString()]), [[1, 'a'], [1, 'b']]);
    assert.deepEqual(keys(h.get('\x00', '\x00')), ['c']);
    assert.deepEqual(h.state.leases(), []);
  });

  it('revoking a lease without keys bumps nothing; an unknown lease is not found', () => {
    const h = new Harness();
    h.grant(1n);
    ok(h.revoke(1n));
    assert.equal(h.state.revision(), 1);
    assert.equal(err(h.revoke(1n)).message, etcdErrors.leaseNotFound().message);
  });

  it('a put attaching a key to a lease detaches it from its old lease; lease 0 detaches', () => {
    const h = new Harness();
    h.grant(1n);
    h.grant(2n);
    h.put('k', 'v', { lease: 1n });
    h.put('k', 'v', { lease: 2n });
    assert.deepEqual(h.state.lease(1n)?.keys, []);
    assert.deepEqual(h.state.lease(2n)?.keys.map(String), ['k']);
    h.put('k', 'v');
    assert.deepEqual(h.state.lease(2n)?.keys, []);
    ok(h.revoke(2n));
    assert.equal(h.get('k').kvs.length, 1);
  });

  it('deleting a key detaches it from its lease', () => {
    const h = new Harness();
    h.grant(1n);
    h.put('k', 'v', { lease: 1n });
    h.del('k');
    assert.deepEqual(h.state.lease(1n)?.keys, []);
  });
});

describe('store: alarms', () => {
  it('under NOSPACE, Put, LeaseGrant and a Txn holding a put are refused; deletes and compaction work', () => {
    const h = new Harness();
    h.put('a', '1');
    h.put('a', '2');
    ok(h.alarm('activate'));
    const noSpace = etcdErrors.noSpace().message;
    assert.equal(err(h.apply({ $case: 'put', value: { key: Buffer.from('b'), value: Buffer.alloc(0), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } })).message, noSpace);
    assert.equal(err(h.grant(1n)).message, noSpace);
    assert.equal(err(h.apply({ $case: 'txn', value: txnReq([cmp('a', 'version', '=', 9n)], [], [op.put('z', '1')]) })).message, noSpace);
    assert.equal(h.txn(txnReq([], [op.range('a')])).succeeded, true);
    assert.equal(h.del('a').deleted, 1n);
    ok(h.compact(3));
    ok(h.alarm('deactivate'));
    h.put('b', '1');
  });

  it('alarm GET lists raised alarms; ACTIVATE answers the alarm; DEACTIVATE of none answers nothing', () => {
    const h = new Harness();
    const act = ok(h.alarm('activate', AlarmType.NOSPACE, 3n)) as AlarmResponse;
    assert.deepEqual(act.alarms, [{ memberID: 3n, alarm: AlarmType.NOSPACE }]);
    h.alarm('activate', AlarmType.CORRUPT, 1n);
    const all = ok(h.alarm('get', AlarmType.NONE)) as AlarmResponse;
    assert.equal(all.alarms.length, 2);
    const none = ok(h.alarm('deactivate', AlarmType.NOSPACE, 9n)) as AlarmResponse;
    assert.deepEqual(none.alarms, []);
    assert.equal(h.state.revision(), 1);
  });
});

describe('store: members', () => {
  it('conf changes add members with their peer URL and remove them; attributes add name and client URLs', () => {
    const h = new Harness();
    h.state.applyConfChange(1, { type: ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER, nodeId: 1, context: Buffer.from('127.0.0.1:2380') });
    h.state.applyConfChange(2, { type: ConfChangeType.CONF_CHANGE_TYPE_ADD_LEARNER, nodeId: 2, context: Buffer.from('127.0.0.1:2381') });
    assert.equal(h.state.appliedIndex(), 2);
    const s = h.state;
    s.apply(3, { op: { $case: 'memberAttributes', value: { id: 2n, name: 'm2', clientUrls: ['http://127.0.0.1:2379'] } } });
    s.applyConfChange(4, { type: ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER, nodeId: 2, context: Buffer.alloc(0) });
    s.applyConfChange(5, { type: ConfChangeType.CONF_CHANGE_TYPE_REMOVE, nodeId: 1, context: Buffer.alloc(0) });
    assert.deepEqual(s.members(), [{ id: 2n, name: 'm2', peerUrls: ['http://127.0.0.1:2381'], clientUrls: ['http://127.0.0.1:2379'] }]);
    assert.equal(s.revision(), 1);
  });
});

describe('store: snapshot', () => {
  it('a restored state has the same revisions, history, hash, leases, alarms, members and applied index', () => {
    const h = new Harness();
    h.state.applyConfChange(1, { type: ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER, nodeId: 7, context: Buffer.from('10.0.0.7:2380') });
    h.grant(3n, 60n);
    h.put('a', '1', { lease: 3n }, { traceparent: 'tp-a', tracestate: 'ts' });
    h.put('b', '1');
    h.put('b', '2');
    h.del('a');
    h.put('c', '1', { lease: 3n });
    h.compact(4);
    h.alarm('activate', AlarmType.NOSPACE, 7n);
    const restored = new Harness();
    restored.state.restore(h.state.snapshot(), h.state.appliedIndex());
    const s = restored.state;
    assert.equal(s.appliedIndex(), h.state.appliedIndex());
    assert.deepEqual([s.revision(), s.compactRevision()], [h.state.revision(), h.state.compactRevision()]);
    assert.deepEqual(s.historyFrom(4, 100), h.state.historyFrom(4, 100));
    assert.deepEqual(s.hashKV(0), h.state.hashKV(0));
    assert.deepEqual(s.lease(3n), h.state.lease(3n));
    assert.deepEqual(s.alarms(), h.state.alarms());
    assert.deepEqual(s.members(), h.state.members());
    assert.equal(s.sizeBytes(), h.state.sizeBytes());
    assert.deepEqual(s.range({ ...restoredRange() }), h.state.range({ ...restoredRange() }));
    assert.equal(err(restored.grant(1n)).message, etcdErrors.noSpace().message);
  });
});

function restoredRange(): Parameters<Harness['state']['range']>[0] {
  return { key: Buffer.from('\x00'), rangeEnd: Buffer.from('\x00'), limit: 0n, revision: 4n, sortOrder: 0, sortTarget: 0, serializable: false, keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n };
}
