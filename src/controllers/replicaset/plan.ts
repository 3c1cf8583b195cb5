/**
 * The ReplicaSet controller's pure core (replica_set.go's syncReplicaSet, manageReplicas and
 * calculateStatus): from a cached ReplicaSet, the namespace's cached pods, whether earlier
 * creates/deletes have been observed, and the wall time, decide
 *   1. ownership: orphans matching the selector to adopt, owned pods no longer matching to release;
 *   2. the replica diff: pods to create (bounded by the burst) or which pods to delete;
 *   3. the status to write once that has been attempted, and when to look again.
 * No I/O, no clock: the shell (./controller.ts) executes what this returns.
 */
import type { ReplicaSet, ReplicaSetStatus } from '../../api/apps/v1/workloads.js';
import type { Condition } from '../../api/core/v1/common-types.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import { fromLabelSelector } from '../../api/selectors/labels.js';
import { assert } from '../../base/assert.js';
import {
  claimObjects,
  controllerRef,
  isPodActive,
  isPodAvailable,
  isPodReady,
  ownerRefTo,
  podCondition,
  podFromTemplate,
  rfc3339,
  withOwnerRef,
  withoutOwnerRef,
} from '../base/pods.js';
import { podsToDelete } from './ranking.js';

/** BURST_REPLICAS bounds creates or deletes per sync (upstream's BurstReplicas). */
export const BURST_REPLICAS = 500;

/** REPLICA_FAILURE is the condition type for failed creates/deletes. */
export const REPLICA_FAILURE = 'ReplicaFailure';

/** ReplicaSetInput is everything one sync looks at. */
export interface ReplicaSetInput {
  rs: ReplicaSet;
  /** Every cached pod of the ReplicaSet's namespace. */
  pods: readonly Pod[];
  /** Pods of the ReplicaSet's siblings (same controlling owner), for deletion ranking. */
  relatedPods?: readonly Pod[];
  /** False while earlier creates/deletes are not yet in the cache: do not act on them twice. */
  expectationsSatisfied: boolean;
  nowWallMs: number;
  burstReplicas?: number;
}

/** ManagePlan: what to write before the status. */
export interface ManagePlan {
  /** Pods (copies) with our controller reference added. */
  adopt: Pod[];
  /** Pods (copies) with our reference removed. */
  release: Pod[];
  /** The active pods we own after the claims: what the diff and the status count. */
  owned: Pod[];
  /** Number of pods to create from `template` (0 when none). */
  create: number;
  /** The pod a create sends (generateName "<rs>-"). */
  template: Pod;
  /** Pods to delete, in deletion order. */
  delete: Pod[];
}

/**
 * planManage is steps 1 and 2. A ReplicaSet being deleted only claims (and creates/deletes
 * nothing): the garbage collector takes its pods. Unmet expectations also suspend step 2.
 */
export function planManage(input: ReplicaSetInput): ManagePlan {
  const { rs } = input;
  const selector = fromLabelSelector(rs.spec?.selector);
  const claim = claimObjects(rs, input.pods, (p) => selector.matches(p.metadata.labels));
  const ref = ownerRefTo(rs, 'apps/v1', 'ReplicaSet');
  const uid = rs.metadata.uid ?? '';
  const owned = claim.owned.filter(isPodActive);
  const template = podFromTemplate(rs.spec?.template ?? {}, rs.metadata.namespace ?? '',
    `${rs.metadata.name ?? ''}-`, ref);
  const plan: ManagePlan = {
    adopt: claim.adopt.map((p) => withOwnerRef(p, ref)),
    release: claim.release.map((p) => withoutOwnerRef(p, uid)),
    owned,
    create: 0,
    template,
    delete: [],
  };
  if (!input.expectationsSatisfied || rs.metadata.deletionTimestamp !== undefined) return plan;
  const burst = input.burstReplicas ?? BURST_REPLICAS;
  assert(burst > 0, 'replicaset: burst must be positive');
  const diff = owned.length - (rs.spec?.replicas ?? 1);
  if (diff < 0) plan.create = Math.min(-diff, burst);
  if (diff > 0) {
    const related = input.relatedPods ?? owned;
    plan.delete = podsToDelete(owned, related, Math.min(diff, burst), input.nowWallMs);
  }
  assert(plan.create <= burst && plan.delete.length <= burst, 'replicaset: burst exceeded');
  assert(plan.delete.every((p) => owned.includes(p)), 'replicaset: deleting a pod not owned');
  return plan;
}

