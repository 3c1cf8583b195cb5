/**
 * The watch hub against the real MvccState, one etcd behaviour per test
 * (reference/etcd-api.md §1 watch rows, §2 items 5–8; etcd v3.4 v3rpc/watch.go and
 * mvcc/watchable_store.go).
 */
import assert from 'node:assert/strict';
import { WatchCreateRequest_FilterType as Filter } from '../../../src/gen/etcdserverpb/rpc.js';
import { Event_EventType as Type } from '../../../src/gen/mvccpb/kv.js';
import { etcdErrors } from '../../../src/store/errors.js';
import { EMPTY_RANGE_REASON } from '../../../src/store/watch/key-range.js';
import {
  DUPLICATE_ID_REASON,
  TOO_MANY_WATCHERS_REASON,
} from '../../../src/store/watch/hub.js';
import { MvccState } from '../../../src/store/apply/state.js';
import { Harness, rev } from './support.js';

describe('watch hub: create', () => {
  it('answers created with the watch id and the current revision; ids count up from 0', () => {
    const h = new Harness();
    h.store.put('a', '1');
    const c = h.open();
    c.create({ key: 'a' });
    c.create({ key: 'b' });
    const [r0, r1] = c.take();
    assert.equal(r0?.created, true);
    assert.equal(r0?.watchId, 0n);
    assert.equal(rev(r0), 2);
    assert.equal(r1?.watchId, 1n);
  });

  it('a client-chosen watch id is used; auto ids skip ids in use', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a', watchId: 1n });
    c.create({ key: 'a' });
    c.create({ key: 'a' });
    assert.deepEqual(c.take().map((r) => r.watchId), [1n, 0n, 2n]);
  });

  it('a watch id already in use is refused: created and canceled with id -1 (etcd 3.4)', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a', watchId: 5n });
    c.create({ key: 'b', watchId: 5n });
    const [, dup] = c.take();
    assert.equal(dup?.created, true);
    assert.equal(dup?.canceled, true);
    assert.equal(dup?.watchId, -1n);
    assert.equal(dup?.cancelReason, DUPLICATE_ID_REASON);
  });

  it('an empty range (key >= range_end) is refused with etcd\'s reason', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'b', end: 'a' });
    const [r] = c.take();
    assert.equal(r?.canceled, true);
    assert.equal(r?.cancelReason, EMPTY_RANGE_REASON);
  });

  it('a negative start revision is refused as compacted (etcd 3.4.45)', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a', startRevision: -1n });
    const [r] = c.take();
    assert.deepEqual([r?.created, r?.canceled, r?.watchId], [true, true, -1n]);
    assert.equal(r?.cancelReason, etcdErrors.compacted().message);
  });

  it('refuses watchers beyond maxWatchersPerStream', () => {
    const h = new Harness({ limits: { maxWatchersPerStream: 2 } });
    const c = h.open();
    for (let i = 0; i < 3; i++) c.create({ key: 'a' });
    const rs = c.take();
    assert.equal(rs[2]?.canceled, true);
    assert.equal(rs[2]?.cancelReason, TOO_MANY_WATCHERS_REASON);
  });
});

