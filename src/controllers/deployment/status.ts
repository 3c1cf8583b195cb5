/**
 * A Deployment's status (sync.go's calculateStatus and syncDeploymentStatus, progress.go's
 * syncRolloutStatus): replica counts summed over its ReplicaSets, Available while at least
 * replicas - maxUnavailable pods are available, and Progressing, which tells `kubectl rollout
 * status` whether a rollout moves, has finished, or has made no progress for longer than
 * progressDeadlineSeconds. Pure; the wall time comes in through the sync state.
 */
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../api/apps/v1/workloads.js';
import type { Condition } from '../../api/core/v1/common-types.js';
import {
  AVAILABLE,
  getCondition,
  newCondition,
  PROGRESSING,
  Reason,
  REPLICA_FAILURE,
  removeCondition,
  setCondition,
} from './conditions.js';
import type { SyncState } from './state.js';
import { hasProgressDeadline, maxUnavailable, specReplicas, sumSpec, sumStatus } from './util.js';

/** calculateStatus: counts and the Available condition for d over allRSs. */
export function calculateStatus(
  st: SyncState,
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
): DeploymentStatus {
  const d = st.d;
  const availableCount = sumStatus(allRSs, 'availableReplicas');
  const s: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sumStatus(allRSs, 'replicas'),
    updatedReplicas: sumStatus([newRS], 'replicas'),
    readyReplicas: sumStatus(allRSs, 'readyReplicas'),
    availableReplicas: availableCount,
    unavailableReplicas: Math.max(0, sumSpec(allRSs) - availableCount),
  };
  if (d.status?.collisionCount !== undefined) s.collisionCount = d.status.collisionCount;
  if (d.status?.conditions !== undefined) s.conditions = structuredClone(d.status.conditions);
  if (availableCount >= specReplicas(d) - maxUnavailable(d)) {
    setCondition(s, newCondition(AVAILABLE, 'True', Reason.MinimumReplicasAvailable,
      'Deployment has minimum availability.', st.nowWallMs));
  } else {
    setCondition(s, newCondition(AVAILABLE, 'False', Reason.MinimumReplicasUnavailable,
      'Deployment does not have minimum availability.', st.nowWallMs));
  }
  return s;
}

/** deploymentComplete: every desired replica updated and available, nothing old left. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = specReplicas(d);
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want
    && (s.availableReplicas ?? 0) === want
    && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** progressing: the new status shows any progress over the Deployment's current one. */
function progressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld
    || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0)
    || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** deadlineAtMs: when the Progressing condition's last update runs out of deadline. */
function deadlineAtMs(d: Deployment, c: Condition): number {
  const from = Date.parse(c.lastUpdateTime ?? '') || 0;
  return from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000;
}

/** timedOut (DeploymentTimedOut): no progress recorded for progressDeadlineSeconds. */
function timedOut(st: SyncState, s: DeploymentStatus): boolean {
  if (!hasProgressDeadline(st.d)) return false;
  const c = getCondition(s, PROGRESSING);
  if (c === undefined || c.reason === Reason.NewReplicaSetAvailable) return false;
  if (c.reason === Reason.ProgressDeadlineExceeded) return true;
  return deadlineAtMs(st.d, c) < st.nowWallMs;
}

/** rsMessage: upstream's "ReplicaSet "x" <what>" or "Deployment "d" <what>" without a new RS. */
function rsMessage(st: SyncState, newRS: ReplicaSet | undefined, what: string): string {
  if (newRS !== undefined) return `ReplicaSet "${newRS.metadata.name ?? ''}" ${what}`;
  return `Deployment "${st.name}" ${what}`;
}