/** StatusPlan: the status to write (undefined: already current) and when to sync again. */
export interface StatusPlan {
  status?: ReplicaSetStatus;
  /** Set when a ready pod becomes available later (minReadySeconds): look again then. */
  requeueAfterMs?: number;
}

/**
 * planStatus is step 3 (calculateStatus + updateReplicaSetStatus): counts over the owned
 * active pods, a ReplicaFailure condition while creates/deletes fail (reason FailedCreate or
 * FailedDelete, the error as message), removed once they succeed again, observedGeneration.
 */
export function planStatus(
  rs: ReplicaSet,
  owned: readonly Pod[],
  manageError: string | undefined,
  nowWallMs: number,
): StatusPlan {
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let nextAvailableMs: number | undefined;
  for (const p of owned) {
    const labels = p.metadata.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (!isPodReady(p)) continue;
    ready++;
    if (isPodAvailable(p, minReadySeconds, nowWallMs)) available++;
    else {
      const at = availableAtMs(p, minReadySeconds);
      if (nextAvailableMs === undefined || at < nextAvailableMs) nextAvailableMs = at;
    }
  }
  const next: ReplicaSetStatus = structuredClone(rs.status ?? {});
  next.conditions = failureConditions(rs, owned.length, manageError, nowWallMs);
  if (next.conditions.length === 0) delete next.conditions;
  next.replicas = owned.length;
  next.fullyLabeledReplicas = fullyLabeled;
  next.readyReplicas = ready;
  next.availableReplicas = available;
  next.observedGeneration = rs.metadata.generation ?? 0;
  const out: StatusPlan = {};
  if (!statusEqual(rs.status ?? {}, next)) out.status = next;
  if (manageError === undefined && nextAvailableMs !== undefined) {
    out.requeueAfterMs = Math.max(0, nextAvailableMs - nowWallMs);
  }
  return out;
}

/** availableAtMs: when a ready pod has been ready for minReadySeconds. */
function availableAtMs(p: Pod, minReadySeconds: number): number {
  const since = Date.parse(podCondition(p, 'Ready')?.lastTransitionTime ?? '');
  return since + minReadySeconds * 1000;
}

function failureConditions(
  rs: ReplicaSet,
  ownedCount: number,
  manageError: string | undefined,
  nowWallMs: number,
): Condition[] {
  const conds = structuredClone(rs.status?.conditions ?? []);
  const existing = conds.find((c) => c.type === REPLICA_FAILURE);
  if (manageError === undefined) return conds.filter((c) => c.type !== REPLICA_FAILURE);
  if (existing !== undefined) return conds;
  const diff = ownedCount - (rs.spec?.replicas ?? 1);
  const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
  conds.push({
    type: REPLICA_FAILURE,
    status: 'True',
    lastTransitionTime: rfc3339(nowWallMs),
    reason,
    message: manageError,
  });
  return conds;
}

function statusEqual(a: ReplicaSetStatus, b: ReplicaSetStatus): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(s: ReplicaSetStatus): unknown[] {
  return [
    s.replicas ?? 0,
    s.fullyLabeledReplicas ?? 0,
    s.readyReplicas ?? 0,
    s.availableReplicas ?? 0,
    s.observedGeneration ?? 0,
    s.conditions ?? [],
  ];
}

/** ownerOf: the uid of p's controller, '' for an orphan (indexes pods by their controller). */
export function ownerOf(p: Pod): string {
  return controllerRef(p)?.uid ?? '';
}
