/**
 * A DaemonSet's pods grouped by the node they are on or are meant for, and the ordering that
 * decides which pod of a node is "the" pod (status counts it; an excess one is deleted). Pure.
 */
import type { DaemonSet } from '../../api/apps/v1/workloads.js';
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { Pod, PodSpec } from '../../api/core/v1/pod-types.js';
import { REVISION_HASH_LABEL, targetNodeName } from './daemon-pod.js';

/** PodsByNode: node name → the DaemonSet's pods there, oldest first (see comparePods). */
export type PodsByNode = Map<string, Pod[]>;

/** DaemonSetView: one sync's view of a DaemonSet (its template's hash and pod spec), the nodes
 *  and its pods by node, and the wall time for availability; the rolling update and the status
 *  both read it. */
export interface DaemonSetView {
  ds: DaemonSet;
  hash: string;
  spec: PodSpec;
  nodes: readonly Node[];
  podsByNode: PodsByNode;
  nowWallMs: number;
}

/**
 * groupByNode groups pods by targetNodeName. Pods that finished and are being deleted are left
 * out (they are on their way out and must not block a replacement); pods naming no node too.
 */
export function groupByNode(pods: readonly Pod[]): PodsByNode {
  const out: PodsByNode = new Map();
  for (const pod of pods) {
    const phase = pod.status?.phase;
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    if (terminal && pod.metadata.deletionTimestamp !== undefined) continue;
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    const list = out.get(node);
    if (list === undefined) out.set(node, [pod]);
    else list.push(pod);
  }
  for (const list of out.values()) list.sort(comparePods);
  return out;
}

/** comparePods: bound pods first, then older first, then by name (upstream's
 *  podByCreationTimestampAndPhase). */
export function comparePods(a: Pod, b: Pod): number {
  const aBound = (a.spec?.nodeName ?? '') !== '';
  const bBound = (b.spec?.nodeName ?? '') !== '';
  if (aBound !== bBound) return aBound ? -1 : 1;
  const at = a.metadata.creationTimestamp ?? '';
  const bt = b.metadata.creationTimestamp ?? '';
  if (at !== bt) return Date.parse(at) - Date.parse(bt) || (at < bt ? -1 : 1);
  const an = a.metadata.name ?? '';
  const bn = b.metadata.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/** isUpdated: the pod carries the current template's hash. */
export function isUpdated(pod: Pod, hash: string): boolean {
  return pod.metadata.labels?.[REVISION_HASH_LABEL] === hash;
}
