/**
 * What the controller writes into a silent node's status (upstream's tryUpdateNodeHealth): the
 * kubelet-owned conditions become Unknown, so the scheduler, kubectl and the taint logic all see
 * that nobody knows this node's state any more. Pure.
 */
import type { Condition } from '../../api/core/v1/common-types.js';
import { REASON_NEVER_UPDATED } from './health.js';

/** CONDITIONS_MARKED_UNKNOWN: the conditions a kubelet posts and the controller overrides. */
export const CONDITIONS_MARKED_UNKNOWN: readonly string[] = [
  'Ready',
  'MemoryPressure',
  'DiskPressure',
  'PIDPressure',
];

/** REASON_STATUS_UNKNOWN: the kubelet had posted, then went silent. */
export const REASON_STATUS_UNKNOWN = 'NodeStatusUnknown';
/** MESSAGE_STATUS_UNKNOWN goes with REASON_STATUS_UNKNOWN (upstream's text). */
export const MESSAGE_STATUS_UNKNOWN = 'Kubelet stopped posting node status.';
/** MESSAGE_NEVER_UPDATED: the kubelet never posted this condition. */
export const MESSAGE_NEVER_UPDATED = 'Kubelet never posted node status.';

/**
 * markUnknown returns the conditions with every CONDITIONS_MARKED_UNKNOWN entry Unknown: an
 * existing one keeps its heartbeat and changes status, reason, message and transition time (when
 * not Unknown already); a missing one is added with the node's creation time as heartbeat.
 * Other conditions (NetworkUnavailable, custom ones) are left as they are.
 */
export function markUnknown(
  conditions: readonly Condition[],
  nowWall: string,
  createdWall: string | undefined,
): Condition[] {
  const out = conditions.map((c) => ({ ...c }));
  for (const type of CONDITIONS_MARKED_UNKNOWN) {
    const c = out.find((x) => x.type === type);
    if (c === undefined) {
      out.push({
        type,
        status: 'Unknown',
        reason: REASON_NEVER_UPDATED,
        message: MESSAGE_NEVER_UPDATED,
        lastHeartbeatTime: createdWall ?? nowWall,
        lastTransitionTime: nowWall,
      });
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = REASON_STATUS_UNKNOWN;
      c.message = MESSAGE_STATUS_UNKNOWN;
      c.lastTransitionTime = nowWall;
    }
  }
  return out;
}

/** sameConditions: equal lists (order included): nothing to write. */
export function sameConditions(a: readonly Condition[], b: readonly Condition[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
