/**
 * One Deployment sync's working state: a copy of the Deployment whose status and annotations
 * the steps change, copies of its ReplicaSets the steps scale, and the actions (API writes and
 * events) recorded in the order upstream would perform them. The plan never touches the cache's
 * objects; the shell executes the actions in order and stops at the first failed write.
 */
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../api/apps/v1/workloads.js';
import { assert } from '../../base/assert.js';
import type { EventType } from '../../client/events/types.js';
import {
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  MAX_REV_HISTORY_CHARS,
  REVISION,
  REVISION_HISTORY,
  maxSurge,
  skipCopyAnnotation,
  specReplicas,
} from './util.js';

/** DeploymentAction is one step of a sync, executed in order. */
export type DeploymentAction =
  /** Write our controller reference onto an orphan ReplicaSet (the copy carries it). */
  | { type: 'adoptReplicaSet'; rs: ReplicaSet }
  /** Remove our reference from a ReplicaSet that stopped matching. */
  | { type: 'releaseReplicaSet'; rs: ReplicaSet }
  | { type: 'createReplicaSet'; rs: ReplicaSet }
  /** Update a ReplicaSet (replicas, annotations, minReadySeconds). */
  | { type: 'updateReplicaSet'; rs: ReplicaSet }
  | { type: 'deleteReplicaSet'; rs: ReplicaSet }
  /** Merge these annotations into the Deployment's metadata (the revision). */
  | { type: 'patchDeploymentAnnotations'; annotations: Record<string, string> }
  | { type: 'updateDeploymentStatus'; status: DeploymentStatus }
  | { type: 'event'; eventType: EventType; reason: string; message: string };

/** SyncState accumulates one sync's decisions. */
export class SyncState {
  /** The Deployment as the steps see it (status and annotations change along the way). */
  readonly d: Deployment;
  readonly actions: DeploymentAction[] = [];

  constructor(
    readonly cached: Deployment,
    readonly nowWallMs: number,
  ) {
    this.d = structuredClone(cached);
    this.d.status ??= {};
  }

  /** replicas: the Deployment's desired count. */
  get replicas(): number {
    return specReplicas(this.d);
  }

  get name(): string {
    return this.d.metadata.name ?? '';
  }

  event(eventType: EventType, reason: string, message: string): void {
    this.actions.push({ type: 'event', eventType, reason, message });
  }

  updateReplicaSet(rs: ReplicaSet): void {
    this.actions.push({ type: 'updateReplicaSet', rs: structuredClone(rs) });
  }

  /** setRevision sets the Deployment's revision annotation; true when it changed. */
  setRevision(revision: string): boolean {
    const ann = (this.d.metadata.annotations ??= {});
    if (ann[REVISION] === revision) return false;
    ann[REVISION] = revision;
    return true;
  }

  /**
   * scaleReplicaSet (upstream scaleReplicaSet): writes rs with newScale replicas and current
   * desired/max annotations when either differs; a size change is a ScalingReplicaSet event.
   * rs is the plan's working copy and is changed in place.
   */
  scaleReplicaSet(rs: ReplicaSet, newScale: number, operation: 'up' | 'down'): boolean {
    assert(Number.isInteger(newScale) && newScale >= 0, `deployment: bad scale ${newScale}`);
    const old = specReplicas(rs);
    const sizeChanged = old !== newScale;
    const max = this.replicas + maxSurge(this.d);
    const annotationsChanged = setReplicasAnnotations(rs, this.replicas, max);
    if (!sizeChanged && !annotationsChanged) return false;
    rs.spec = { ...rs.spec, replicas: newScale };
    this.updateReplicaSet(rs);
    if (sizeChanged) {
      this.event('Normal', 'ScalingReplicaSet',
        `Scaled ${operation} replica set ${rs.metadata.name ?? ''} from ${old} to ${newScale}`);
    }
    return sizeChanged;
  }

  /** scaleAndRecord (scaleReplicaSetAndRecordEvent): no write at all when the size is right. */
  scaleAndRecord(rs: ReplicaSet, newScale: number): boolean {
    const old = specReplicas(rs);
    if (old === newScale) return false;
    return this.scaleReplicaSet(rs, newScale, old < newScale ? 'up' : 'down');
  }
}

/** setReplicasAnnotations records desired and max replicas on rs; true when they changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const ann = (rs.metadata.annotations ??= {});
  const want = { [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(max) };
  let changed = false;
  for (const [k, v] of Object.entries(want)) {
    if (ann[k] !== v) {
      ann[k] = v;
      changed = true;
    }
  }
  return changed;
}

/**
 * setNewReplicaSetAnnotations (SetNewReplicaSetAnnotations): copy the Deployment's own
 * annotations onto the new ReplicaSet, raise its revision to newRevision (keeping the revision
 * it had in revision-history: it was rolled back to), and on a ReplicaSet about to be created
 * the replica annotations. True when anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean,
): boolean {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (skipCopyAnnotation(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  const oldText = ann[REVISION];
  if (oldText !== undefined && !/^\d+$/.test(oldText)) return false;
  const oldRevision = oldText === undefined ? 0 : Number(oldText);
  if (oldRevision < newRevision) {
    ann[REVISION] = String(newRevision);
    changed = true;
    if (oldText !== undefined) appendRevisionHistory(ann, oldText);
  }
  const desired = specReplicas(d);
  if (!exists && setReplicasAnnotations(rs, desired, desired + maxSurge(d))) changed = true;
  return changed;
}

/** appendRevisionHistory adds revision to the history, dropping the oldest past the bound. */
function appendRevisionHistory(ann: Record<string, string>, revision: string): void {
  const history = ann[REVISION_HISTORY] ?? '';
  if (history === '') {
    ann[REVISION_HISTORY] = revision;
    return;
  }
  const parts = history.split(',');
  let total = history.length + revision.length + 1;
  let start = 0;
  while (total > MAX_REV_HISTORY_CHARS && start < parts.length) {
    total -= (parts[start]?.length ?? 0) + 1;
    start++;
  }
  if (total <= MAX_REV_HISTORY_CHARS) {
    ann[REVISION_HISTORY] = [...parts.slice(start), revision].join(',');
  }
}
