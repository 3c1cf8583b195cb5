/**
 * Cluster behaviour through the client (reference/etcd-api.md §1, §2.11, §3): every member agrees
 * on members, leader and key hash; when a member dies — a follower or the leader — reads, writes
 * and watches keep working through the client's failover, and a restarted member catches up.
 * Member i is endpoints[i] for kill(i)/restart(i).
 */
import assert from 'node:assert/strict';
import {
  EtcdClientError,
  OutcomeUnknownError,
  type EtcdClient,
  type StatusResult,
} from '../../../src/store/client/index.js';
import { Collector, waitUntil } from './helpers.js';
import type { SuiteContext } from './suite.js';

export function clusterTests(ctx: SuiteContext): void {
  const c = () => ctx.client();
  const eps = () => ctx.store().endpoints;

  describe('cluster', function () {
    before(function () {
      const s = ctx.store();
      if (s.endpoints.length < 3 || !s.kill || !s.restart) {
        console.log(`      (cluster tests need ≥ 3 members with kill/restart; this store has ${s.endpoints.length})`);
        this.skip();
      }
    });

    it('every member reports the same members, cluster and leader', async () => {
      const list = await c().memberList();
      assert.equal(list.members.length, eps().length);
      const ids = new Set(list.members.map((m) => m.id));
      const statuses = await waitUntil('all members to agree on a leader', () => agreedStatuses(c(), eps()));
      assert.equal(new Set(statuses.map((s) => s.header.clusterId)).size, 1, 'one cluster id');
      assert.deepEqual(new Set(statuses.map((s) => s.header.memberId)), ids, 'each endpoint is a listed member');
      assert.ok(ids.has(statuses[0]!.leader), 'the leader is a member');
      for (const e of eps()) {
        const fromThere = await ctx.newClient([e]).memberList();
        assert.deepEqual(new Set(fromThere.members.map((m) => m.id)), ids);
      }
    });

    it('every member hashes the same keys at the same revision', async () => {
      for (let i = 0; i < 20; i++) await c().put(ctx.key(`h${i}`), `v${i}`);
      const rev = (await c().get(ctx.key('h0'))).revision;
      await hashesAgree(c(), eps(), rev);
    });

    it('a dead follower: reads, writes and watches continue on another member; it catches up', async function () {
      this.timeout(40_000);
      const statuses = await waitUntil('a leader', () => agreedStatuses(c(), eps()));
      const victim = statuses.findIndex((s) => s.header.memberId !== s.leader);
      await survivesKill(ctx, victim);
    });

    it('a dead leader: after the election reads, writes and watches continue; it catches up', async function () {
      this.timeout(40_000);
      const statuses = await waitUntil('a leader', () => agreedStatuses(c(), eps()));
      const victim = statuses.findIndex((s) => s.header.memberId === s.leader);
      await survivesKill(ctx, victim);
    });
  });
}

/** survivesKill kills member `victim`, which the client talks to, and checks the client keeps
 *  reading, writing and watching; then restarts it and checks it agrees again. */
async function survivesKill(ctx: SuiteContext, victim: number): Promise<void> {
  const store = ctx.store();
  assert.ok(victim >= 0);
  const order = [...store.endpoints.slice(victim), ...store.endpoints.slice(0, victim)];
  // A write the follower forwarded to the dead leader waits out the deadline (etcd 3.4 does not
  // fail it early), so a short deadline keeps the unknown-outcome path quick.
  const client = ctx.newClient(order, { requestTimeoutMs: 2_000 });
  const start = (await client.put(ctx.key('before'), '0')).revision;
  const w = new Collector(client.watch(ctx.prefix(), { prefix: true, startRevision: start }));
  await w.untilEvents(1);
  assert.equal(w.watcher.endpoint(), store.endpoints[victim]);

  await store.kill!(victim);
  try {
    await keepsWorking(ctx, client, w, victim);
  } finally {
    await store.restart!(victim);
  }
  const rev = (await client.put(ctx.key('end'), 'x')).revision;
  await hashesAgree(client, store.endpoints, rev);
  w.watcher.cancel();
}

async function keepsWorking(ctx: SuiteContext, client: EtcdClient, w: Collector, victim: number): Promise<void> {
  const store = ctx.store();
  const acked = new Map<string, number>();
  for (let i = 0; i < 5; i++) acked.set(ctx.key(`after${i}`), await putSurely(client, ctx.key(`after${i}`), String(i)));
  for (const [key, rev] of acked) assert.equal((await client.get(key)).kvs[0]?.modRevision, rev);
  const events = await w.untilEvents(1 + acked.size, 15_000);
  assert.notEqual(w.watcher.endpoint(), store.endpoints[victim]);
  const revs = events.map((e) => e.kv.modRevision);
  assert.deepEqual(revs, [...revs].sort((a, b) => a - b), 'events in revision order');
  assert.equal(new Set(revs).size, revs.length, 'no event delivered twice');
  for (const [key, rev] of acked) assert.ok(events.some((e) => e.kv.key.toString() === key && e.kv.modRevision === rev), `event of ${key}@${rev}`);
}

/** putSurely writes until acknowledged: after a leader dies a write may end with an unknown
 *  outcome (it is never retried blindly), so the test retries it itself, as an API server would
 *  after re-reading. Returns the acknowledged revision. */
async function putSurely(client: EtcdClient, key: string, value: string): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return (await client.put(key, value)).revision;
    } catch (e) {
      const retriable = e instanceof OutcomeUnknownError || (e instanceof EtcdClientError && ['noLeader', 'unavailable', 'deadline'].includes(e.kind));
      if (!retriable || Date.now() > deadline) throw e;
    }
  }
}

/** agreedStatuses returns every member's status once all name the same, non-zero leader. */
async function agreedStatuses(client: EtcdClient, endpoints: readonly string[]): Promise<StatusResult[] | undefined> {
  const all = await Promise.all(endpoints.map((e) => client.status(e)));
  const leader = all[0]!.leader;
  return leader !== 0n && all.every((s) => s.leader === leader) ? all : undefined;
}

/** hashesAgree waits until every member can hash at `rev`, then compares the hashes. */
async function hashesAgree(client: EtcdClient, endpoints: readonly string[], rev: number): Promise<void> {
  const hashes = await waitUntil(`every member to reach revision ${rev}`, () => Promise.all(endpoints.map((e) => client.hashKV(e, rev))), 15_000);
  assert.equal(new Set(hashes.map((h) => h.hash)).size, 1, `hashes at ${rev}: ${hashes.map((h) => h.hash).join(', ')}`);
  assert.equal(new Set(hashes.map((h) => h.compactRevision)).size, 1);
}
