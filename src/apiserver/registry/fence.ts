/**
 * Leader fencing in the registry. A coordination.k8s.io Lease has a fence record at
 * /registry/leasefences/<ns>/<name>, written in the same transaction as every Lease write that
 * changes spec.holderIdentity (creation included) and deleted with the Lease. Its mod_revision
 * is therefore the revision at which the current holder acquired the lease — the
 * resourceVersion its acquiring write returned, which the elector keeps as its fence. A fenced
 * write compares that mod_revision in its own transaction: once the lease changes hands (or is
 * deleted), every write carrying the old fence is refused with 403 and nothing is written.
 * Renewals (same holder, new renewTime) leave the record alone, so they keep fences valid.
 */
import { forbidden, type StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import { assert } from '../../base/assert.js';
import type { LeaderFence } from '../../client/types.js';
import type { CompanionWrite, FenceCondition, WriteConditions } from '../storage/types.js';

/** LEASE_FENCE_PREFIX is where fence records live; outside every resource's key prefix (so no
 *  watch cache or list sees them). */
export const LEASE_FENCE_PREFIX = '/registry/leasefences/';

const LEASES = { group: 'coordination.k8s.io', resource: 'leases' };

/** leaseFenceKey is the fence record of the Lease ns/name. */
export function leaseFenceKey(ns: string, name: string): string {
  assert(ns !== '' && !ns.includes('/') && name !== '' && !name.includes('/'), 'bad lease name');
  return `${LEASE_FENCE_PREFIX}${ns}/${name}`;
}

/** isLeases: r is coordination.k8s.io leases, whose writes maintain fence records. */
export function isLeases(r: ResourceInfo): boolean {
  return r.group === LEASES.group && r.resource === LEASES.resource;
}

/**
 * writeConditions are the transaction extras of one write of resource r: the caller's fence,
 * when the request carried one, and the fence record's maintenance, when r is leases.
 */
export function writeConditions(r: ResourceInfo, fence: LeaderFence | undefined): WriteConditions {
  return {
    ...(fence ? { fence: fenceCondition(fence) } : {}),
    ...(isLeases(r) ? { companion: leaseFenceRecord } : {}),
  };
}

/** fenceCondition turns a request's fence into the compare its transaction carries. */
export function fenceCondition(f: LeaderFence): FenceCondition {
  const revision = Number(f.revision);
  assert(Number.isSafeInteger(revision) && revision > 0, 'fence: revision not parsed');
  return {
    key: leaseFenceKey(f.namespace, f.name),
    modRevision: revision,
    refuse: (current) => fenceRefused(f, current),
  };
}

/** fenceRefused is the 403 of a write whose fence is no longer the lease's holder's. */
export function fenceRefused(f: LeaderFence, heldSinceRevision: number): StatusError {
  const who = `leases.${LEASES.group} "${f.name}"`;
  const state = heldSinceRevision === 0
    ? 'has no holder record (the lease was deleted or never existed)'
    : `is held by another leader since revision ${heldSinceRevision}`;
  const msg = `${who} ${state}; this write carried fence revision ${f.revision}`;
  return forbidden(LEASES, f.name, msg);
}

/**
 * leaseFenceRecord is the Lease writes' companion: put the record when a lease appears or its
 * holder changes, delete it with the lease, nothing when the holder stays (a renewal).
 */
export function leaseFenceRecord(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): CompanionWrite | undefined {
  const obj = after ?? before;
  assert(obj !== undefined, 'leaseFenceRecord: neither before nor after');
  const key = leaseFenceKey(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
  if (!after) return { type: 'delete', key };
  const holder = holderOf(after);
  if (before && holderOf(before) === holder) return undefined;
  return { type: 'put', key, value: JSON.stringify({ holderIdentity: holder }) };
}

function holderOf(lease: KubeObject): string {
  const spec = (lease.spec ?? {}) as { holderIdentity?: unknown };
  return typeof spec.holderIdentity === 'string' ? spec.holderIdentity : '';
}
