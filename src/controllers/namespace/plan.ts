/**
 * The namespace controller's pure core (upstream's NamespacedResourcesDeleter): a namespace
 * marked for deletion is emptied — every object of every namespaced resource is deleted — and
 * once nothing is left (pods past their grace period, objects whose finalizers have finished)
 * the controller removes its "kubernetes" finalizer, after which the API server removes the
 * namespace. Until then it writes conditions that say what is holding the namespace up, and
 * looks again with a growing delay.
 *
 * Two functions because a sync lists twice: planContentDeletes on the first listing (what to
 * delete), planNamespaceFinish on the listing after the deletes (what remains, what to write).
 */
import type { Namespace } from '../../api/core/v1/cluster-kinds.js';
import { FINALIZER_KUBERNETES } from '../../api/core/v1/cluster-kinds.js';
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { ApiResource } from '../../client/types.js';
import type { Condition } from '../../api/core/v1/common-types.js';
import { deletionConditions, type ContentTally } from './conditions.js';

/** REQUEUE_BASE_MS and REQUEUE_MAX_MS bound the wait between passes over a namespace whose
 *  content is not gone yet (doubling from the base; upstream waits up to 15 s for finalizers). */
export const REQUEUE_BASE_MS = 250;
export const REQUEUE_MAX_MS = 15_000;

/** ContentListing is one namespaced resource's objects in the namespace, or why not. */
export interface ContentListing {
  resource: ApiResource;
  items: readonly KubeObject[];
  /** The list failed (items is then empty and says nothing). */
  error?: string;
}

/** ContentDelete deletes one object (uid precondition: never a newer namesake). */
export interface ContentDelete {
  type: 'delete';
  resource: ApiResource;
  namespace: string;
  name: string;
  uid: string;
}

/** NamespaceAction is a write on the namespace itself. */
export type NamespaceAction =
  | { type: 'updateStatus'; phase: 'Terminating'; conditions: Condition[] }
  | { type: 'finalize'; finalizers: string[] };

/** NamespacePlan: writes in order, and when to look again (undefined: done). */
export interface NamespacePlan {
  actions: NamespaceAction[];
  requeueAfterMs?: number;
}

/** FinishInput: the namespace, the listing after this pass's deletes, what failed. */
export interface FinishInput {
  namespace: Namespace;
  listings: readonly ContentListing[];
  deleteErrors: readonly string[];
  /** Passes so far that left content behind (drives the backoff). */
  attempt: number;
  nowWall: string;
}

/** needsEmptying: marked for deletion and still carrying this controller's finalizer. */
export function needsEmptying(ns: Namespace | undefined): ns is Namespace {
  if (ns === undefined || ns.metadata.deletionTimestamp === undefined) return false;
  return (ns.spec?.finalizers ?? []).includes(FINALIZER_KUBERNETES);
}

/** planContentDeletes: every listed object not already being deleted. */
export function planContentDeletes(namespace: string, listings: readonly ContentListing[]):
  ContentDelete[] {
  const out: ContentDelete[] = [];
  for (const l of listings) {
    for (const item of l.items) {
      if (item.metadata.deletionTimestamp !== undefined) continue;
      out.push({ type: 'delete', resource: l.resource, namespace,
        name: item.metadata.name ?? '', uid: item.metadata.uid ?? '' });
    }
  }
  return out;
}

/** tally counts what remains per resource and per finalizer, and collects the errors. */
export function tally(listings: readonly ContentListing[], deleteErrors: readonly string[]):
  ContentTally {
  const remaining = new Map<string, number>();
  const finalizers = new Map<string, number>();
  const errors = [...deleteErrors];
  for (const l of listings) {
    if (l.error !== undefined) errors.push(l.error);
    if (l.items.length > 0) remaining.set(`${l.resource.resource}.${l.resource.group}`,
      l.items.length);
    for (const item of l.items) {
      for (const f of item.metadata.finalizers ?? []) {
        finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      }
    }
  }
  return { remaining, finalizers, errors };
}

/** planNamespaceFinish: conditions (when changed), then finalize when empty, else a requeue. */
export function planNamespaceFinish(i: FinishInput): NamespacePlan {
  assert(i.attempt >= 0, 'namespace: negative attempt');
  if (!needsEmptying(i.namespace)) return { actions: [] };
  const t = tally(i.listings, i.deleteErrors);
  const current = i.namespace.status?.conditions ?? [];
  const conditions = deletionConditions(current, t, i.nowWall);
  const actions: NamespaceAction[] = [];
  const changed = JSON.stringify(conditions) !== JSON.stringify(current);
  if (changed || i.namespace.status?.phase !== 'Terminating') {
    actions.push({ type: 'updateStatus', phase: 'Terminating', conditions });
  }
  const empty = t.remaining.size === 0 && t.errors.length === 0;
  if (!empty) return { actions, requeueAfterMs: backoffMs(i.attempt) };
  const finalizers = (i.namespace.spec?.finalizers ?? []).filter((f) => f !== FINALIZER_KUBERNETES);
  actions.push({ type: 'finalize', finalizers });
  return { actions };
}

/** backoffMs doubles from REQUEUE_BASE_MS per attempt, capped at REQUEUE_MAX_MS. */
export function backoffMs(attempt: number): number {
  return Math.min(REQUEUE_MAX_MS, REQUEUE_BASE_MS * 2 ** Math.min(attempt, 16));
}
