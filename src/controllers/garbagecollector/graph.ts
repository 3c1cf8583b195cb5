/**
 * The owner → dependents graph, kept inside the shared informers instead of beside them: each
 * informer gets one index from owner uid to the keys of the objects naming it, so "who depends
 * on X" is a map lookup per resource and the graph costs a set of keys per owner, never a copy
 * of an object (the informers already hold every object once; upstream's GC keeps a second,
 * node-per-object graph). Owners are found by their coordinates in the owning resource's cache.
 * Reads only: nothing here writes to the caches or the API.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import { assert } from '../../base/assert.js';
import type { Informer } from '../../client/cache/types.js';
import { isWaitingForDependents, type DependentOf, type OwnerObservation } from './plan.js';
import {
  gcKey,
  gcKeyOf,
  ownerRefsOf,
  resolveOwner,
  type Coordinates,
  type GcKey,
} from './refs.js';

/** OWNER_UID_INDEX: the garbage collector's index, owner uid → dependents, on every informer. */
export const OWNER_UID_INDEX = 'garbagecollector/owner-uid';

/** ownerUidIndexFunc indexes an object under the uid of each owner it names. */
export function ownerUidIndexFunc(obj: KubeObject): string[] {
  const refs = ownerRefsOf(obj);
  if (refs.length === 0) return [];
  return refs.map((r) => r.uid);
}

/** WatchedResource is one resource the collector watches and its informer. */
export interface WatchedResource {
  info: ResourceInfo;
  informer: Informer<KubeObject>;
}

/** GcGraph answers the collector's questions from the informers' caches. */
export class GcGraph {
  private readonly byPlural = new Map<string, WatchedResource>();

  constructor(watched: readonly WatchedResource[]) {
    for (const w of watched) {
      assert(!this.byPlural.has(w.info.resource), `resource ${w.info.resource} watched twice`);
      this.byPlural.set(w.info.resource, w);
    }
  }

  /** cached: the object the cache holds at c (any uid), or undefined. */
  cached(c: Coordinates): KubeObject | undefined {
    const w = this.byPlural.get(c.resource.resource);
    return w?.informer.lister.get(c.namespace, c.name);
  }

  /** coordinatesOf: where a cached object of resource info lives. */
  coordinatesOf(info: ResourceInfo, obj: KubeObject): Coordinates {
    const name = obj.metadata.name ?? '';
    const namespace = info.namespaced ? obj.metadata.namespace : undefined;
    return { resource: info, namespace, name };
  }

  /** dependentsOf: every cached object naming uid among its owners (any resource). */
  dependentsOf(uid: string): DependentOf[] {
    const out: DependentOf[] = [];
    for (const w of this.byPlural.values()) {
      for (const obj of w.informer.lister.byIndex(OWNER_UID_INDEX, uid)) {
        out.push({ at: this.coordinatesOf(w.info, obj), obj });
      }
    }
    return out;
  }

  /** dependentKeys: queue keys of dependentsOf(uid). */
  dependentKeys(uid: string): GcKey[] {
    const out: GcKey[] = [];
    for (const w of this.byPlural.values()) {
      for (const obj of w.informer.lister.byIndex(OWNER_UID_INDEX, uid)) {
        out.push(gcKeyOf(w.info, obj));
      }
    }
    return out;
  }

  /** hasDependents: does any cached object name uid as an owner? */
  hasDependents(uid: string): boolean {
    for (const w of this.byPlural.values()) {
      if (w.informer.lister.byIndex(OWNER_UID_INDEX, uid).length > 0) return true;
    }
    return false;
  }

  /** observeOwners: each of obj's ownerReferences, resolved, with the cache's view of it. */
  observeOwners(at: Coordinates, obj: KubeObject): OwnerObservation[] {
    return ownerRefsOf(obj).map((ref) => {
      const resolution = resolveOwner(at.namespace, ref);
      const cached = resolution.kind === 'at' ? this.cached(resolution.at) : undefined;
      return { ref, resolution, cached };
    });
  }

  /**
   * waitingOwnerKeys: queue keys of the owners obj names that the cache shows waiting for
   * their dependents (foreground deletion) — the only owners a dependent's change or removal
   * can unblock. Ordinary owners are not woken by their pods' churn.
   */
  waitingOwnerKeys(info: ResourceInfo, obj: KubeObject): GcKey[] {
    const ns = info.namespaced ? obj.metadata.namespace : undefined;
    const out: GcKey[] = [];
    for (const ref of ownerRefsOf(obj)) {
      const res = resolveOwner(ns, ref);
      if (res.kind !== 'at') continue;
      const owner = this.cached(res.at);
      if (owner?.metadata.uid === ref.uid && isWaitingForDependents(owner)) out.push(gcKey(res.at));
    }
    return out;
  }
}