describe('watch hub: live events', () => {
  it('start revision 0 means from now: each later revision is one response', () => {
    const h = new Harness();
    h.store.put('a', 'old');
    const c = h.open();
    c.create({ key: 'a' });
    c.take();
    const r2 = h.store.put('a', 'x');
    const rs = c.take();
    const r3 = h.store.del('a');
    rs.push(...c.take());
    assert.equal(rs.length, 2);
    assert.deepEqual(rs.map(rev), [r2, r3]);
    assert.deepEqual(c.eventsOf(0n), []);
    c.received.push(...rs);
    assert.deepEqual(c.eventsOf(0n), [
      { rev: r2, type: Type.PUT, key: 'a', value: 'x' },
      { rev: r3, type: Type.DELETE, key: 'a', value: '' },
    ]);
  });

  it('all events of one txn arrive in one response', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'k/', end: 'k0' });
    c.take();
    h.store.put('k/c', '0');
    const rs = c.take();
    const r = h.store.txn([{ put: ['k/a', '1'] }, { put: ['k/b', '2'] }, { del: 'k/c' }]);
    rs.push(...c.take());
    assert.equal(rs.length, 2);
    assert.equal(rev(rs[1]), r);
    assert.deepEqual(rs[1]?.events.map((e) => e.kv?.key.toString()), ['k/a', 'k/b', 'k/c']);
  });

  it('revisions published before the shell takes share one response, whole and in order', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'k/', end: 'k0' });
    c.take();
    const r1 = h.store.put('k/a', '1');
    const r2 = h.store.txn([{ put: ['k/b', '2'] }, { put: ['k/c', '3'] }]);
    const r3 = h.store.del('k/a');
    const rs = c.take();
    assert.equal(rs.length, 1);
    assert.equal(rev(rs[0]), r3, 'the header carries the newest revision');
    assert.deepEqual(rs[0]?.events.map((e) => [Number(e.kv?.modRevision), e.kv?.key.toString()]),
      [[r1, 'k/a'], [r2, 'k/b'], [r2, 'k/c'], [r3, 'k/a']]);
  });

  it('a shared response is bounded by maxRevisionsPerResponse and maxResponseBytes', () => {
    const h = new Harness({ limits: { maxRevisionsPerResponse: 3, maxResponseBytes: 4_000 } });
    const c = h.open();
    c.create({ key: 'k/', end: 'k0' });
    c.take();
    for (let i = 0; i < 7; i++) h.store.put(`k/${i}`, 'v');
    assert.deepEqual(c.take().map((r) => r.events.length), [3, 3, 1]);
    for (let i = 0; i < 4; i++) h.store.put(`k/${i}`, 'x'.repeat(1_500));
    assert.deepEqual(c.take().map((r) => r.events.length), [2, 2]);
  });

  it('responses are shared only by consecutive revisions of one watcher, never with fragments', () => {
    const h = new Harness({ limits: { fragmentBytes: 2_000 } });
    const c = h.open();
    c.create({ key: 'a' });
    c.create({ key: 'b' });
    c.create({ key: 'f/', end: 'f0', fragment: true });
    c.take();
    h.store.put('a', '1');
    h.store.put('b', '1');
    h.store.put('a', '2');
    h.store.put('a', '3');
    h.store.put('f/1', '1');
    h.store.put('f/2', '2');
    const rs = c.take();
    assert.deepEqual(rs.map((r) => [r.watchId, r.events.length]),
      [[0n, 1], [1n, 1], [0n, 2], [2n, 1], [2n, 1]]);
  });

  it('prev_kv is attached only for watchers that asked for it', () => {
    const h = new Harness();
    h.store.put('a', 'v1');
    const c = h.open();
    c.create({ key: 'a', prevKv: true });
    c.create({ key: 'a' });
    c.take();
    h.store.put('a', 'v2');
    h.store.del('a');
    c.drain();
    assert.deepEqual(c.eventsOf(0n).map((e) => e.prev), ['v1', 'v2']);
    assert.deepEqual(c.eventsOf(1n).map((e) => e.prev), [undefined, undefined]);
  });

  it('NOPUT and NODELETE filters drop those events; a revision with nothing left sends nothing', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a', filters: [Filter.NOPUT] });
    c.create({ key: 'a', filters: [Filter.NODELETE] });
    c.take();
    h.store.put('a', '1');
    h.store.del('a');
    const rs = c.take();
    assert.equal(rs.length, 2);
    c.received.push(...rs);
    assert.deepEqual(c.eventsOf(0n).map((e) => e.type), [Type.DELETE]);
    assert.deepEqual(c.eventsOf(1n).map((e) => e.type), [Type.PUT]);
  });

  it('prefix, from-key ("\\x00") and all-keys ("" + "\\x00") ranges', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'b/', end: 'b0' });
    c.create({ key: 'b', end: '\x00' });
    c.create({ key: '', end: '\x00' });
    c.take();
    for (const k of ['a', 'b', 'b/1', 'b0', 'c']) h.store.put(k, 'v');
    c.drain();
    assert.deepEqual(c.eventsOf(0n).map((e) => e.key), ['b/1']);
    assert.deepEqual(c.eventsOf(1n).map((e) => e.key), ['b', 'b/1', 'b0', 'c']);
    assert.deepEqual(c.eventsOf(2n).map((e) => e.key), ['a', 'b', 'b/1', 'b0', 'c']);
  });

  it('events carry the trace context of the request that wrote them, live and from history', () => {
    const h = new Harness();
    const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' };
    h.store.put('a', '1', trace);
    const c = h.open();
    c.create({ key: 'a', startRevision: 1n });
    h.settle(c);
    h.store.put('a', '2', trace);
    c.drain();
    const evs = c.received.flatMap((r) => r.events);
    assert.equal(evs.length, 2);
    for (const e of evs) assert.deepEqual([e.traceparent, e.tracestate], [trace.traceparent, trace.tracestate]);
  });

  it('a future start revision delivers from that revision on', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a', startRevision: 4n });
    c.take();
    for (let i = 0; i < 4; i++) h.store.put('a', String(i));
    c.drain();
    assert.deepEqual(c.eventsOf(0n).map((e) => e.rev), [4, 5]);
  });
});

