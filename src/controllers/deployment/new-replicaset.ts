/**
 * Finding or making the Deployment's new ReplicaSet (sync.go's getAllReplicaSetsAndSyncRevision
 * and getNewReplicaSet): the ReplicaSet running the current template gets the next revision and
 * the Deployment's annotations; when there is none, one named "<deployment>-<hash>" is created
 * with as many replicas as the strategy allows right now. A name already taken by a ReplicaSet
 * with another template is a hash collision: collisionCount goes up and the next sync hashes
 * again.
 */
import type { Deployment, ReplicaSet } from '../../api/apps/v1/workloads.js';
import type { LabelSelector } from '../../api/validation/label-selector.js';
import { controllerRef, ownerRefTo, rfc3339 } from '../base/pods.js';
import { templateHash } from '../base/template-hash.js';
import { newCondition, getCondition, PROGRESSING, Reason, setCondition } from './conditions.js';
import { setNewReplicaSetAnnotations, type SyncState } from './state.js';
import {
  equalIgnoreHash,
  findNewReplicaSet,
  HASH_LABEL,
  hasProgressDeadline,
  isRollingUpdate,
  maxRevision,
  REVISION,
  scaledValue,
  specReplicas,
  sumSpec,
} from './util.js';

/** ReplicaSets is a Deployment's ReplicaSets split into the new one and the old ones. */
export interface ReplicaSets {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

/** HashCollision ends a sync: the name is taken by someone else's template. */
export class HashCollision extends Error {
  override name = 'HashCollision';
}

/**
 * newRSNewReplicas (NewRSNewReplicas): the new ReplicaSet's size now. RollingUpdate: grow
 * into whatever room maxSurge leaves above the desired count; Recreate: everything at once.
 */
export function newRSNewReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet):
  number {
  const desired = specReplicas(d);
  const current = specReplicas(newRS);
  if (!isRollingUpdate(d)) return desired;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
  const maxTotal = desired + surge;
  const total = sumSpec(allRSs);
  if (total >= maxTotal) return current;
  return current + Math.min(maxTotal - total, desired - current);
}

/**
 * replicaSetsAndSyncRevision splits owned (the plan's working copies) into new and old, syncs
 * the new one's annotations and the Deployment's revision, and creates the new one when asked.
 * byName looks a name up among all cached ReplicaSets of the namespace (collision check).
 */
export function replicaSetsAndSyncRevision(
  st: SyncState,
  owned: ReplicaSet[],
  createIfMissing: boolean,
  byName: (name: string) => ReplicaSet | undefined,
): ReplicaSets {
  const existing = findNewReplicaSet(st.d, owned);
  const oldRSs = owned.filter((rs) => rs !== existing);
  const newRevision = maxRevision(oldRSs) + 1;
  if (existing !== undefined) {
    syncExisting(st, existing, newRevision);
    return { newRS: existing, oldRSs };
  }
  if (!createIfMissing) return { newRS: undefined, oldRSs };
  return { newRS: createNew(st, oldRSs, newRevision, byName), oldRSs };
}

function syncExisting(st: SyncState, rs: ReplicaSet, newRevision: number): void {
  const annotationsUpdated = setNewReplicaSetAnnotations(st.d, rs, newRevision, true);
  const minReady = st.d.spec?.minReadySeconds ?? 0;
  if (annotationsUpdated || (rs.spec?.minReadySeconds ?? 0) !== minReady) {
    rs.spec = { ...rs.spec, minReadySeconds: minReady };
    st.updateReplicaSet(rs);
    // Upstream returns here: the Deployment's revision follows on the sync this update causes.
    return;
  }
  st.setRevision(rs.metadata.annotations?.[REVISION] ?? '');
  const status = st.d.status ?? {};
  if (hasProgressDeadline(st.d) && getCondition(status, PROGRESSING) === undefined) {
    setCondition(status, newCondition(PROGRESSING, 'True', Reason.FoundNewReplicaSet,
      `Found new replica set "${rs.metadata.name ?? ''}"`, st.nowWallMs));
  }
}

/** newReplicaSetObject: the ReplicaSet for d's current template (not yet sized). */
export function newReplicaSetObject(d: Deployment): ReplicaSet {
  const hash = templateHash(d.spec?.template ?? {}, d.status?.collisionCount);
  const template = structuredClone(d.spec?.template ?? {});
  const labels = { ...template.metadata?.labels, [HASH_LABEL]: hash };
  template.metadata = { ...template.metadata, labels };
  const selector: LabelSelector = structuredClone(d.spec?.selector ?? {});
  selector.matchLabels = { ...selector.matchLabels, [HASH_LABEL]: hash };
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name ?? ''}-${hash}`,
      namespace: d.metadata.namespace ?? '',
      ownerReferences: [ownerRefTo(d, 'apps/v1', 'Deployment')],
      labels: { ...template.metadata.labels },
    },
    spec: { replicas: 0, selector, template },
  };
  const minReadySeconds = d.spec?.minReadySeconds;
  if (minReadySeconds !== undefined) rs.spec = { ...rs.spec, minReadySeconds };
  return rs;
}

function createNew(
  st: SyncState,
  oldRSs: ReplicaSet[],
  newRevision: number,
  byName: (name: string) => ReplicaSet | undefined,
): ReplicaSet {
  const rs = newReplicaSetObject(st.d);
  const name = rs.metadata.name ?? '';
  const taken = byName(name);
  if (taken !== undefined) {
    const ours = controllerRef(taken)?.uid === st.d.metadata.uid;
    if (ours && equalIgnoreHash(taken.spec?.template, st.d.spec?.template)) {
      return structuredClone(taken);
    }
    const status = st.d.status ?? {};
    status.collisionCount = (status.collisionCount ?? 0) + 1;
    throw new HashCollision(`replica set name ${name} is taken by another template`);
  }
  const count = newRSNewReplicas(st.d, [...oldRSs, rs], rs);
  rs.spec = { ...rs.spec, replicas: count };
  setNewReplicaSetAnnotations(st.d, rs, newRevision, false);
  st.actions.push({ type: 'createReplicaSet', rs: structuredClone(rs) });
  // The working copy stands for the created object: the newest ReplicaSet from now on.
  rs.metadata.creationTimestamp = rfc3339(st.nowWallMs);
  if (count > 0) {
    st.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${count}`);
  }
  st.setRevision(String(newRevision));
  if (hasProgressDeadline(st.d)) {
    setCondition(st.d.status ?? {}, newCondition(PROGRESSING, 'True', Reason.NewReplicaSetCreated,
      `Created new replica set "${name}"`, st.nowWallMs));
  }
  return rs;
}