/** estimateProgress sets Progressing from the new status (the switch of syncRolloutStatus). */
function estimateProgress(st: SyncState, s: DeploymentStatus, newRS: ReplicaSet | undefined): void {
  const now = st.nowWallMs;
  if (deploymentComplete(st.d, s)) {
    setCondition(s, newCondition(PROGRESSING, 'True', Reason.NewReplicaSetAvailable,
      rsMessage(st, newRS, 'has successfully progressed.'), now));
  } else if (progressing(st.d, s)) {
    const c = newCondition(PROGRESSING, 'True', Reason.ReplicaSetUpdated,
      rsMessage(st, newRS, 'is progressing.'), now);
    const cur = getCondition(st.d.status, PROGRESSING);
    if (cur !== undefined) {
      if (cur.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
      removeCondition(s, PROGRESSING);
    }
    setCondition(s, c);
  } else if (timedOut(st, s)) {
    setCondition(s, newCondition(PROGRESSING, 'False', Reason.ProgressDeadlineExceeded,
      rsMessage(st, newRS, 'has timed out progressing.'), now));
  }
}

/** replicaFailure: the first ReplicaFailure of the new, then the old ReplicaSets. */
function replicaFailure(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined):
  Condition | undefined {
  const ordered = newRS === undefined ? allRSs : [newRS, ...allRSs.filter((r) => r !== newRS)];
  for (const rs of ordered) {
    const c = rs?.status?.conditions?.find((x) => x.type === REPLICA_FAILURE);
    if (c === undefined) continue;
    const at = c.lastTransitionTime ?? null;
    return { type: REPLICA_FAILURE, status: c.status, reason: c.reason ?? '',
      message: c.message ?? '', lastUpdateTime: at, lastTransitionTime: at };
  }
  return undefined;
}

/**
 * syncRolloutStatus: the status of a Deployment in rollout (counts, Available, Progressing,
 * ReplicaFailure), stored as the status to write, and the delay after which the progress
 * deadline must be checked again when the rollout is neither complete nor timed out.
 */
export function syncRolloutStatus(
  st: SyncState,
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
): number | undefined {
  const s = calculateStatus(st, allRSs, newRS);
  if (!hasProgressDeadline(st.d)) removeCondition(s, PROGRESSING);
  const cur = getCondition(st.d.status, PROGRESSING);
  const complete = s.replicas === s.updatedReplicas
    && cur?.reason === Reason.NewReplicaSetAvailable;
  if (hasProgressDeadline(st.d) && !complete) estimateProgress(st, s, newRS);
  const failure = replicaFailure(allRSs, newRS);
  if (failure !== undefined) setCondition(s, failure);
  else removeCondition(s, REPLICA_FAILURE);
  st.d.status = s;
  return progressCheckDelayMs(st, s);
}

/** progressCheckDelayMs (requeueStuckDeployment): when the deadline next needs checking. */
function progressCheckDelayMs(st: SyncState, s: DeploymentStatus): number | undefined {
  const c = getCondition(s, PROGRESSING);
  if (!hasProgressDeadline(st.d) || c === undefined) return undefined;
  if (deploymentComplete(st.d, s) || c.reason === Reason.ProgressDeadlineExceeded) return undefined;
  // One extra second so a check never lands just before the deadline (upstream does the same).
  return Math.max(0, deadlineAtMs(st.d, c) - st.nowWallMs) + 1000;
}

/** syncDeploymentStatus: counts and Available only (paused, scaling, being deleted). */
export function syncDeploymentStatus(
  st: SyncState,
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
): void {
  st.d.status = calculateStatus(st, allRSs, newRS);
}

/** pausedConditions (checkPausedConditions): Progressing Unknown while paused/after resume. */
export function pausedConditions(st: SyncState): void {
  if (!hasProgressDeadline(st.d)) return;
  const s = (st.d.status ??= {});
  const cur = getCondition(s, PROGRESSING);
  if (cur?.reason === Reason.ProgressDeadlineExceeded) return;
  const pausedCond = cur?.reason === Reason.DeploymentPaused;
  const paused = st.d.spec?.paused === true;
  if (paused && !pausedCond) {
    setCondition(s, newCondition(PROGRESSING, 'Unknown', Reason.DeploymentPaused,
      'Deployment is paused', st.nowWallMs));
  } else if (!paused && pausedCond) {
    setCondition(s, newCondition(PROGRESSING, 'Unknown', Reason.DeploymentResumed,
      'Deployment is resumed', st.nowWallMs));
  }
}
