/**
 * Taints and tolerations (core/v1 helpers): whether a toleration tolerates a taint, and the
 * first taint of a node a pod does not tolerate. Shared by TaintToleration, NodeUnschedulable and
 * PodTopologySpread (nodeTaintsPolicy: Honor).
 */
import type { Taint } from '../../../api/core/v1/cluster-kinds.js';
import type { Toleration } from '../../../api/core/v1/pod-types.js';

/** tolerates: an empty effect matches every effect, an empty key with Exists every key;
 *  operator Equal (or unset) also needs equal values. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false;
  if (t.key !== undefined && t.key !== '' && t.key !== taint.key) return false;
  switch (t.operator) {
    case 'Exists':
      return true;
    case undefined:
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** toleratedBy: does any of the tolerations tolerate the taint. */
export function toleratedBy(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (tolerates(t, taint)) return true;
  return false;
}

/** isFilterTaint: the effects a filter honours (PreferNoSchedule only affects scores). */
export function isFilterTaint(taint: Taint): boolean {
  return taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';
}

/** firstUntoleratedTaint: the first NoSchedule/NoExecute taint, in the node's order, that no
 *  toleration tolerates; undefined when the pod tolerates them all. */
export function firstUntoleratedTaint(taints: readonly Taint[],
  tolerations: readonly Toleration[]): Taint | undefined {
  for (const taint of taints) {
    if (isFilterTaint(taint) && !toleratedBy(tolerations, taint)) return taint;
  }
  return undefined;
}
