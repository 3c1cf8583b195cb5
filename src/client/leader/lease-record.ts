/**
 * The Lease writes of leader election, as pure functions of the current Lease and the time:
 * acquire (a new holder), renew (same holder, new renewTime) and release (no holder). Kept apart
 * from the elector's timers and I/O so the record rules read — and test — on their own.
 */
import type { Lease, LeaseSpec } from '../../api/coordination/v1/lease.js';
import { assert } from '../../base/assert.js';

/** LEASES is the coordination.k8s.io/v1 leases resource. */
export const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };

/** microTime renders wall ms as metav1.MicroTime: RFC 3339 in UTC with 6 fractional digits. */
export function microTime(wallMs: number): string {
  assert(Number.isFinite(wallMs) && wallMs >= 0, `bad wall time ${wallMs}`);
  const iso = new Date(Math.floor(wallMs)).toISOString(); // 2024-05-01T12:00:00.123Z
  return `${iso.slice(0, 23)}000Z`;
}

/** leaseDurationSeconds: spec.leaseDurationSeconds is whole seconds (> 0); round up. */
export function leaseDurationSeconds(leaseDurationMs: number): number {
  return Math.max(1, Math.ceil(leaseDurationMs / 1000));
}

/** holderOf: the lease's holder, "" when none. */
export function holderOf(lease: Lease | undefined): string {
  return lease?.spec?.holderIdentity ?? '';
}

/** newLease is the Lease a first candidate creates, held by identity. */
export function newLease(ns: string, name: string, identity: string, durationMs: number,
  wallMs: number): Lease {
  const now = microTime(wallMs);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { namespace: ns, name },
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: leaseDurationSeconds(durationMs),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    },
  };
}

/** withSpec copies lease (metadata.resourceVersion included: the update's precondition). */
function withSpec(lease: Lease, spec: LeaseSpec): Lease {
  return { ...lease, metadata: { ...lease.metadata }, spec };
}

/** acquired: identity takes lease over; transitions count every change of holder. */
export function acquired(lease: Lease, identity: string, durationMs: number, wallMs: number):
  Lease {
  const old = lease.spec ?? {};
  assert(holderOf(lease) !== identity, 'acquire: already the holder (that is a renewal)');
  const now = microTime(wallMs);
  return withSpec(lease, {
    ...old,
    holderIdentity: identity,
    leaseDurationSeconds: leaseDurationSeconds(durationMs),
    acquireTime: now,
    renewTime: now,
    leaseTransitions: (old.leaseTransitions ?? 0) + 1,
  });
}

/** renewed: the holder's heartbeat; acquireTime and transitions stay. */
export function renewed(lease: Lease, durationMs: number, wallMs: number): Lease {
  return withSpec(lease, {
    ...lease.spec,
    leaseDurationSeconds: leaseDurationSeconds(durationMs),
    renewTime: microTime(wallMs),
  });
}

/** released: no holder and a 1 s duration, so any candidate (client-go's too) takes it now. */
export function released(lease: Lease, wallMs: number): Lease {
  const now = microTime(wallMs);
  return withSpec(lease, {
    ...lease.spec,
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
  });
}
