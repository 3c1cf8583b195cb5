/**
 * LeaseTable is the replicated part of leases: which leases exist, their granted TTL and which
 * keys are attached. Remaining time is not here — only the leader tracks it and proposes a
 * revoke when a lease expires (src/store/server), so every member deletes the same keys at the
 * same revision.
 */
import { assert } from '../../base/assert.js';
import type { LeaseInfo } from '../types.js';

interface Lease {
  readonly id: bigint;
  readonly ttl: number;
  /** Attached keys as latin1 strings (the store's key form). */
  readonly keys: Set<string>;
}

export class LeaseTable {
  private readonly leases = new Map<bigint, Lease>();

  has(id: bigint): boolean {
    return this.leases.has(id);
  }

  grant(id: bigint, ttl: number): void {
    assert(id !== 0n, 'LeaseTable.grant: lease id 0 means "no lease"');
    assert(!this.leases.has(id), 'LeaseTable.grant: lease exists');
    this.leases.set(id, { id, ttl, keys: new Set() });
  }

  /** remove forgets a lease (its keys must already be deleted). */
  remove(id: bigint): void {
    const lease = this.leases.get(id);
    assert(lease !== undefined && lease.keys.size === 0, 'LeaseTable.remove: unknown or in use');
    this.leases.delete(id);
  }

  /** attach records that key's newest version carries lease id (0 = none: ignored). */
  attach(id: bigint, skey: string): void {
    if (id === 0n) return;
    const lease = this.leases.get(id);
    assert(lease !== undefined, 'LeaseTable.attach: unknown lease');
    lease.keys.add(skey);
  }

  /** detach undoes attach (0 = none: ignored). */
  detach(id: bigint, skey: string): void {
    if (id === 0n) return;
    const lease = this.leases.get(id);
    assert(lease !== undefined && lease.keys.delete(skey), 'LeaseTable.detach: not attached');
  }

  /** keysOf lists a lease's keys in byte order — the order a revoke deletes them in, as etcd
   *  sorts them so every member writes the same revision. */
  keysOf(id: bigint): string[] {
    const lease = this.leases.get(id);
    assert(lease !== undefined, 'LeaseTable.keysOf: unknown lease');
    return [...lease.keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  get(id: bigint): LeaseInfo | undefined {
    const lease = this.leases.get(id);
    return lease === undefined ? undefined : { id: lease.id, ttl: lease.ttl };
  }

  /** list is every lease by id. */
  list(): LeaseInfo[] {
    return [...this.leases.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((l) => ({ id: l.id, ttl: l.ttl }));
  }

  clear(): void {
    this.leases.clear();
  }
}
