/**
 * The garbage collector's decisions, pure (upstream's attemptToDeleteItem,
 * processDeletingDependentsItem and attemptToOrphan, in one smaller form). An object is looked
 * at in one of two roles:
 * - as a dependent (not being deleted, with ownerReferences): each owner is solid (exists),
 *   waiting (being deleted in the foreground), or dangling (gone). Nothing counts as gone on the
 *   cache's word alone — the cache may lag a re-created owner — so an owner the cache does not
 *   show with the referenced uid must first be confirmed by a live read (verifyOwners). With a
 *   solid owner left, only the dangling and waiting references are dropped; with none, the
 *   dependent is deleted.
 * - as an owner being deleted: "orphan" strips the references to it from its dependents, then
 *   its finalizer; "foregroundDeletion" has its dependents deleted and drops its finalizer once
 *   no dependent that blocks owner deletion is left.
 * Every write carries the uid and resourceVersion the plan saw, so a decision taken on an old
 * view fails with a Conflict instead of acting on a newer object.
 */
import type { KubeObject, OwnerReference } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import {
  gcKey,
  ownerRefsOf,
  resolveOwner,
  sameCoordinates,
  type Coordinates,
  type GcKey,
  type OwnerResolution,
} from './refs.js';

/** ORPHAN_FINALIZER: the owner waits until its dependents no longer reference it. */
export const ORPHAN_FINALIZER = 'orphan';
/** FOREGROUND_FINALIZER: the owner waits until its blocking dependents are gone. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** ORPHAN_BATCH_MAX bounds the dependents one sync patches; the rest wait for a requeue. */
export const ORPHAN_BATCH_MAX = 500;
/** ORPHAN_REQUEUE_MS: how soon an owner with more dependents than one batch is looked at again. */
export const ORPHAN_REQUEUE_MS = 500;

/** Target is an object a write is aimed at, as the plan saw it (the write's preconditions). */
export interface Target {
  at: Coordinates;
  uid: string;
  resourceVersion: string;
}

/** Propagation is the deletion propagation policy of a delete the collector sends. */
export type Propagation = 'Background' | 'Foreground' | 'Orphan';

/**
 * GcAction is one thing the shell does, in list order. verifyOwners is not a write: it asks the
 * shell to read those owners live and plan again with the answers (at most once per sync).
 */
export type GcAction =
  | { type: 'verifyOwners'; refs: OwnerReference[] }
  | { type: 'delete'; target: Target; policy: Propagation }
  | { type: 'removeOwnerRefs'; target: Target; ownerUids: string[]; remaining: OwnerReference[] }
  | { type: 'removeFinalizer'; target: Target; finalizer: string; remaining: string[] }
  | { type: 'enqueue'; keys: GcKey[] }
  | { type: 'requeue'; afterMs: number }
  | { type: 'event'; regarding: KubeObject; reason: string; message: string };

/** OwnerObservation is what is known about one ownerReference of a dependent. */
export interface OwnerObservation {
  ref: OwnerReference;
  resolution: OwnerResolution;
  /** The cached object at the owner's coordinates (whatever its uid), if the cache has one. */
  cached?: KubeObject | undefined;
  /** A live read of those coordinates: the object, null for NotFound, undefined: not read. */
  live?: KubeObject | null | undefined;
}

/** OwnerState classifies one reference (upstream's solid / dangling / waitingForDependents). */
export type OwnerState =
  | 'solid'
  | 'waiting'
  | 'dangling'
  | 'unverified'
  | 'unknownKind'
  | 'invalid';

/** DependentInput: one object seen as a dependent. */
export interface DependentInput {
  at: Coordinates;
  obj: KubeObject;
  /** One per ownerReference, in the object's order. */
  owners: OwnerObservation[];
  /** Does anything in the cache name obj as its owner? (Foreground then, so they go first.) */
  hasDependents: boolean;
}

/** DependentOf is a cached object that names some owner's uid in its ownerReferences. */
export interface DependentOf {
  at: Coordinates;
  obj: KubeObject;
}

/** OwnerInput: one object seen as an owner; dependents come from the uid index. */
export interface OwnerInput {
  at: Coordinates;
  obj: KubeObject;
  dependents: DependentOf[];
  /** Bound on patches per sync (default ORPHAN_BATCH_MAX). */
  batchMax?: number;
}

/** targetOf takes a write's preconditions from the object the decision was made on. */
export function targetOf(at: Coordinates, obj: KubeObject): Target {
  const { uid, resourceVersion } = obj.metadata;
  assert(uid !== undefined && uid !== '', `object ${at.name} without uid`);
  assert(resourceVersion !== undefined && resourceVersion !== '', `object ${at.name} without rv`);
  return { at, uid, resourceVersion };
}

/** hasFinalizer: is f among obj's finalizers? */
export function hasFinalizer(obj: KubeObject, f: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(f);
}

