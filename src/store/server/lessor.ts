/**
 * Lessor keeps the leader's view of when each lease expires. Like etcd's lessor, expiry is not
 * replicated: only the leader tracks deadlines, and when it decides a lease expired it proposes a
 * LeaseRevoke through the log, so every member deletes the lease's keys at the same revision.
 *
 * A new leader cannot know how much time the old one had left, so on promotion every lease gets
 * its whole TTL again (etcd's Promote without checkpointing): leases never expire early because
 * of a failover — the old leader's last renewal was before the promotion — at the price of
 * living up to one TTL longer. etcd adds one election timeout on top; k8ts does not, so the
 * remaining time a client sees never exceeds the granted TTL.
 */
import type { LeaseInfo, StoreView } from '../types.js';

/** Revokes proposed per expiry check: a flood of expiries never stalls the log (etcd: 1000/s). */
export const MAX_REVOKES_PER_CHECK = 500;
/** A proposed revoke that has not taken effect is retried after this long. */
const REVOKE_RETRY_MS = 3_000;

export class Lessor {
  /** Deadline (ms, clock time) of each lease while this member leads; empty otherwise. */
  private readonly deadlines = new Map<bigint, number>();
  /** Leases whose revoke was proposed, with when to try again. */
  private readonly revoking = new Map<bigint, number>();
  private primary = false;

  constructor(private readonly view: StoreView) {}

  isPrimary(): boolean {
    return this.primary;
  }

  /** promote starts tracking deadlines: every lease gets its full TTL from now. */
  promote(nowMs: number): void {
    this.primary = true;
    this.deadlines.clear();
    this.revoking.clear();
    for (const l of this.view.leases()) this.deadlines.set(l.id, nowMs + l.ttl * 1000);
  }

  /** demote forgets deadlines: only a leader expires leases. */
  demote(): void {
    this.primary = false;
    this.deadlines.clear();
    this.revoking.clear();
  }

  /** renew restarts a lease's TTL; returns the TTL in seconds, or 0 for an unknown lease (etcd
   *  answers a keep-alive of an unknown or expired lease with TTL 0, not an error). */
  renew(id: bigint, nowMs: number): number {
    const lease = this.lookup(id);
    if (lease === undefined || this.revoking.has(id)) return 0;
    this.deadlines.set(id, nowMs + lease.ttl * 1000);
    return lease.ttl;
  }

  /** remainingSeconds is the time a lease has left (rounded up), or -1 when unknown. */
  remainingSeconds(id: bigint, nowMs: number): number {
    const lease = this.lookup(id);
    if (lease === undefined) return -1;
    const deadline = this.deadlineOf(lease, nowMs);
    // Whole milliseconds: (t + 30000) - t is not always 30000 in floating point, and a fresh
    // lease must not report 31 s of a 30 s TTL.
    return Math.max(0, Math.ceil(Math.round(deadline - nowMs) / 1000));
  }

  /** expired returns leases past their deadline that need a revoke proposed now (bounded), and
   *  marks them as being revoked. Leases revoked meanwhile through the log are forgotten. */
  expired(nowMs: number): bigint[] {
    if (!this.primary) return [];
    // Leases granted since promotion start their clock the first time the leader looks.
    for (const l of this.view.leases()) if (!this.deadlines.has(l.id)) this.deadlines.set(l.id, nowMs + l.ttl * 1000);
    const out: bigint[] = [];
    for (const [id, deadline] of this.deadlines) {
      if (out.length >= MAX_REVOKES_PER_CHECK) break;
      if (this.view.leaseInfo(id) === undefined) {
        this.deadlines.delete(id);
        this.revoking.delete(id);
        continue;
      }
      const retryAt = this.revoking.get(id);
      if (deadline <= nowMs && (retryAt === undefined || retryAt <= nowMs)) {
        this.revoking.set(id, nowMs + REVOKE_RETRY_MS);
        out.push(id);
      }
    }
    return out;
  }

  /** lookup finds a lease in the replicated state; a lease granted since promotion starts its
   *  TTL the first time the leader sees it. */
  private lookup(id: bigint): LeaseInfo | undefined {
    const lease = this.view.leaseInfo(id);
    if (lease === undefined) {
      this.deadlines.delete(id);
      return undefined;
    }
    return lease;
  }

  private deadlineOf(lease: LeaseInfo, nowMs: number): number {
    let d = this.deadlines.get(lease.id);
    if (d === undefined) {
      d = nowMs + lease.ttl * 1000;
      if (this.primary) this.deadlines.set(lease.id, d);
    }
    return d;
  }
}
