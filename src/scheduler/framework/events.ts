/**
 * Cluster events: the changes that can make an unschedulable pod schedulable. Each plugin lists
 * the events that can undo its own rejections; a pod parked as unschedulable is retried only
 * when one of the plugins that rejected it hears of one (upstream's EventsToRegister), instead of
 * every pending pod being retried on every change in a busy cluster.
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { PodInfo } from '../snapshot/pod-info.js';

/** ClusterEvent names one kind of change. Pod events are about pods placed on nodes. */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeDelete'
  | 'NodeAllocatable'
  | 'NodeLabel'
  | 'NodeTaint'
  | 'NodeSpecUnschedulable'
  | 'PodAdd'
  | 'PodDelete'
  | 'PodLabel'
  | 'PodScaleDown';

/** nodeUpdateEvents: what changed between two versions of a Node, as far as scheduling cares
 *  (conditions and status other than allocatable change nothing for a filter). */
export function nodeUpdateEvents(old: Node, cur: Node): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  if (!sameJson(old.status?.allocatable, cur.status?.allocatable)) out.push('NodeAllocatable');
  if (!sameJson(old.metadata.labels, cur.metadata.labels)) out.push('NodeLabel');
  if (!sameJson(old.spec?.taints, cur.spec?.taints)) out.push('NodeTaint');
  if ((old.spec?.unschedulable === true) !== (cur.spec?.unschedulable === true)) {
    out.push('NodeSpecUnschedulable');
  }
  return out;
}

/** placedPodUpdateEvents: what changed between two versions of a placed pod. */
export function placedPodUpdateEvents(old: PodInfo, cur: PodInfo): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  if (!sameJson(old.labels, cur.labels) || old.terminating !== cur.terminating) {
    out.push('PodLabel');
  }
  const o = old.requests;
  const c = cur.requests;
  if (c.milliCpu < o.milliCpu || c.memory < o.memory || c.ephemeralStorage < o.ephemeralStorage) {
    out.push('PodScaleDown');
  }
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