describe('watch hub: history', () => {
  it('a past start revision is inclusive and catches up in one batched response, then goes live', () => {
    const h = new Harness();
    for (let i = 0; i < 5; i++) h.store.put('a', String(i)); // revisions 2..6
    const c = h.open();
    c.create({ key: 'a', startRevision: 4n });
    assert.equal(c.take().length, 1, 'only created before the catch-up step runs');
    h.settle(c);
    assert.equal(c.received.length, 1, 'consecutive revisions share one catch-up response');
    assert.equal(rev(c.received[0]), 6);
    h.store.put('a', 'live');
    c.drain();
    assert.deepEqual(c.eventsOf(0n).map((e) => e.rev), [4, 5, 6, 7]);
  });

  it('catch-up responses respect maxRevisionsPerResponse and never split a revision', () => {
    const h = new Harness({ limits: { maxRevisionsPerResponse: 2, maxEventsPerBatch: 3 } });
    for (let i = 0; i < 4; i++) h.store.txn([{ put: ['a', String(i)] }, { put: ['b', String(i)] }]);
    const c = h.open();
    c.create({ key: 'a', end: 'c', startRevision: 2n });
    c.take();
    h.settle(c);
    const revsPerResponse = c.received.map((r) => [...new Set(r.events.map((e) => Number(e.kv?.modRevision)))]);
    assert.deepEqual(revsPerResponse, [[2, 3], [4, 5]]);
    assert.ok(c.received.every((r) => r.events.length === 4));
  });

  it('a start revision below the compaction revision: created, then canceled with compact_revision', () => {
    const h = new Harness();
    for (let i = 0; i < 5; i++) h.store.put('a', String(i));
    h.store.compact(5);
    const c = h.open();
    c.create({ key: 'a', startRevision: 3n });
    h.settle(c);
    const [created, canceled] = c.received;
    assert.equal(created?.created, true);
    assert.equal(rev(created), 6);
    assert.equal(canceled?.canceled, true);
    assert.equal(canceled?.compactRevision, 5n);
    assert.equal(rev(canceled), 0, 'etcd sends the compacted cancel without a header revision');
    assert.equal(c.received.length, 2);
  });

  it('a start revision equal to the compaction revision is served (etcd: minRev < compactRev only)', () => {
    const h = new Harness();
    for (let i = 0; i < 5; i++) h.store.put('a', String(i));
    h.store.compact(5);
    const c = h.open();
    c.create({ key: 'a', startRevision: 5n });
    h.settle(c);
    assert.deepEqual(c.eventsOf(0n).map((e) => e.rev), [5, 6]);
  });

  it('cancel answers canceled and stops events; canceling an unknown id answers nothing', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a' });
    c.take();
    h.store.put('a', '1');
    c.cancel(0n);
    c.cancel(9n);
    h.store.put('a', '2');
    const rs = c.take();
    assert.equal(rs.length, 2);
    assert.equal(rs[1]?.canceled, true);
    assert.equal(rs[1]?.watchId, 0n);
    assert.equal(rev(rs[1]), 2);
  });
});

