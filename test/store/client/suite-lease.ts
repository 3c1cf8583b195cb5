/**
 * Lease semantics (reference/etcd-api.md §1, §2.10): grant, attach, revoke and expiry delete the
 * attached keys in one revision; keep-alive holds a short lease past its TTL; time-to-live.
 * Granted TTLs are read back, since a store may raise a short request to its minimum.
 */
import assert from 'node:assert/strict';
import { Collector, keysOf, sleep, waitUntil } from './helpers.js';
import type { SuiteContext } from './suite.js';

export function leaseTests(ctx: SuiteContext): void {
  const c = () => ctx.client();
  const k = (n: string) => ctx.key(n);

  describe('lease', () => {
    it('revoke deletes every attached key in one revision', async () => {
      const lease = await c().leaseGrant(60);
      assert.ok(lease.id > 0n);
      assert.ok(lease.ttl >= 60);
      assert.ok((await c().leases()).includes(lease.id));
      for (const n of ['a', 'b', 'c']) await c().put(k(n), n, { lease: lease.id });
      const kv = (await c().get(k('a'))).kvs[0]!;
      assert.equal(kv.lease, lease.id);
      const before = (await c().get(k('a'))).revision;
      const w = new Collector(c().watch(ctx.prefix(), { prefix: true, startRevision: before + 1 }));
      const revoked = await c().leaseRevoke(lease.id);
      assert.equal(revoked.header.revision, before + 1);
      const events = await w.untilEvents(3);
      assert.ok(events.every((e) => e.type === 'delete' && e.kv.modRevision === before + 1));
      assert.equal(w.eventBatches().length, 1, 'one revision, one response');
      assert.equal((await c().get(ctx.prefix(), { prefix: true })).count, 0);
      assert.ok(!(await c().leases()).includes(lease.id));
      w.watcher.cancel();
    });

    it('time-to-live reports granted and remaining TTL and the attached keys; -1 once gone', async () => {
      const lease = await c().leaseGrant(30);
      await c().put(k('x'), '1', { lease: lease.id });
      await c().put(k('y'), '1', { lease: lease.id });
      const ttl = await c().leaseTimeToLive(lease.id, { keys: true });
      assert.equal(ttl.id, lease.id);
      assert.equal(ttl.grantedTtl, lease.ttl);
      assert.ok(ttl.ttl > 0 && ttl.ttl <= lease.ttl, `remaining ${ttl.ttl} of ${lease.ttl}`);
      assert.deepEqual(keysOf(ttl.keys.map((key) => ({ key }))).sort(), [k('x'), k('y')]);
      await c().leaseRevoke(lease.id);
      assert.equal((await c().leaseTimeToLive(lease.id)).ttl, -1);
    });

    it('revoking an unknown lease is refused', async () => {
      await assert.rejects(c().leaseRevoke(0x7eadbeefn), (e: Error & { kind?: string }) => {
        assert.equal(e.kind, 'leaseNotFound');
        assert.equal(e.message, 'etcdserver: requested lease not found');
        return true;
      });
    });

    it('keep-alive holds a 2 s lease past its TTL; an unrenewed lease expires and deletes its keys', async function () {
      this.timeout(30_000);
      const grantedAt = Date.now();
      const kept = await c().leaseGrant(2);
      const dropped = await c().leaseGrant(2);
      await c().put(k('kept'), '1', { lease: kept.id });
      for (const n of ['d1', 'd2']) await c().put(k(n), '1', { lease: dropped.id });
      const start = (await c().get(k('-'))).revision + 1;
      const w = new Collector(c().watch(ctx.prefix(), { prefix: true, startRevision: start }));
      const ka = c().leaseKeepAlive(kept.id, kept.ttl);
      // The unrenewed lease expires; both of its keys go in one revision.
      const gone = await w.untilEvents(2, (dropped.ttl + 8) * 1000);
      assert.ok(gone.every((e) => e.type === 'delete'));
      assert.deepEqual(keysOf(gone.map((e) => e.kv)).sort(), [k('d1'), k('d2')]);
      assert.equal(new Set(gone.map((e) => e.kv.modRevision)).size, 1);
      await sleep(Math.max(0, grantedAt + kept.ttl * 1000 + 500 - Date.now()));
      assert.equal((await c().get(k('kept'))).count, 1, 'the kept lease outlived its TTL');
      assert.ok(ka.renewals() >= 2, `renewed ${ka.renewals()} times`);
      assert.ok((await c().leaseTimeToLive(kept.id)).ttl > 0);
      // Once keep-alive stops, the lease expires and takes its key with it.
      ka.stop();
      assert.equal(await ka.done, 'stopped');
      await waitUntil('the kept key to expire', async () => (await c().get(k('kept'))).count === 0, (kept.ttl + 8) * 1000);
      assert.equal((await c().leaseTimeToLive(kept.id)).ttl, -1);
      w.watcher.cancel();
    });

    it('keep-alive of a revoked lease ends as expired', async () => {
      const lease = await c().leaseGrant(30);
      await c().leaseRevoke(lease.id);
      const ka = c().leaseKeepAlive(lease.id, lease.ttl);
      assert.equal(await ka.done, 'expired');
    });
  });
}
