/**
 * The ways a Deployment moves its ReplicaSets (rolling.go, recreate.go and sync.go's scale and
 * cleanupDeployment), as steps over the sync's working state:
 * - RollingUpdate: grow the new ReplicaSet into maxSurge, shrink old ones while at least
 *   replicas - maxUnavailable stay available (unhealthy old replicas go first);
 * - Recreate: scale every old ReplicaSet to zero, wait until no old pod runs, then create the
 *   new one at full size;
 * - proportional scaling: a replica change mid-rollout spreads over the active ReplicaSets in
 *   proportion to their size, so a rollout is neither hastened nor slowed by scaling;
 * - cleanup: beyond revisionHistoryLimit, the oldest empty ReplicaSets are deleted.
 */
import type { ReplicaSet } from '../../api/apps/v1/workloads.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import { controllerRef } from '../base/pods.js';
import type { SyncState } from './state.js';
import {
  active,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  DESIRED_REPLICAS,
  intAnnotation,
  isRollingUpdate,
  MAX_REPLICAS,
  maxSurge,
  maxUnavailable,
  specReplicas,
  sumSpec,
  sumStatus,
} from './util.js';
import { newRSNewReplicas } from './new-replicaset.js';

/** reconcileNewReplicaSet scales the new ReplicaSet up into the surge room (or down to the
 *  desired count if it is above it); true when it scaled. */
export function reconcileNewReplicaSet(st: SyncState, allRSs: ReplicaSet[], newRS: ReplicaSet):
  boolean {
  const current = specReplicas(newRS);
  if (current === st.replicas) return false;
  if (current > st.replicas) return st.scaleAndRecord(newRS, st.replicas);
  return st.scaleAndRecord(newRS, newRSNewReplicas(st.d, allRSs, newRS));
}

/** reconcileOldReplicaSets scales old ReplicaSets down as far as availability allows. */
export function reconcileOldReplicaSets(
  st: SyncState,
  allRSs: ReplicaSet[],
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet | undefined,
): boolean {
  if (sumSpec(oldRSs) === 0) return false;
  const minAvailable = st.replicas - maxUnavailable(st.d);
  const newUnavailable = newRS === undefined ? 0
    : specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = sumSpec(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = cleanupUnhealthyReplicas(st, oldRSs, maxScaledDown);
  const all = newRS === undefined ? oldRSs : [...oldRSs, newRS];
  const scaled = scaleDownOldForRollingUpdate(st, all, oldRSs);
  return cleaned + scaled > 0;
}

/** cleanupUnhealthyReplicas removes old replicas that are not available, oldest first. */
function cleanupUnhealthyReplicas(st: SyncState, oldRSs: ReplicaSet[], maxCleanup: number): number {
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= maxCleanup) break;
    const replicas = specReplicas(rs);
    const availableCount = rs.status?.availableReplicas ?? 0;
    if (replicas === 0 || replicas === availableCount) continue;
    const down = Math.min(maxCleanup - total, replicas - availableCount);
    st.scaleAndRecord(rs, replicas - down);
    total += down;
  }
  return total;
}

/** scaleDownOldForRollingUpdate shrinks old ReplicaSets by what availability can spare. */
function scaleDownOldForRollingUpdate(st: SyncState, allRSs: ReplicaSet[], oldRSs: ReplicaSet[]):
  number {
  const minAvailable = st.replicas - maxUnavailable(st.d);
  const availableCount = sumStatus(allRSs, 'availableReplicas');
  if (availableCount <= minAvailable) return 0;
  const budget = availableCount - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    const replicas = specReplicas(rs);
    if (replicas === 0) continue;
    const down = Math.min(replicas, budget - total);
    st.scaleAndRecord(rs, replicas - down);
    total += down;
  }
  return total;
}

/** oldPodsRunning: Recreate must wait while any old ReplicaSet still has a pod that may run. */
export function oldPodsRunning(
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
  pods: readonly Pod[],
): boolean {
  if (sumStatus(oldRSs, 'replicas') > 0) return true;
  const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
  return pods.some((p) => {
    const owner = controllerRef(p)?.uid;
    if (owner === undefined || !oldUids.has(owner) || owner === newRS?.metadata.uid) return false;
    const phase = p.status?.phase;
    return phase !== 'Failed' && phase !== 'Succeeded';
  });
}

/** scaleDownOldForRecreate scales every active old ReplicaSet to zero. */
export function scaleDownOldForRecreate(st: SyncState, oldRSs: ReplicaSet[]): boolean {
  let scaled = false;
  for (const rs of active(oldRSs)) {
    if (st.scaleAndRecord(rs, 0)) scaled = true;
  }
  return scaled;
}

