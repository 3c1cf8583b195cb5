/**
 * LeaseManager: the store leases that give keys a time to live (Events' --event-ttl), shared the
 * way kube-apiserver's etcd3 lease manager shares them (apiserver/pkg/storage/etcd3/lease_manager
 * .go): one lease is granted with a little more than the TTL asked for, and every key written
 * with that TTL within the extra time attaches to it, so a burst of Events costs one LeaseGrant,
 * not one each. A key lives at least its TTL and at most TTL + the reuse window.
 *
 * The reuse window is 5 % of the TTL, at most 60 s (upstream's defaults); a lease carries at
 * most 1,000 keys (upstream's leaseMaxAttachedObjectCount), so one revoke never deletes an
 * unbounded number of keys in one revision. Concurrent writers that need a new lease share one
 * grant in flight instead of each asking for its own.
 */
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import type { EtcdClient } from '../../store/client/index.js';

/** Reuse window: this share of the TTL... */
const REUSE_PERCENT = 0.05;
/** ...but never longer than this. */
const REUSE_MAX_SECONDS = 60;
/** Keys attached to one lease at most before a new one is granted. */
const MAX_KEYS_PER_LEASE = 1_000;

interface Granted {
  id: bigint;
  /** When the lease expires at the earliest (clock ms at the grant request + its TTL). */
  expiresAtMs: number;
  attached: number;
}

export class LeaseManager {
  /** The current lease per requested TTL (few distinct TTLs: one per resource that has one). */
  private readonly current = new Map<number, Granted>();
  private readonly granting = new Map<number, Promise<Granted>>();

  constructor(private readonly client: EtcdClient, private readonly clock: Clock) {}

  /** leaseFor returns a lease id under which a key lives at least ttlSeconds. */
  async leaseFor(ttlSeconds: number): Promise<bigint> {
    assert(Number.isSafeInteger(ttlSeconds) && ttlSeconds > 0, `lease TTL ${ttlSeconds}`);
    for (;;) {
      const nowMs = this.clock.nowMs();
      const g = this.current.get(ttlSeconds);
      // Valid: a key attached now still lives its full TTL (upstream's `valid`); the grant
      // request's own start time is the conservative expiry base.
      if (g && nowMs + ttlSeconds * 1000 < g.expiresAtMs && g.attached < MAX_KEYS_PER_LEASE) {
        g.attached++;
        return g.id;
      }
      let pending = this.granting.get(ttlSeconds);
      if (!pending) {
        pending = this.grant(ttlSeconds).finally(() => this.granting.delete(ttlSeconds));
        this.granting.set(ttlSeconds, pending);
      }
      const fresh = await pending;
      // A grant that is already not enough (a slow answer, or its keys used up by the others
      // waiting for it) loops for another.
      if (fresh.attached < MAX_KEYS_PER_LEASE) {
        fresh.attached++;
        return fresh.id;
      }
    }
  }

  /** forget drops a lease the store no longer has (a write naming it was refused). */
  forget(id: bigint): void {
    for (const [ttl, g] of this.current) if (g.id === id) this.current.delete(ttl);
  }

  private async grant(ttlSeconds: number): Promise<Granted> {
    const reuse = Math.min(Math.floor(ttlSeconds * REUSE_PERCENT), REUSE_MAX_SECONDS);
    const startMs = this.clock.nowMs();
    const r = await this.client.leaseGrant(ttlSeconds + reuse);
    // A store may raise the TTL to its minimum; never count on more than was asked.
    const ttl = Math.min(r.ttl, ttlSeconds + reuse);
    const g: Granted = { id: r.id, expiresAtMs: startMs + ttl * 1000, attached: 0 };
    this.current.set(ttlSeconds, g);
    return g;
  }
}
