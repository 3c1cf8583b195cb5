/**
 * Carrying out the plan's writes through the API, each with optimistic concurrency: a delete
 * carries the uid and resourceVersion the decision was made on; a metadata patch carries the
 * resourceVersion it was computed from. A Conflict on a delete is thrown (the key is retried
 * with backoff and re-planned on a fresher cache). A Conflict on a patch — the object moved on
 * since the cache saw it — is resolved by a bounded read-modify-write on the live object, but
 * only while it is still the same object (same uid): the collector never edits a re-created one.
 * NotFound is a normal outcome everywhere: the object is already where we wanted it.
 */
import { isStatusError } from '../../api/errors.js';
import type { KubeObject, OwnerReference } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { ComponentApi } from '../../client/component-api.js';
import type { EventRecorder } from '../../client/events/types.js';
import type { ApiResource } from '../../client/types.js';
import type { SyncResult } from '../../client/workqueue/types.js';
import type { GcAction, Propagation, Target } from './plan.js';
import type { GcKey } from './refs.js';

/** PATCH_ATTEMPTS_MAX bounds a metadata patch's read-modify-write rounds after conflicts. */
export const PATCH_ATTEMPTS_MAX = 4;

/** WRITE_CONCURRENCY bounds the writes one sync has in flight at once. */
export const WRITE_CONCURRENCY = 16;

/** FIELD_MANAGER names the collector's writes in managedFields. */
export const FIELD_MANAGER = 'garbage-collector';

/** ExecDeps: what executing actions may touch. */
export interface ExecDeps {
  api: ComponentApi;
  recorder: EventRecorder;
  enqueue: (key: GcKey) => void;
}

/**
 * executeActions performs actions in order; throws on a failure worth a retry. Runs of writes
 * to distinct dependents (an orphaning owner's patches) go WRITE_CONCURRENCY at a time; a run
 * finishes, failures included, before the next action (say, the owner's finalizer) starts.
 */
export async function executeActions(
  actions: readonly GcAction[],
  d: ExecDeps,
): Promise<SyncResult> {
  let result: SyncResult = undefined;
  for (let i = 0; i < actions.length; ) {
    const type = actions[i]!.type;
    let j = i + 1;
    if (type === 'removeOwnerRefs' || type === 'delete') {
      while (j < actions.length && actions[j]!.type === type && j - i < WRITE_CONCURRENCY) j++;
    }
    const settled = await Promise.allSettled(actions.slice(i, j).map((a) => executeOne(a, d)));
    for (const s of settled) {
      if (s.status === 'rejected') throw s.reason;
      if (s.value !== undefined) result = s.value;
    }
    i = j;
  }
  return result;
}

async function executeOne(a: GcAction, d: ExecDeps): Promise<SyncResult> {
  switch (a.type) {
    case 'verifyOwners':
      assert(false, 'verifyOwners reached the executor: the shell must resolve it first');
      return undefined;
    case 'delete':
      return deleteTarget(d.api, a.target, a.policy);
    case 'removeOwnerRefs':
      return patchMeta(d.api, a.target, { ownerReferences: orNull(a.remaining) },
        (live) => withoutOwners(live, a.ownerUids));
    case 'removeFinalizer':
      return patchMeta(d.api, a.target, { finalizers: orNull(a.remaining) },
        (live) => withoutFinalizer(live, a.finalizer));
    case 'enqueue':
      for (const k of a.keys) d.enqueue(k);
      return undefined;
    case 'requeue':
      return { requeueAfterMs: a.afterMs };
    case 'event':
      d.recorder.event(a.regarding, 'Warning', a.reason, a.message);
      return undefined;
  }
}

/** apiResource is the wire name of the target's resource. */
function apiResource(t: Target): ApiResource {
  const r = t.at.resource;
  return { group: r.group, version: r.version, resource: r.resource };
}

function isReason(err: unknown, reason: 'NotFound' | 'Conflict'): boolean {
  return isStatusError(err) && err.reason === reason;
}

async function deleteTarget(api: ComponentApi, t: Target, policy: Propagation): Promise<void> {
  try {
    await api.delete(apiResource(t), t.at.namespace, t.at.name, {
      propagationPolicy: policy,
      preconditions: { uid: t.uid, resourceVersion: t.resourceVersion },
    });
  } catch (err) {
    if (!isReason(err, 'NotFound')) throw err;
  }
}

/** MetaChange is the metadata fields a patch sets; undefined: nothing left to change. */
type MetaChange = Record<string, unknown> | undefined;

/**
 * patchMeta merge-patches metadata fields with a resourceVersion precondition: first from the
 * plan's view; after a Conflict, recomputed from a live read of the same object (same uid).
 */
async function patchMeta(
  api: ComponentApi,
  t: Target,
  first: MetaChange,
  fromLive: (live: KubeObject) => MetaChange,
): Promise<void> {
  let change = first;
  let rv = t.resourceVersion;
  for (let attempt = 1; ; attempt++) {
    if (change === undefined) return;
    try {
      const body = { metadata: { resourceVersion: rv, ...change } };
      const type = 'application/merge-patch+json';
      await api.patch(apiResource(t), t.at.namespace, t.at.name, type, body, {
        fieldManager: FIELD_MANAGER,
      });
      return;
    } catch (err) {
      if (isReason(err, 'NotFound')) return;
      if (!isReason(err, 'Conflict') || attempt >= PATCH_ATTEMPTS_MAX) throw err;
    }
    const live = await getLive(api, t);
    if (live === undefined) return;
    rv = live.metadata.resourceVersion ?? '';
    change = fromLive(live);
  }
}

/** getLive reads the target; undefined when it is gone or is another object (other uid). */
async function getLive(api: ComponentApi, t: Target): Promise<KubeObject | undefined> {
  try {
    const live = await api.get<KubeObject>(apiResource(t), t.at.namespace, t.at.name);
    return live.metadata.uid === t.uid ? live : undefined;
  } catch (err) {
    if (isReason(err, 'NotFound')) return undefined;
    throw err;
  }
}

function withoutOwners(live: KubeObject, uids: readonly string[]): MetaChange {
  const refs: OwnerReference[] = live.metadata.ownerReferences ?? [];
  const remaining = refs.filter((r) => !uids.includes(r.uid));
  return remaining.length === refs.length ? undefined : { ownerReferences: orNull(remaining) };
}

function withoutFinalizer(live: KubeObject, finalizer: string): MetaChange {
  const fs = live.metadata.finalizers ?? [];
  const remaining = fs.filter((f) => f !== finalizer);
  return remaining.length === fs.length ? undefined : { finalizers: orNull(remaining) };
}

/** orNull: an emptied list is removed (merge patch null), not stored as []. */
function orNull<T>(xs: T[]): T[] | null {
  return xs.length > 0 ? xs : null;
}
