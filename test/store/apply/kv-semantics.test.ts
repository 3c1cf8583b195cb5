/**
 * etcd 3.4's key-value semantics, one documented sentence per test (reference/etcd-api.md §2).
 */
import assert from 'node:assert/strict';
import { RangeRequest_SortOrder as Order, RangeRequest_SortTarget as Target } from '../../../src/gen/etcdserverpb/rpc.js';
import { etcdErrors } from '../../../src/store/errors.js';
import { Harness, err, keys } from './harness.js';

const rev = (r: { header?: { revision: bigint } | undefined }): number => Number(r.header?.revision);

describe('store: revisions', () => {
  it('a new store reports revision 1 and the first write gets revision 2', () => {
    const h = new Harness();
    assert.equal(h.state.revision(), 1);
    assert.equal(rev(h.get('x')), 1);
    assert.equal(rev(h.put('a', '1')), 2);
    assert.equal(h.state.revision(), 2);
  });

  it('every mutating request increments the revision by exactly one', () => {
    const h = new Harness();
    h.put('a', '1');
    h.put('b', '1');
    assert.equal(rev(h.del('a', 'z')), 4);
    assert.equal(h.state.revision(), 4);
  });

  it('a DeleteRange that deletes nothing does not bump the revision', () => {
    const h = new Harness();
    h.put('a', '1');
    const resp = h.del('nothing');
    assert.equal(resp.deleted, 0n);
    assert.equal(rev(resp), 2);
    assert.equal(h.state.revision(), 2);
    assert.equal(h.published.length, 1);
  });

  it('header.revision of a range is the store revision, whatever revision it reads at', () => {
    const h = new Harness();
    h.put('a', '1');
    h.put('a', '2');
    const old = h.get('a', '', { revision: 2n });
    assert.equal(rev(old), 3);
    assert.equal(old.kvs[0]?.value.toString(), '1');
  });
});

describe('store: per-key metadata', () => {
  it('create_revision is the creating write, mod_revision the last write, version counts writes', () => {
    const h = new Harness();
    h.put('k', 'a');
    h.put('other', 'x');
    h.put('k', 'b');
    const kv = h.get('k').kvs[0];
    assert.deepEqual([kv?.createRevision, kv?.modRevision, kv?.version], [2n, 4n, 2n]);
  });

  it('a delete resets the version: the key is created anew', () => {
    const h = new Harness();
    h.put('k', 'a');
    h.put('k', 'b');
    h.del('k');
    h.put('k', 'c');
    const kv = h.get('k').kvs[0];
    assert.deepEqual([kv?.createRevision, kv?.modRevision, kv?.version], [5n, 5n, 1n]);
  });

  it('Put with prev_kv returns the previous version; none for a new key', () => {
    const h = new Harness();
    assert.equal(h.put('k', 'a', { prevKv: true }).prevKv, undefined);
    assert.equal(h.put('k', 'b', { prevKv: true }).prevKv?.value.toString(), 'a');
  });

  it('ignore_value keeps the stored value and ignore_lease keeps the lease', () => {
    const h = new Harness();
    h.grant(7n);
    h.put('k', 'v', { lease: 7n });
    h.put('k', '', { ignoreValue: true, ignoreLease: true });
    const kv = h.get('k').kvs[0];
    assert.equal(kv?.value.toString(), 'v');
    assert.equal(kv?.lease, 7n);
    assert.equal(kv?.version, 2n);
  });

  it('ignore_value on a missing key is "key not found" and writes nothing', () => {
    const h = new Harness();
    const e = err(h.apply({ $case: 'put', value: { key: Buffer.from('k'), value: Buffer.alloc(0), lease: 0n, prevKv: false, ignoreValue: true, ignoreLease: false } }));
    assert.equal(e.message, etcdErrors.keyNotFound().message);
    assert.equal(h.state.revision(), 1);
  });

  it('DeleteRange with prev_kv returns the deleted versions and the count', () => {
    const h = new Harness();
    h.put('a', '1');
    h.put('b', '2');
    h.put('c', '3');
    const resp = h.del('a', 'c', true);
    assert.equal(resp.deleted, 2n);
    assert.deepEqual(resp.prevKvs.map((kv) => kv.value.toString()), ['1', '2']);
  });
});