/**
 * isScalingEvent: some active ReplicaSet was sized for another desired count than the
 * Deployment's (its desired-replicas annotation), i.e. the user scaled the Deployment.
 */
export function isScalingEvent(st: SyncState, allRSs: readonly (ReplicaSet | undefined)[]):
  boolean {
  return active(allRSs).some((rs) => {
    const desired = intAnnotation(rs, DESIRED_REPLICAS);
    return desired !== undefined && desired !== st.replicas;
  });
}

/** activeOrLatest: the only active ReplicaSet, or the newest one when none is active. */
function activeOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]):
  ReplicaSet | undefined {
  const all = active(newRS === undefined ? oldRSs : [...oldRSs, newRS]);
  if (all.length === 1) return all[0];
  if (all.length > 1) return undefined;
  return newRS ?? [...oldRSs].sort(byCreation).at(-1);
}

/** isSaturated: the new ReplicaSet has the whole desired count, all of it available. */
function isSaturated(st: SyncState, newRS: ReplicaSet | undefined): boolean {
  if (newRS === undefined) return false;
  return intAnnotation(newRS, DESIRED_REPLICAS) === st.replicas
    && specReplicas(newRS) === st.replicas
    && (newRS.status?.availableReplicas ?? 0) === st.replicas;
}

/** scale (sync.go's scale): bring the ReplicaSets' total to the Deployment's after a resize. */
export function scale(st: SyncState, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): void {
  const only = activeOrLatest(newRS, oldRSs);
  if (only !== undefined) {
    if (specReplicas(only) !== st.replicas) st.scaleAndRecord(only, st.replicas);
    return;
  }
  if (isSaturated(st, newRS)) {
    for (const rs of active(oldRSs)) st.scaleAndRecord(rs, 0);
    return;
  }
  if (isRollingUpdate(st.d)) scaleProportionally(st, active(newRS ? [...oldRSs, newRS] : oldRSs));
}

/** scaleProportionally spreads the difference over rss by their share of max-replicas. */
function scaleProportionally(st: SyncState, rss: ReplicaSet[]): void {
  const allowed = st.replicas > 0 ? st.replicas + maxSurge(st.d) : 0;
  const toAdd = allowed - sumSpec(rss);
  const operation = toAdd > 0 ? 'up' : 'down';
  rss.sort(toAdd > 0 ? bySizeNewer : bySizeOlder);
  const sizes = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of rss) {
    const share = toAdd === 0 ? 0 : proportion(st, rs, toAdd, added);
    sizes.set(rs, specReplicas(rs) + share);
    added += share;
  }
  const first = rss[0];
  if (first !== undefined && toAdd !== added) {
    sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  }
  for (const rs of rss) st.scaleReplicaSet(rs, sizes.get(rs) ?? specReplicas(rs), operation);
}

/** proportion (GetProportion): rs's share of toAdd, bounded by what is left to add. */
function proportion(st: SyncState, rs: ReplicaSet, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(st, rs);
  const left = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
}

/** replicaSetFraction (getReplicaSetFraction): how much rs grows or shrinks at the new size. */
function replicaSetFraction(st: SyncState, rs: ReplicaSet): number {
  if (st.replicas === 0) return -specReplicas(rs);
  const maxNow = st.replicas + maxSurge(st.d);
  // Without a usable annotation (edited away, or 0) fall back to the current size.
  const annotated = intAnnotation(rs, MAX_REPLICAS) ?? 0;
  const maxBefore = annotated !== 0 ? annotated : (st.d.status?.replicas ?? 0);
  if (maxBefore === 0) return 0;
  const size = (specReplicas(rs) * maxNow) / maxBefore;
  return roundHalfAway(size) - specReplicas(rs);
}

/** roundHalfAway rounds like Go's math.Round (half away from zero). */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/**
 * cleanupDeployment deletes the oldest old ReplicaSets beyond revisionHistoryLimit; only
 * empty ones whose status has caught up, never one already being deleted.
 */
export function cleanupDeployment(st: SyncState, oldRSs: readonly ReplicaSet[]): void {
  const limit = st.d.spec?.revisionHistoryLimit;
  if (limit === undefined) return;
  const alive = oldRSs.filter((rs) => rs.metadata.deletionTimestamp === undefined);
  const diff = alive.length - limit;
  if (diff <= 0) return;
  for (const rs of [...alive].sort(byRevision).slice(0, diff)) {
    const caughtUp = (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0);
    if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || !caughtUp) continue;
    st.actions.push({ type: 'deleteReplicaSet', rs: structuredClone(rs) });
  }
}
