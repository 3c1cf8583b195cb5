/**
 * DaemonSet RollingUpdate without surge (upstream's rollingUpdate when maxSurge is 0): old pods
 * are deleted, at most maxUnavailable nodes at a time counting nodes already without an available
 * up-to-date pod; manage() then creates each node's new pod. Old pods that are not available
 * anyway are replaced at once (deleting them cannot make things worse). Pure.
 *
 * maxSurge > 0 (a new pod next to the old one) is not implemented: such a DaemonSet rolls as
 * with maxSurge 0 and at least one unavailable node allowed.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { DaemonSet } from '../../api/apps/v1/workloads.js';
import { isPodAvailable } from '../base/pods.js';
import { scaledIntOrPercent } from '../base/int-or-percent.js';
import { nodeFit } from './node-fit.js';
import { type DaemonSetView, isUpdated } from './pods-by-node.js';

/** maxUnavailableOf: the DaemonSet's maxUnavailable against the nodes that should run a pod. */
export function maxUnavailableOf(ds: DaemonSet, desired: number): number {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const n = scaledIntOrPercent(ru?.maxUnavailable, desired, true, 1);
  return Math.max(n, 1);
}

/** rollingUpdateDeletes: the old pods to delete now (in node order). */
export function rollingUpdateDeletes(input: DaemonSetView): Pod[] {
  const minReady = input.ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod): boolean => isPodAvailable(p, minReady, input.nowWallMs);
  const eligible = input.nodes.filter((n) => nodeFit(input.spec, n).shouldRun);
  const maxUnavailable = maxUnavailableOf(input.ds, eligible.length);
  let unavailable = 0;
  const replaceNow: Pod[] = [];
  const candidates: Pod[] = [];
  for (const node of eligible) {
    const pods = (input.podsByNode.get(node.metadata.name ?? '') ?? [])
      .filter((p) => p.metadata.deletionTimestamp === undefined);
    const fresh = pods.filter((p) => isUpdated(p, input.hash));
    const old = pods.filter((p) => !isUpdated(p, input.hash));
    const oldPod = old[0];
    if (fresh.length > 1 || old.length > 1 || (fresh.length === 1) === (oldPod !== undefined)) {
      unavailable++; // manage() has work to do here first
    } else if (oldPod === undefined) {
      if (!available(fresh[0] as Pod)) unavailable++;
    } else if (!available(oldPod)) {
      replaceNow.push(oldPod);
    } else if (unavailable < maxUnavailable) {
      candidates.push(oldPod);
    }
  }
  const room = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length);
  return [...replaceNow, ...candidates.slice(0, room)];
}
