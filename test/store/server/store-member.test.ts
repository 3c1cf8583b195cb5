/**
 * The k8ts store's own promises, beyond what any etcd client can see from one member: writes and
 * linearizable reads through followers, restart from snapshot plus log to the same HashKV as the
 * peers, failing fast without a leader, the NOSPACE quota alarm, lease expiry decided by the
 * leader and surviving a leader change, and MoveLeader. Real members, real gRPC, real disks.
 */
import assert from 'node:assert/strict';
import { credentials, Metadata } from '@grpc/grpc-js';
import {
  ClusterClient,
  KVClient,
  LeaseClient,
  MaintenanceClient,
  PutRequest,
  RangeRequest,
  WatchClient,
  WatchCreateRequest,
  type PutResponse,
  type WatchResponse,
} from '../../../src/gen/etcdserverpb/rpc.js';
import type { Event } from '../../../src/gen/mvccpb/kv.js';
import { StoreRequest } from '../../../src/gen/k8ts/store/v1/store.js';
import { channelOptions } from '../../../src/rpc/defaults.js';
import { RpcError } from '../../../src/rpc/errors.js';
import { unary } from '../../../src/rpc/unary.js';
import { waitFor } from '../../support/cluster.js';
import { freePorts } from '../../support/ports.js';
import { startStoreCluster, type StoreCluster } from '../../support/store.js';

interface Clients {
  kv: KVClient;
  lease: LeaseClient;
  maint: MaintenanceClient;
}

function clientsOf(c: StoreCluster): Clients[] {
  return c.endpoints.map((e) => ({
    kv: new KVClient(e, credentials.createInsecure(), channelOptions()),
    lease: new LeaseClient(e, credentials.createInsecure(), channelOptions()),
    maint: new MaintenanceClient(e, credentials.createInsecure(), channelOptions()),
  }));
}

const put = (c: Clients, key: string, value: string, lease = 0n) =>
  unary(c.kv, c.kv.put, PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value), lease }));
const get = (c: Clients, key: string, serializable = false) =>
  unary(c.kv, c.kv.range, RangeRequest.fromPartial({ key: Buffer.from(key), serializable }));

