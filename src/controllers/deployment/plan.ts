/**
 * The Deployment controller's pure core (deployment_controller.go's syncDeployment): from a
 * cached Deployment, the namespace's cached ReplicaSets and pods, and the wall time, the list
 * of writes and events one sync performs, in order, plus when to look again (the progress
 * deadline). Steps, as upstream:
 *   1. claim ReplicaSets (adopt matching orphans, release owned ones that stopped matching);
 *   2. a Deployment being deleted only gets its status;
 *   3. Progressing Unknown when paused or resumed;
 *   4. paused, or a scaling event (replicas changed): proportional scaling only, no rollout;
 *   5. otherwise roll out: Recreate or RollingUpdate;
 *   6. the revision annotation and the status, when they changed.
 */
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../api/apps/v1/workloads.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import { fromLabelSelector } from '../../api/selectors/labels.js';
import { claimObjects, ownerRefTo, withOwnerRef, withoutOwnerRef } from '../base/pods.js';
import { newCondition, PROGRESSING, Reason, setCondition } from './conditions.js';
import { canonicalJson } from '../base/template-hash.js';
import { HashCollision, replicaSetsAndSyncRevision, type ReplicaSets } from './new-replicaset.js';
import {
  cleanupDeployment,
  isScalingEvent,
  oldPodsRunning,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  scale,
  scaleDownOldForRecreate,
} from './rollout.js';
import { SyncState, type DeploymentAction } from './state.js';
import {
  deploymentComplete,
  pausedConditions,
  syncDeploymentStatus,
  syncRolloutStatus,
} from './status.js';
import { active, hasProgressDeadline, isRollingUpdate, REVISION } from './util.js';

export type { DeploymentAction } from './state.js';

/** DeploymentInput is everything one sync looks at. */
export interface DeploymentInput {
  d: Deployment;
  /** Every cached ReplicaSet of the Deployment's namespace. */
  replicaSets: readonly ReplicaSet[];
  /** Every cached pod of the namespace (Recreate waits for old pods to stop). */
  pods: readonly Pod[];
  nowWallMs: number;
}

/** DeploymentPlan: the actions in order, and when to sync again (progress deadline). */
export interface DeploymentPlan {
  actions: DeploymentAction[];
  requeueAfterMs?: number;
}

/** planDeployment decides one sync of a Deployment. */
export function planDeployment(input: DeploymentInput): DeploymentPlan {
  const st = new SyncState(input.d, input.nowWallMs);
  const selector = fromLabelSelector(input.d.spec?.selector);
  if (selector.isEmpty()) {
    st.event('Warning', 'SelectingAll',
      'This deployment is selecting all pods. A non-empty selector is required.');
    const s = st.d.status ?? {};
    s.observedGeneration = Math.max(s.observedGeneration ?? 0, st.d.metadata.generation ?? 0);
    return finish(st, undefined);
  }
  const claim = claimObjects(input.d, input.replicaSets,
    (rs) => selector.matches(rs.metadata.labels));
  const ref = ownerRefTo(input.d, 'apps/v1', 'Deployment');
  const uid = input.d.metadata.uid ?? '';
  for (const rs of claim.adopt) {
    st.actions.push({ type: 'adoptReplicaSet', rs: withOwnerRef(rs, ref) });
  }
  for (const rs of claim.release) {
    st.actions.push({ type: 'releaseReplicaSet', rs: withoutOwnerRef(rs, uid) });
  }
  const owned = claim.owned.map((rs) => structuredClone(rs));
  const byName = (name: string): ReplicaSet | undefined =>
    input.replicaSets.find((rs) => rs.metadata.name === name);
  try {
    return finish(st, dispatch(st, owned, input.pods, byName));
  } catch (err) {
    if (err instanceof HashCollision) return finish(st, undefined);
    throw err;
  }
}

type ByName = (name: string) => ReplicaSet | undefined;

