/**
 * Deployment conditions (deployment/util's condition helpers), with upstream's reasons and
 * messages: `kubectl describe deployment` and `kubectl rollout status` read these, so their
 * text is part of the contract. Pure; the wall time comes in as an argument.
 */
import type { DeploymentStatus } from '../../api/apps/v1/workloads.js';
import type { Condition } from '../../api/core/v1/common-types.js';
import { rfc3339 } from '../base/pods.js';

/** AVAILABLE: enough pods are available (replicas - maxUnavailable). */
export const AVAILABLE = 'Available';
/** PROGRESSING: the rollout moves, has finished, is paused, or missed its deadline. */
export const PROGRESSING = 'Progressing';
/** REPLICA_FAILURE: a ReplicaSet cannot create or delete pods (copied from it). */
export const REPLICA_FAILURE = 'ReplicaFailure';

/** Reasons of the Progressing and Available conditions. */
export const Reason = {
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  ReplicaSetCreateError: 'ReplicaSetCreateError',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** newCondition: a condition updated and transitioned now. */
export function newCondition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  nowWallMs: number,
): Condition {
  const now = rfc3339(nowWallMs);
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** getCondition finds a condition of a status. */
export function getCondition(s: DeploymentStatus | undefined, type: string): Condition | undefined {
  return s?.conditions?.find((c) => c.type === type);
}

/**
 * setCondition (SetDeploymentCondition): a condition with the same status and reason is left
 * as it is (message and times included); one with the same status keeps its transition time;
 * the new condition replaces the old one at the end of the list.
 */
export function setCondition(s: DeploymentStatus, c: Condition): void {
  const cur = getCondition(s, c.type);
  if (cur !== undefined && cur.status === c.status && cur.reason === c.reason) return;
  const next = { ...c };
  if (cur !== undefined && cur.status === c.status) {
    next.lastTransitionTime = cur.lastTransitionTime;
  }
  s.conditions = [...(s.conditions ?? []).filter((x) => x.type !== c.type), next];
}

/** removeCondition drops the condition of a type. */
export function removeCondition(s: DeploymentStatus, type: string): void {
  if (s.conditions === undefined) return;
  s.conditions = s.conditions.filter((c) => c.type !== type);
  if (s.conditions.length === 0) delete s.conditions;
}