describe('store: ranges', () => {
  const fill = (): Harness => {
    const h = new Harness();
    for (const k of ['a', 'b', 'b1', 'b2', 'c', 'd']) h.put(k, `v-${k}`);
    return h;
  };

  it('[key, range_end) is in byte order; empty range_end is the key alone', () => {
    const h = fill();
    assert.deepEqual(keys(h.get('b', 'c')), ['b', 'b1', 'b2']);
    assert.deepEqual(keys(h.get('b')), ['b']);
  });

  it('range_end "\\x00" means every key from key on', () => {
    const h = fill();
    assert.deepEqual(keys(h.get('b2', '\x00')), ['b2', 'c', 'd']);
    assert.deepEqual(keys(h.get('\x00', '\x00')).length, 6);
  });

  it('byte order is unsigned: 0xff sorts after ASCII', () => {
    const h = new Harness();
    h.put('\xff', 'hi');
    h.put('z', 'z');
    h.put('\x01', 'lo');
    assert.deepEqual(keys(h.get('\x00', '\x00')), ['\x01', 'z', '\xff']);
  });

  it('limit sets more, and count is every match regardless of limit', () => {
    const h = fill();
    const resp = h.get('a', '\x00', { limit: 2n });
    assert.deepEqual(keys(resp), ['a', 'b']);
    assert.equal(resp.more, true);
    assert.equal(resp.count, 6n);
    const all = h.get('a', '\x00', { limit: 6n });
    assert.equal(all.more, false);
  });

  it('count_only returns the count and no kvs; keys_only drops values', () => {
    const h = fill();
    const counted = h.get('b', 'c', { countOnly: true });
    assert.equal(counted.count, 3n);
    assert.equal(counted.kvs.length, 0);
    const bare = h.get('b', 'c', { keysOnly: true });
    assert.ok(bare.kvs.every((kv) => kv.value.length === 0));
  });

  it('a range reads an older revision until it is compacted; exactly the compaction revision is allowed', () => {
    const h = fill(); // revisions 2..7
    h.del('a');
    assert.deepEqual(keys(h.get('a', '', { revision: 3n })), ['a']);
    h.compact(4);
    assert.throws(() => h.get('a', '', { revision: 3n }), { message: etcdErrors.compacted().message });
    assert.deepEqual(keys(h.get('a', '\x00', { revision: 4n })), ['a', 'b', 'b1']);
    assert.throws(() => h.get('a', '', { revision: 99n }), { message: etcdErrors.futureRevision().message });
  });

  it('sort target other than KEY with order NONE sorts ascending', () => {
    const h = new Harness();
    h.put('b', '1');
    h.put('a', '1');
    h.put('b', '2');
    assert.deepEqual(keys(h.get('a', 'z', { sortTarget: Target.MOD })), ['a', 'b']);
    assert.deepEqual(keys(h.get('a', 'z', { sortTarget: Target.CREATE })), ['b', 'a']);
    assert.deepEqual(keys(h.get('a', 'z', { sortTarget: Target.VERSION, sortOrder: Order.DESCEND })), ['b', 'a']);
  });

  it('like etcd, a non-KEY target with order NONE and a limit sorts only the first limit + 1 keys', () => {
    const h = new Harness();
    h.put('a', '3');
    h.put('b', '2');
    h.put('c', '1');
    assert.deepEqual(keys(h.get('a', 'z', { sortTarget: Target.VALUE, limit: 1n })), ['b']);
    assert.deepEqual(keys(h.get('a', 'z', { sortTarget: Target.VALUE, sortOrder: Order.ASCEND, limit: 1n })), ['c']);
  });

  it('descending key order with a limit returns the last keys, and more', () => {
    const h = fill();
    const resp = h.get('a', '\x00', { sortOrder: Order.DESCEND, limit: 2n });
    assert.deepEqual(keys(resp), ['d', 'c']);
    assert.equal(resp.more, true);
    assert.equal(resp.count, 6n);
  });

  it('min/max mod and create revision filters drop kvs but not the count', () => {
    const h = fill(); // a@2 b@3 b1@4 b2@5 c@6 d@7
    const resp = h.get('a', '\x00', { minModRevision: 4n, maxCreateRevision: 6n });
    assert.deepEqual(keys(resp), ['b1', 'b2', 'c']);
    assert.equal(resp.count, 6n);
  });

  it('a range hands out the stored KeyValue objects without copying', () => {
    const h = fill();
    assert.equal(h.get('a').kvs[0], h.get('a', 'b').kvs[0]);
  });
});

