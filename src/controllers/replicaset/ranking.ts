/**
 * Which pods a ReplicaSet deletes first when it scales down (controller_utils'
 * ActivePodsWithRanks): the ones whose loss hurts least. A pod that is not running anywhere yet
 * goes before one that is; one that is not ready before one that serves; a pod doubled up on a
 * node with its siblings before a lonely one; a young or crash-looping pod before an old,
 * steady one. Pure: the wall time comes in as a number.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import { isPodActive, isPodReady, podCondition } from '../base/pods.js';

/** DELETION_COST_ANNOTATION lets users say which pods to delete first (lower cost first). */
export const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** RankedPod is a pod with its rank: active related pods on the same node (itself included). */
interface RankedPod {
  pod: Pod;
  rank: number;
}

/**
 * podsToDelete picks `count` of pods to delete, in deletion order. relatedPods are the pods of
 * the ReplicaSet and of its siblings (same controlling owner), which decide the "doubled up"
 * rank: spreading survives a node failure better than piling up.
 */
export function podsToDelete(
  pods: readonly Pod[],
  relatedPods: readonly Pod[],
  count: number,
  nowWallMs: number,
): Pod[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of relatedPods) {
    const node = p.spec?.nodeName ?? '';
    if (node === '' || !isPodActive(p)) continue;
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const ranked: RankedPod[] = pods.map((pod) => {
    const node = pod.spec?.nodeName ?? '';
    return { pod, rank: node === '' ? 0 : (perNode.get(node) ?? 0) };
  });
  ranked.sort((a, b) => compareForDeletion(a, b, nowWallMs));
  return ranked.slice(0, count).map((r) => r.pod);
}

/** compareForDeletion < 0: a goes first. The order of ActivePodsWithRanks.Less. */
function compareForDeletion(a: RankedPod, b: RankedPod, nowWallMs: number): number {
  const pa = a.pod;
  const pb = b.pod;
  const nodeA = pa.spec?.nodeName ?? '';
  const nodeB = pb.spec?.nodeName ?? '';
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1;
  const phaseA = PHASE_ORDINAL[pa.status?.phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDINAL[pb.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  const readyA = isPodReady(pa);
  const readyB = isPodReady(pb);
  if (readyA !== readyB) return readyA ? 1 : -1;
  const costA = deletionCost(pa);
  const costB = deletionCost(pb);
  if (costA !== costB) return costA - costB;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (readyA && readyB) {
    const byReady = compareTimes(readySinceMs(pa), readySinceMs(pb), nowWallMs, pa, pb);
    if (byReady !== 0) return byReady;
  }
  const restartsA = maxRestarts(pa);
  const restartsB = maxRestarts(pb);
  if (restartsA !== restartsB) return restartsB - restartsA;
  return compareTimes(createdMs(pa), createdMs(pb), nowWallMs, pa, pb);
}

/**
 * compareTimes orders by time, newest first, unknown times before any; times in the same
 * power-of-two age bucket count as equal (LogarithmicScaleDown), broken by uid so the choice
 * among similar pods is spread instead of always the very newest.
 */
function compareTimes(ta: number, tb: number, nowWallMs: number, pa: Pod, pb: Pod): number {
  if (ta === tb) return 0;
  if (Number.isNaN(ta) || Number.isNaN(tb)) return Number.isNaN(ta) ? -1 : 1;
  const diff = ageBucket(ta, nowWallMs) - ageBucket(tb, nowWallMs);
  if (diff !== 0) return diff;
  const ua = pa.metadata.uid ?? '';
  const ub = pb.metadata.uid ?? '';
  if (ua === ub) return 0;
  return ua < ub ? -1 : 1;
}

/** ageBucket: floor(log2(age in ns)), -1 for a time not in the past. */
function ageBucket(tMs: number, nowWallMs: number): number {
  const ageNs = (nowWallMs - tMs) * 1e6;
  return ageNs > 0 ? Math.floor(Math.log2(ageNs)) : -1;
}

function readySinceMs(p: Pod): number {
  const t = podCondition(p, 'Ready')?.lastTransitionTime;
  return t ? Date.parse(t) : Number.NaN;
}

function createdMs(p: Pod): number {
  const t = p.metadata.creationTimestamp;
  return t ? Date.parse(t) : Number.NaN;
}

function maxRestarts(p: Pod): number {
  let max = 0;
  for (const c of p.status?.containerStatuses ?? []) max = Math.max(max, c.restartCount);
  return max;
}

/** deletionCost: the annotation's integer value, 0 when absent or malformed. */
function deletionCost(p: Pod): number {
  const v = p.metadata.annotations?.[DELETION_COST_ANNOTATION];
  if (v === undefined || !/^-?\d+$/.test(v)) return 0;
  return Number(v);
}
