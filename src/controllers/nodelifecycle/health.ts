/**
 * Node health as the controller observes it (upstream's nodeHealthMap with probeTimestamp): the
 * controller does not compare the kubelet's timestamps with its own wall clock — clocks of
 * different machines disagree — it only notices WHEN (on its own monotonic clock) the kubelet's
 * Ready heartbeat or node Lease last changed. A node is unheard-of when that moment is older
 * than the grace period. Pure.
 */
import type { Condition } from '../../api/core/v1/common-types.js';
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { Lease } from '../../api/coordination/v1/lease.js';
import { assert } from '../../base/assert.js';
import { nodeCondition } from './taints.js';

/** REASON_NEVER_UPDATED marks conditions the controller made up for a silent new node. */
export const REASON_NEVER_UPDATED = 'NodeStatusNeverUpdated';

/** NodeHealth is what the controller remembers about one node between syncs. */
export interface NodeHealth {
  /** The node's uid: a node re-created under the same name starts a fresh record. */
  uid: string;
  /** Controller clock (ms) of the last sign of life: first sight, heartbeat or lease renewal. */
  probeMs: number;
  /** Ready.lastHeartbeatTime as last seen (the kubelet's own clock; compared only for change). */
  heartbeat: string | undefined;
  /** Lease spec.renewTime as last seen (likewise compared only for change). */
  leaseRenew: string | undefined;
}

/** kubeletHeartbeat: Ready's lastHeartbeatTime when the kubelet posted Ready, else undefined
 *  (a condition the controller invented is no sign of life). */
export function kubeletHeartbeat(conditions: readonly Condition[]): string | undefined {
  const ready = nodeCondition(conditions, 'Ready');
  if (ready === undefined || ready.reason === REASON_NEVER_UPDATED) return undefined;
  return ready.lastHeartbeatTime ?? undefined;
}

/** observeHealth folds the node and its lease into the record at controller time nowMs. */
export function observeHealth(
  prev: NodeHealth | undefined,
  node: Node,
  lease: Lease | undefined,
  nowMs: number,
): NodeHealth {
  const uid = node.metadata.uid ?? '';
  const heartbeat = kubeletHeartbeat(node.status?.conditions ?? []);
  const leaseRenew = lease?.spec?.renewTime ?? undefined;
  if (prev === undefined || prev.uid !== uid) {
    return { uid, probeMs: nowMs, heartbeat, leaseRenew };
  }
  assert(prev.probeMs <= nowMs, 'node health: the controller clock went backwards');
  const alive = heartbeat !== prev.heartbeat || leaseRenew !== prev.leaseRenew;
  return { uid, probeMs: alive ? nowMs : prev.probeMs, heartbeat, leaseRenew };
}

/** GracePeriods: how long a node may stay silent (upstream's two grace periods). */
export interface GracePeriods {
  /** A node that has posted Ready before (upstream --node-monitor-grace-period, 40 s). */
  monitorMs: number;
  /** A node that never has (upstream --node-startup-grace-period, 60 s). */
  startupMs: number;
}

/** gracePeriodMs: the startup grace while the node has no Ready condition at all. */
export function gracePeriodMs(node: Node, g: GracePeriods): number {
  const ready = nodeCondition(node.status?.conditions ?? [], 'Ready');
  return ready === undefined ? g.startupMs : g.monitorMs;
}

/** silentForTooLong: nothing heard within the grace period (strictly after, as upstream). */
export function silentForTooLong(h: NodeHealth, graceMs: number, nowMs: number): boolean {
  return nowMs > h.probeMs + graceMs;
}