describe('watch hub: progress', () => {
  it('a progress request with every watcher synced answers watch_id -1 and the current revision', () => {
    const h = new Harness();
    h.store.put('a', '1');
    const c = h.open();
    c.create({ key: 'a' });
    c.take();
    c.progress();
    const [p] = c.take();
    assert.equal(p?.watchId, -1n);
    assert.equal(rev(p), 2);
    assert.equal(p?.events.length, 0);
  });

  it('a progress request waits until unsynced watchers caught up, then comes after their events', () => {
    const h = new Harness();
    for (let i = 0; i < 3; i++) h.store.put('a', String(i));
    const c = h.open();
    c.create({ key: 'a', startRevision: 2n });
    c.progress();
    c.progress();
    assert.equal(c.take().length, 1, 'only created so far');
    h.settle(c);
    const rs = c.received;
    assert.equal(rs.length, 2, 'the catch-up, then one progress answer for both requests');
    assert.equal(rs[0]?.events.length, 3);
    assert.equal(rs[1]?.watchId, -1n);
    assert.equal(rev(rs[1]), 4);
  });

  it('a progress request waits for a future start revision to be reached', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a', startRevision: 3n });
    c.take();
    c.progress();
    h.store.put('x', '1');
    assert.equal(c.take().length, 0);
    h.store.put('x', '2');
    const [p] = c.take();
    assert.equal(p?.watchId, -1n);
    assert.equal(rev(p), 3);
  });

  it('progress_notify watchers get an empty response each interval unless events were sent', () => {
    const h = new Harness({ progressIntervalMs: 5_000 });
    const c = h.open();
    c.create({ key: 'a', progressNotify: true });
    c.create({ key: 'b' });
    c.take();
    h.nowMs = 4_999;
    h.hub.tick();
    assert.equal(c.take().length, 0);
    h.nowMs = 5_000;
    h.hub.tick();
    const [p] = c.take();
    assert.deepEqual([p?.watchId, rev(p), p?.events.length], [0n, 1, 0]);
    h.store.put('a', '1');
    c.take();
    h.nowMs = 10_000;
    h.hub.tick();
    assert.equal(c.take().length, 0, 'elided: the watcher got events during the interval');
    h.nowMs = 15_000;
    h.hub.tick();
    assert.equal(rev(c.take()[0]), 2);
  });

  // etcd ≥ 3.4.38 (etcd-io/etcd#20229, backport #20250; older 3.4, e.g. Debian's 3.4.23, still
  // sends them): a progress revision below a watcher's start would let a client that resumes from
  // it (clientv3, kube-apiserver's cacher) receive events it never asked for (etcd-io/etcd#20221).
  it('no periodic progress for a start revision above the current one, even current + 1, until reached', () => {
    const h = new Harness({ progressIntervalMs: 5_000 });
    h.store.put('x', '0');
    const c = h.open();
    c.create({ key: 'a', startRevision: 3n, progressNotify: true });
    c.create({ key: 'b', startRevision: 4n, progressNotify: true });
    c.take();
    h.nowMs = 5_000;
    h.hub.tick();
    assert.equal(c.take().length, 0, 'revision 2: below both starts');
    h.store.put('x', '1');
    h.nowMs = 10_000;
    h.hub.tick();
    assert.deepEqual(c.take().map((p) => [p.watchId, rev(p)]), [[0n, 3]], 'revision 3 reached start 3 only');
    h.store.put('x', '2');
    h.nowMs = 15_000;
    h.hub.tick();
    assert.deepEqual(c.take().map((p) => [p.watchId, rev(p)]), [[0n, 4], [1n, 4]]);
  });
});