async function rejects(p: Promise<unknown>, message: RegExp): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcError, String(err));
    assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected an error matching ${message}`);
}

describe('store members', function () {
  this.timeout(30_000);
  let c: StoreCluster;
  let cl: Clients[];

  afterEach(async () => {
    for (const x of cl ?? []) {
      x.kv.close();
      x.lease.close();
      x.maint.close();
    }
    await c?.stop();
  });

  it('a write through a follower is forwarded, and a linearizable read on another follower sees it', async () => {
    c = await startStoreCluster(3);
    cl = clientsOf(c);
    const leader = await c.leader();
    const [f1, f2] = [0, 1, 2].filter((i) => i !== leader);
    const res = await put(cl[f1!]!, '/a', 'through a follower');
    assert.ok(res.header!.revision >= 2n);
    const read = await get(cl[f2!]!, '/a');
    assert.equal(read.kvs[0]?.value.toString(), 'through a follower');
    assert.equal(read.header!.revision >= res.header!.revision, true);
  });

  it('a restarted member restores snapshot + log and reaches the same revision and HashKV', async () => {
    c = await startStoreCluster(3, { snapshotEveryEntries: 40 });
    cl = clientsOf(c);
    const leader = await c.leader();
    const victim = (leader + 1) % 3;
    for (let i = 0; i < 150; i++) await put(cl[leader]!, `/k/${i % 37}`, `v${i}`);
    await c.kill(victim);
    for (let i = 0; i < 120; i++) await put(cl[leader]!, `/k/${i % 41}`, `w${i}`);
    await unary(cl[leader]!.kv, cl[leader]!.kv.compact, { revision: 200n, physical: false });
    await c.restart(victim);
    const hashes = await waitFor('members to agree', async () => {
      const hs = await Promise.all(cl.map((x) => unary(x.maint, x.maint.hashKv, { revision: 0n }).catch(() => undefined)));
      const ok = hs.every((h) => h && h.header!.revision === hs[0]!.header!.revision && h.hash === hs[0]!.hash);
      return ok ? hs : undefined;
    });
    assert.equal(hashes[victim]!.header!.revision, 271n);
    assert.equal(hashes[victim]!.compactRevision, 200n);
    const read = await get(cl[victim]!, '/k/3', true);
    assert.equal(read.kvs[0]?.value.toString(), 'w85');
  });

  it('without a leader, requests fail fast with "etcdserver: no leader"', async () => {
    c = await startStoreCluster(3);
    cl = clientsOf(c);
    const leader = await c.leader();
    const survivor = (leader + 1) % 3;
    await c.kill(leader);
    await c.kill((leader + 2) % 3);
    await waitFor('the survivor to lose its leader', () => c.members[survivor]!.core.leader() === 0);
    const t0 = performance.now();
    // The first request may still meet the end of the old term ("leader changed", its outcome
    // unknown); once the member knows it has no leader, requests are refused outright.
    await rejects(put(cl[survivor]!, '/x', 'y'), /^etcdserver: (no leader|leader changed)$/);
    await rejects(put(cl[survivor]!, '/x', 'y'), /^etcdserver: no leader$/);
    await rejects(get(cl[survivor]!, '/x'), /^etcdserver: no leader$/);
    assert.ok(performance.now() - t0 < 1_000, 'failing took too long');
    const stale = await get(cl[survivor]!, '/x', true);
    assert.equal(stale.kvs.length, 0, 'serializable reads are still served');
  });

  it('NOSPACE: a write over the quota raises the alarm, writes are refused, reads and deletes served, disarm restores', async () => {
    c = await startStoreCluster(3, { quotaBytes: 64 * 1024 });
    cl = clientsOf(c);
    const leader = await c.leader();
    const big = 'x'.repeat(4096);
    let i = 0;
    await rejects((async () => {
      for (; i < 100; i++) await put(cl[leader]!, `/q/${i}`, big);
    })(), /^etcdserver: mvcc: database space exceeded$/);
    const alarms = await waitFor('the alarm', async () => {
      const a = await unary(cl[0]!.maint, cl[0]!.maint.alarm, { action: 0, memberID: 0n, alarm: 0 });
      return a.alarms.length > 0 ? a.alarms : undefined;
    });
    assert.equal(alarms[0]!.alarm, 1);
    await rejects(put(cl[(leader + 1) % 3]!, '/q/small', 's'), /database space exceeded/);
    assert.equal((await get(cl[leader]!, '/q/0')).kvs.length, 1);
    await unary(cl[leader]!.kv, cl[leader]!.kv.deleteRange, { key: Buffer.from('/q/'), rangeEnd: Buffer.from('/q0'), prevKv: false });
    const st = await unary(cl[leader]!.maint, cl[leader]!.maint.status, {});
    assert.match(st.errors.join(), /NOSPACE/);
    await unary(cl[leader]!.maint, cl[leader]!.maint.alarm, { action: 2, memberID: alarms[0]!.memberID, alarm: 1 });
    await put(cl[leader]!, '/q/after', 'ok');
  });

  it("lease expiry is the leader's decision, its TTL survives a leader change, and expiry deletes its keys", async () => {
    c = await startStoreCluster(3);
    cl = clientsOf(c);
    const leader = await c.leader();
    const other = (leader + 1) % 3;
    const g = await unary(cl[other]!.lease, cl[other]!.lease.leaseGrant, { TTL: 3n, ID: 0n });
    await put(cl[other]!, '/lease/a', 'a', g.ID);
    await put(cl[other]!, '/lease/b', 'b', g.ID);
    await new Promise((r) => setTimeout(r, 2_000));
    await c.kill(leader);
    await waitFor('a new leader', () => c.members.some((m) => m?.member.node.status().role === 'leader'));
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await get(cl[other]!, '/lease/a')).kvs.length, 1, 'a leader change restarts the TTL, as etcd does');
    const ttl = await unary(cl[other]!.lease, cl[other]!.lease.leaseTimeToLive, { ID: g.ID, keys: true });
    assert.equal(ttl.grantedTTL, 3n);
    assert.deepEqual(ttl.keys.map(String).sort(), ['/lease/a', '/lease/b']);
    const prefix = RangeRequest.fromPartial({ key: Buffer.from('/lease/'), rangeEnd: Buffer.from('/lease0') });
    await waitFor('expiry', async () => (await unary(cl[other]!.kv, cl[other]!.kv.range, prefix)).count === 0n, 8_000);
    const gone = await unary(cl[other]!.lease, cl[other]!.lease.leaseTimeToLive, { ID: g.ID, keys: false });
    assert.equal(gone.TTL, -1n);
  });

  it('an entry that is not a valid request is refused alike on every member and crashes none', async () => {
    c = await startStoreCluster(3);
    cl = clientsOf(c);
    const leader = await c.leader();
    const before = (await put(cl[leader]!, '/v', '1')).header!.revision;
    const node = c.members[leader]!.member.node;
    const bad = [
      Buffer.from('not a protobuf at all \xff\xfe'),
      Buffer.from(StoreRequest.encode({ op: { $case: 'leaseGrant', value: { TTL: 10n, ID: 0n } } }).finish()),
      Buffer.from(StoreRequest.encode({ op: { $case: 'put', value: PutRequest.fromPartial({ key: Buffer.alloc(0) }) } }).finish()),
    ];
    for (const data of bad) {
      const p = node.propose(data);
      c.members[leader]!.member.kick();
      const outcome = (await p).result as { error?: Error };
      assert.match(String(outcome.error?.message), /is not a valid request/);
    }
    const after = await put(cl[(leader + 1) % 3]!, '/v', '2');
    assert.equal(after.header!.revision, before + 1n, 'refused entries make no revision');
    assert.ok(c.members.every((m) => m?.member.state() === 'running'));
  });

  it("a write's W3C trace context travels through the log to watchers on every member", async () => {
    c = await startStoreCluster(3);
    cl = clientsOf(c);
    const leader = await c.leader();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const md = new Metadata();
    md.set('traceparent', traceparent);
    md.set('tracestate', 'k8ts=1');
    const res = await new Promise<PutResponse>((resolve, reject) =>
      cl[leader]!.kv.put(PutRequest.fromPartial({ key: Buffer.from('/traced'), value: Buffer.from('x') }), md, (e, r) => (e ? reject(e) : resolve(r))));
    const follower = (leader + 1) % 3;
    const w = new WatchClient(c.endpoints[follower]!, credentials.createInsecure(), channelOptions());
    try {
      const stream = w.watch();
      stream.on('error', () => {}); // the cancel below ends the call with CANCELLED
      const event = await new Promise<Event>((resolve) => {
        stream.on('data', (r: WatchResponse) => r.events[0] && resolve(r.events[0]));
        stream.write({ requestUnion: { $case: 'createRequest', value: WatchCreateRequest.fromPartial({ key: Buffer.from('/traced'), startRevision: res.header!.revision }) } });
      });
      assert.equal(event.traceparent, traceparent);
      assert.equal(event.tracestate, 'k8ts=1');
      stream.cancel();
    } finally {
      w.close();
    }
  });

  it('a member added with MemberAdd joins from a snapshot, publishes itself and agrees on HashKV', async () => {
    c = await startStoreCluster(3, { snapshotEveryEntries: 30, keepEntriesAfterSnapshot: 5 });
    cl = clientsOf(c);
    const leader = await c.leader();
    for (let i = 0; i < 200; i++) await put(cl[leader]!, `/j/${i % 50}`, `v${i}`);
    const [peerPort, clientPort] = await freePorts(2);
    const peer = `127.0.0.1:${peerPort}`;
    const cluster = new ClusterClient(c.endpoints[leader]!, credentials.createInsecure(), channelOptions());
    try {
      const added = await unary(cluster, cluster.memberAdd, { peerURLs: [`http://${peer}`], isLearner: true });
      assert.equal(added.member!.isLearner, true);
      const firstIndex = c.members[leader]!.member.node.status().firstIndex;
      assert.ok(firstIndex > 100, `the leader's log was compacted (first index ${firstIndex}): the joiner needs a snapshot`);
      const i = await c.join(Number(added.member!.ID), peer, `127.0.0.1:${clientPort}`);
      cl = clientsOf(c);
      await waitFor('the learner to catch up', async () => {
        const hs = await Promise.all(cl.map((x) => unary(x.maint, x.maint.hashKv, { revision: 0n }).catch(() => undefined)));
        return hs.every((h) => h && h.hash === hs[0]!.hash && h.header!.revision === hs[0]!.header!.revision);
      });
      await unary(cluster, cluster.memberPromote, { ID: added.member!.ID });
      const list = await waitFor('the new member to publish its name', async () => {
        const l = await unary(cluster, cluster.memberList, {});
        return l.members.find((m) => m.ID === added.member!.ID && m.name !== '') ? l : undefined;
      });
      const me = list.members.find((m) => m.ID === added.member!.ID)!;
      assert.equal(me.isLearner, false);
      assert.deepEqual(me.clientURLs, [`http://127.0.0.1:${clientPort}`]);
      const read = await get(cl[i]!, '/j/7');
      assert.equal(read.kvs[0]?.value.toString(), 'v157');
    } finally {
      cluster.close();
    }
  });

  it('MoveLeader hands leadership to the named member; a follower refuses it', async () => {
    c = await startStoreCluster(3);
    cl = clientsOf(c);
    const leader = await c.leader();
    const target = (leader + 2) % 3;
    await rejects(unary(cl[target]!.maint, cl[target]!.maint.moveLeader, { targetID: BigInt(leader + 1) }), /^etcdserver: not leader$/);
    await unary(cl[leader]!.maint, cl[leader]!.maint.moveLeader, { targetID: BigInt(target + 1) });
    const st = await unary(cl[leader]!.maint, cl[leader]!.maint.status, {});
    assert.equal(st.leader, BigInt(target + 1));
  });
});