/** isDeleting: has obj's deletion started (deletionTimestamp set)? */
export function isDeleting(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

/** isWaitingForDependents: obj is being deleted in the foreground (upstream's
 *  isDeletingDependents): it stays until its blocking dependents are gone. */
export function isWaitingForDependents(obj: KubeObject): boolean {
  return isDeleting(obj) && hasFinalizer(obj, FOREGROUND_FINALIZER);
}

function stateOf(owner: KubeObject): OwnerState {
  return isWaitingForDependents(owner) ? 'waiting' : 'solid';
}

/**
 * classifyOwner: the cache is trusted only to say an owner EXISTS (the referenced uid is
 * cached). Absence, or another uid under the name, is believed only from a live read: the
 * cache may not yet have seen a create, and a same-named object may be older or newer.
 */
export function classifyOwner(o: OwnerObservation): OwnerState {
  if (o.resolution.kind === 'invalidScope') return 'invalid';
  if (o.resolution.kind === 'unknownKind') return 'unknownKind';
  if (o.cached !== undefined && o.cached.metadata.uid === o.ref.uid) return stateOf(o.cached);
  if (o.live === undefined) return 'unverified';
  if (o.live === null || o.live.metadata.uid !== o.ref.uid) return 'dangling';
  return stateOf(o.live);
}

/** planDependent decides what happens to one dependent. */
export function planDependent(d: DependentInput): GcAction[] {
  if (isDeleting(d.obj) || d.owners.length === 0) return [];
  const states = d.owners.map((o) => ({ ref: o.ref, state: classifyOwner(o) }));
  const invalid = states.filter((s) => s.state === 'invalid');
  if (invalid.length > 0) {
    // Retrying cannot fix a cluster-scoped object naming a namespaced owner: report, keep it.
    const names = invalid.map((s) => `${s.ref.kind}/${s.ref.name}`).join(', ');
    return [{
      type: 'event',
      regarding: d.obj,
      reason: 'OwnerRefInvalidNamespace',
      message: `a cluster-scoped object cannot be owned by namespaced ${names}; not collected`,
    }];
  }
  const unverified = states.filter((s) => s.state === 'unverified').map((s) => s.ref);
  if (unverified.length > 0) return [{ type: 'verifyOwners', refs: unverified }];
  const alive = states.filter((s) => s.state === 'solid' || s.state === 'unknownKind');
  const drop = states.filter((s) => s.state === 'dangling' || s.state === 'waiting');
  const target = targetOf(d.at, d.obj);
  if (alive.length > 0) {
    if (drop.length === 0) return [];
    const ownerUids = unique(drop.map((s) => s.ref.uid));
    const remaining = ownerRefsOf(d.obj).filter((r) => !ownerUids.includes(r.uid));
    return [{ type: 'removeOwnerRefs', target, ownerUids, remaining }];
  }
  if (states.some((s) => s.state === 'waiting') && d.hasDependents) {
    return [{ type: 'delete', target, policy: 'Foreground' }];
  }
  return [{ type: 'delete', target, policy: ownPolicy(d.obj) }];
}

/** ownPolicy keeps a dependent's own requested propagation (its finalizers), as upstream. */
function ownPolicy(obj: KubeObject): Propagation {
  if (hasFinalizer(obj, ORPHAN_FINALIZER)) return 'Orphan';
  if (hasFinalizer(obj, FOREGROUND_FINALIZER)) return 'Foreground';
  return 'Background';
}

/**
 * refsTo: dep's references that really point at the owner: the owner's uid AND, resolved from
 * dep's namespace, the owner's coordinates (a same-uid reference from another namespace points
 * at a different, absent object and is that dependent's own dangling reference).
 */
export function refsTo(dep: DependentOf, owner: Coordinates, ownerUid: string): OwnerReference[] {
  return ownerRefsOf(dep.obj).filter((r) => {
    if (r.uid !== ownerUid) return false;
    const res = resolveOwner(dep.at.namespace, r);
    return res.kind === 'at' && sameCoordinates(res.at, owner);
  });
}

/** planOwner decides what an owner being deleted needs from the collector. */
export function planOwner(o: OwnerInput): GcAction[] {
  if (!isDeleting(o.obj)) return [];
  const uid = o.obj.metadata.uid ?? '';
  const deps = o.dependents.filter((d) => refsTo(d, o.at, uid).length > 0);
  const actions: GcAction[] = [];
  if (hasFinalizer(o.obj, ORPHAN_FINALIZER)) actions.push(...planOrphan(o, deps, uid));
  if (hasFinalizer(o.obj, FOREGROUND_FINALIZER)) actions.push(...planForeground(o, deps, uid));
  return actions;
}

function planOrphan(o: OwnerInput, deps: DependentOf[], uid: string): GcAction[] {
  const batchMax = o.batchMax ?? ORPHAN_BATCH_MAX;
  assert(batchMax > 0, 'batchMax must be positive');
  const actions: GcAction[] = deps.slice(0, batchMax).map((d) => ({
    type: 'removeOwnerRefs',
    target: targetOf(d.at, d.obj),
    ownerUids: [uid],
    remaining: ownerRefsOf(d.obj).filter((r) => r.uid !== uid),
  }));
  if (deps.length > batchMax) actions.push({ type: 'requeue', afterMs: ORPHAN_REQUEUE_MS });
  else actions.push(removeFinalizerAction(o, ORPHAN_FINALIZER));
  return actions;
}

function planForeground(o: OwnerInput, deps: DependentOf[], uid: string): GcAction[] {
  const actions: GcAction[] = [];
  // Each dependent decides in its own sync (it may have other, solid owners).
  const keys = deps.filter((d) => !isDeleting(d.obj)).map((d) => gcKey(d.at));
  if (keys.length > 0) actions.push({ type: 'enqueue', keys });
  const blocking = deps.filter((d) =>
    refsTo(d, o.at, uid).some((r) => r.blockOwnerDeletion === true));
  if (blocking.length === 0) actions.push(removeFinalizerAction(o, FOREGROUND_FINALIZER));
  return actions;
}

function removeFinalizerAction(o: OwnerInput, finalizer: string): GcAction {
  const remaining = (o.obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return { type: 'removeFinalizer', target: targetOf(o.at, o.obj), finalizer, remaining };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