/** dispatch runs steps 2–5 and returns the progress-check delay, if any. */
function dispatch(st: SyncState, owned: ReplicaSet[], pods: readonly Pod[], byName: ByName):
  number | undefined {
  if (st.d.metadata.deletionTimestamp !== undefined) {
    const sets = replicaSetsAndSyncRevision(st, owned, false, byName);
    syncDeploymentStatus(st, [...sets.oldRSs, sets.newRS], sets.newRS);
    return undefined;
  }
  pausedConditions(st);
  const sets = replicaSetsAndSyncRevision(st, owned, false, byName);
  const paused = st.d.spec?.paused === true;
  if (paused || isScalingEvent(st, [...sets.oldRSs, sets.newRS])) {
    scale(st, sets.newRS, sets.oldRSs);
    if (paused) cleanupDeployment(st, sets.oldRSs);
    syncDeploymentStatus(st, [...sets.oldRSs, sets.newRS], sets.newRS);
    return undefined;
  }
  if (isRollingUpdate(st.d)) return rolloutRolling(st, owned, sets, byName);
  return rolloutRecreate(st, owned, sets, pods, byName);
}

/** rolloutRolling (rolling.go): one scale step per sync, then the status. */
function rolloutRolling(st: SyncState, owned: ReplicaSet[], sets: ReplicaSets, byName: ByName):
  number | undefined {
  const { newRS, oldRSs } = sets.newRS ? sets : replicaSetsAndSyncRevision(st, owned, true, byName);
  const all = newRS ? [...oldRSs, newRS] : oldRSs;
  if (newRS && reconcileNewReplicaSet(st, all, newRS)) return syncRolloutStatus(st, all, newRS);
  if (reconcileOldReplicaSets(st, all, active(oldRSs), newRS)) {
    return syncRolloutStatus(st, all, newRS);
  }
  if (deploymentComplete(st.d, st.cached.status ?? {})) cleanupDeployment(st, oldRSs);
  return syncRolloutStatus(st, all, newRS);
}

/** rolloutRecreate (recreate.go): old to zero, wait for old pods to stop, then the new one. */
function rolloutRecreate(
  st: SyncState,
  owned: ReplicaSet[],
  sets: ReplicaSets,
  pods: readonly Pod[],
  byName: ByName,
): number | undefined {
  const all = [...sets.oldRSs, sets.newRS];
  if (scaleDownOldForRecreate(st, active(sets.oldRSs))) {
    return syncRolloutStatus(st, all, sets.newRS);
  }
  if (oldPodsRunning(sets.newRS, sets.oldRSs, pods)) return syncRolloutStatus(st, all, sets.newRS);
  const { newRS, oldRSs } = sets.newRS ? sets : replicaSetsAndSyncRevision(st, owned, true, byName);
  if (newRS !== undefined) st.scaleAndRecord(newRS, st.replicas);
  if (deploymentComplete(st.d, st.cached.status ?? {})) cleanupDeployment(st, oldRSs);
  return syncRolloutStatus(st, [...oldRSs, newRS], newRS);
}

/** finish appends the Deployment's own writes: the revision annotation, then the status. */
function finish(st: SyncState, requeueAfterMs: number | undefined): DeploymentPlan {
  const revision = st.d.metadata.annotations?.[REVISION];
  if (revision !== undefined && revision !== st.cached.metadata.annotations?.[REVISION]) {
    st.actions.push({ type: 'patchDeploymentAnnotations', annotations: { [REVISION]: revision } });
  }
  const next = compactStatus(st.d.status ?? {});
  if (canonicalJson(compactStatus(st.cached.status ?? {})) !== canonicalJson(next)) {
    st.actions.push({ type: 'updateDeploymentStatus', status: next });
  }
  if (requeueAfterMs === undefined) return { actions: st.actions };
  return { actions: st.actions, requeueAfterMs };
}

/** compactStatus drops zero counters, as the API's omitempty serialisation does. */
export function compactStatus(s: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  for (const [k, v] of Object.entries(s) as [keyof DeploymentStatus, unknown][]) {
    if (v === undefined || v === 0 || (Array.isArray(v) && v.length === 0)) continue;
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * createFailedStatus is the status after creating the new ReplicaSet failed (quota, admission):
 * Progressing False with reason ReplicaSetCreateError, when the Deployment has a deadline.
 * The shell writes it (and the same message as a Warning event) and retries with backoff.
 */
export function createFailedStatus(d: Deployment, rsName: string, error: string, nowWallMs: number):
  { status?: DeploymentStatus; message: string } {
  const message = `Failed to create new replica set "${rsName}": ${error}`;
  if (!hasProgressDeadline(d)) return { message };
  const status = structuredClone(d.status ?? {});
  setCondition(status, newCondition(PROGRESSING, 'False', Reason.ReplicaSetCreateError, message,
    nowWallMs));
  return { status: compactStatus(status), message };
}