describe('store: compaction', () => {
  it('compacting at or below the compaction revision is "compacted", beyond the current is "future"', () => {
    const h = new Harness();
    h.put('a', '1');
    h.put('a', '2');
    assert.ok(!('error' in h.compact(2)));
    assert.equal(err(h.compact(2)).message, etcdErrors.compacted().message);
    assert.equal(err(h.compact(1)).message, etcdErrors.compacted().message);
    assert.equal(err(h.compact(9)).message, etcdErrors.futureRevision().message);
    assert.equal(h.state.compactRevision(), 2);
  });

  it('compaction does not bump the revision and keeps each live key\'s latest version', () => {
    const h = new Harness();
    h.put('a', '1');
    h.put('a', '2');
    h.put('b', '1');
    h.del('b');
    const before = h.state.revision();
    h.compact(h.state.revision());
    assert.equal(h.state.revision(), before);
    assert.deepEqual(keys(h.get('\x00', '\x00')), ['a']);
    assert.equal(h.get('a').kvs[0]?.value.toString(), '2');
  });

  it('a watch from the compaction revision gets the versions compaction kept; below it is compacted', () => {
    const h = new Harness();
    h.put('a', '1'); // 2
    h.put('b', '1'); // 3
    h.del('a'); //      4
    h.compact(3);
    assert.throws(() => h.state.historyFrom(2, 100), { message: etcdErrors.compacted().message });
    const hist = h.state.historyFrom(3, 100);
    assert.deepEqual(hist.map((r) => r.revision), [3, 4]);
    assert.equal(hist[1]?.events[0]?.type, 1);
  });
});

describe('store: events', () => {
  it('every revision is published with its events, prev_kv and trace context', () => {
    const h = new Harness();
    const trace = { traceparent: '00-abc-def-01', tracestate: 'k=v' };
    h.put('a', '1');
    h.put('a', '2', {}, trace);
    const last = h.published[1];
    assert.equal(last?.revision, 3);
    assert.equal(last?.events[0]?.prevKv?.value.toString(), '1');
    assert.equal(last?.events[0]?.traceparent, '00-abc-def-01');
    assert.deepEqual(h.state.historyFrom(3, 10), [last]);
  });

  it('a DELETE event carries the key and the deletion revision', () => {
    const h = new Harness();
    h.put('a', '1');
    h.del('a');
    const ev = h.published[1]?.events[0];
    assert.equal(ev?.type, 1);
    assert.equal(ev?.kv?.key.toString(), 'a');
    assert.equal(ev?.kv?.modRevision, 3n);
    assert.equal(ev?.prevKv?.value.toString(), '1');
  });

  it('historyFrom returns whole revisions and stops once maxEvents is reached', () => {
    const h = new Harness();
    for (let i = 0; i < 5; i++) h.put(`k${i}`, 'v');
    h.del('k', 'l'); // one revision, five events
    h.put('z', 'z');
    const got = h.state.historyFrom(5, 3);
    assert.deepEqual(got.map((r) => r.revision), [5, 6, 7]);
    assert.equal(got[2]?.events.length, 5);
  });
});