describe('watch hub: slow streams', () => {
  it('a full stream makes its watcher unsynced; it catches up in order, without loss or duplicates', () => {
    const h = new Harness({ limits: { maxPendingBytesPerStream: 4_096 } });
    const slow = h.open();
    const fast = h.open();
    slow.create({ key: 'k', end: 'l' });
    fast.create({ key: 'k', end: 'l' });
    slow.take();
    fast.take();
    slow.stalled = true;
    const revs: number[] = [];
    for (let i = 0; i < 300; i++) {
      revs.push(h.store.put(`k${i % 7}`, 'x'.repeat(100)));
      fast.drain();
      assert.ok(slow.stream.pendingBytes() <= 4_096, 'the stalled stream stays within its bound');
    }
    assert.equal(h.hub.stats().parked, 1);
    assert.deepEqual(fast.eventsOf(0n).map((e) => e.rev), revs);
    slow.stalled = false;
    h.settle(slow, fast);
    assert.deepEqual(slow.eventsOf(0n).map((e) => e.rev), revs);
    assert.equal(h.hub.stats().unsynced, 0);
    const next = h.store.put('k1', 'live');
    slow.drain();
    assert.deepEqual(slow.eventsOf(0n).at(-1)?.rev, next, 'synced again: live events flow');
  });

  it('a slow watcher overtaken by compaction is canceled with compact_revision', () => {
    const h = new Harness({ limits: { maxPendingBytesPerStream: 1_024 } });
    const c = h.open();
    c.create({ key: 'k', end: 'l' });
    c.take();
    c.stalled = true;
    for (let i = 0; i < 50; i++) h.store.put('k', 'x'.repeat(100));
    h.store.compact(40);
    c.stalled = false;
    h.settle(c);
    const last = c.received.at(-1);
    assert.equal(last?.canceled, true);
    assert.equal(last?.compactRevision, 40n);
    const got = c.eventsOf(0n).map((e) => e.rev);
    assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i + 2), 'a gap-free prefix');
    assert.ok((got.at(-1) ?? 0) < 40);
  });

  it('fragment splits a large response only for watchers that asked for it', () => {
    const h = new Harness({ limits: { fragmentBytes: 2_000 } });
    const c = h.open();
    c.create({ key: 'k', end: 'l', fragment: true });
    c.create({ key: 'k', end: 'l' });
    c.take();
    const ops = Array.from({ length: 10 }, (_, i) => ({ put: [`k${i}`, 'v'.repeat(300)] as [string, string] }));
    h.store.txn(ops);
    const rs = c.take();
    const frag = rs.filter((r) => r.watchId === 0n);
    const whole = rs.filter((r) => r.watchId === 1n);
    assert.equal(whole.length, 1);
    assert.ok(frag.length > 1);
    assert.deepEqual(frag.map((r) => r.fragment), [...frag.slice(1).map(() => true), false]);
    assert.equal(frag.flatMap((r) => r.events).length, 10);
  });
});

describe('watch hub: leader and restore', () => {
  it('failLeaderRequired ends only the streams that required a leader, with "no leader"', () => {
    const h = new Harness();
    const needs = h.open(true);
    const plain = h.open(false);
    needs.create({ key: 'a' });
    plain.create({ key: 'a' });
    assert.equal(h.hub.failLeaderRequired(), 1);
    assert.equal(needs.stream.failure?.message, 'etcdserver: no leader');
    assert.equal(plain.stream.failure, undefined);
    plain.take();
    h.store.put('a', '1');
    assert.equal(plain.take().length, 1);
    assert.equal(h.hub.stats().streams, 1);
  });

  it('after a snapshot restore, synced watchers catch up from the restored history', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a' });
    c.take();
    const leader = new MvccState();
    for (let i = 1; i <= 4; i++) {
      leader.apply(i, { op: { $case: 'put', value: {
        key: Buffer.from('a'), value: Buffer.from(String(i)), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false,
      } } });
    }
    h.store.restore(leader.snapshot(), 4);
    h.hub.restored();
    h.settle(c);
    assert.deepEqual(c.eventsOf(0n).map((e) => e.rev), [2, 3, 4, 5]);
  });

  it('a revision gap in publish (a restore nobody announced) sends watchers back to history', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a' });
    c.take();
    const leader = new MvccState();
    for (let i = 1; i <= 3; i++) {
      leader.apply(i, { op: { $case: 'put', value: {
        key: Buffer.from('a'), value: Buffer.from(String(i)), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false,
      } } });
    }
    h.store.restore(leader.snapshot(), 3);
    h.store.put('a', 'after');
    h.settle(c);
    assert.deepEqual(c.eventsOf(0n).map((e) => e.rev), [2, 3, 4, 5]);
  });

  it('closing a stream releases its watchers', () => {
    const h = new Harness();
    const c = h.open();
    c.create({ key: 'a' });
    c.create({ key: 'a', startRevision: 1n });
    c.stream.close();
    assert.deepEqual(h.hub.stats(), { streams: 0, synced: 0, unsynced: 0, parked: 0, pendingBytes: 0 });
    h.settle();
  });
});
