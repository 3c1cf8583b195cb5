/**
 * Objects for the garbage collector's tests: owners and dependents with uids and
 * resourceVersions, and a tiny in-memory "world" that observes owners the way the shell does
 * (resolve the reference, look at the cache, optionally a live read).
 */
import type { KubeObject, OwnerReference } from '../../../src/api/meta.js';
import { findResource, type ResourceInfo } from '../../../src/api/resources.js';
import type {
  DependentOf,
  OwnerObservation,
} from '../../../src/controllers/garbagecollector/plan.js';
import {
  resolveOwner,
  sameCoordinates,
  type Coordinates,
} from '../../../src/controllers/garbagecollector/refs.js';

/** res looks a served resource up by plural (core or a group). */
export function res(plural: string): ResourceInfo {
  for (const [g, v] of [['', 'v1'], ['apps', 'v1'], ['batch', 'v1']] as const) {
    const r = findResource(g, v, plural);
    if (r !== undefined) return r;
  }
  throw new Error(`no resource ${plural}`);
}

/** ObjOpts: what a test varies on an object. */
export interface ObjOpts {
  ns?: string;
  uid?: string;
  rv?: string;
  owners?: OwnerReference[];
  deleting?: boolean;
  finalizers?: string[];
}

/** obj builds an object of resource plural named name. */
export function obj(plural: string, name: string, o: ObjOpts = {}): KubeObject {
  const r = res(plural);
  return {
    apiVersion: r.group === '' ? r.version : `${r.group}/${r.version}`,
    kind: r.kind,
    metadata: {
      name,
      ...(r.namespaced ? { namespace: o.ns ?? 'default' } : {}),
      uid: o.uid ?? `uid-${name}`,
      resourceVersion: o.rv ?? '7',
      ...(o.owners ? { ownerReferences: o.owners } : {}),
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
      ...(o.finalizers ? { finalizers: o.finalizers } : {}),
    },
  };
}

/** ref makes an ownerReference to owner. */
export function ref(owner: KubeObject, o: { block?: boolean; uid?: string } = {}): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata.name ?? '',
    uid: o.uid ?? owner.metadata.uid ?? '',
    ...(o.block !== undefined ? { blockOwnerDeletion: o.block } : {}),
  };
}

/** at: where a test object lives. */
export function at(x: KubeObject): Coordinates {
  const r = res(pluralOf(x));
  const namespace = r.namespaced ? x.metadata.namespace : undefined;
  return { resource: r, namespace, name: x.metadata.name ?? '' };
}

function pluralOf(x: KubeObject): string {
  const byKind: Record<string, string> = {
    ConfigMap: 'configmaps', Pod: 'pods', ReplicaSet: 'replicasets', Deployment: 'deployments',
    Node: 'nodes', Namespace: 'namespaces', Secret: 'secrets',
  };
  const p = byKind[x.kind ?? ''];
  if (p === undefined) throw new Error(`fixture has no plural for ${x.kind}`);
  return p;
}

/** World: a cache (what informers hold) and the live API (what a GET would answer). */
export class World {
  constructor(readonly cache: KubeObject[], readonly live: KubeObject[] = cache) {}

  private find(list: KubeObject[], c: Coordinates): KubeObject | undefined {
    return list.find((x) => sameCoordinates(at(x), c));
  }

  /** observe: the shell's view of dep's owners; withLive adds the live reads. */
  observe(dep: KubeObject, withLive = false): OwnerObservation[] {
    const ns = at(dep).namespace;
    return (dep.metadata.ownerReferences ?? []).map((r) => {
      const resolution = resolveOwner(ns, r);
      if (resolution.kind !== 'at') return { ref: r, resolution };
      const cached = this.find(this.cache, resolution.at);
      const live = withLive ? (this.find(this.live, resolution.at) ?? null) : undefined;
      return { ref: r, resolution, cached, live };
    });
  }

  /** dependentsOf: cached objects naming uid (the owner-uid index). */
  dependentsOf(uid: string): DependentOf[] {
    return this.cache
      .filter((x) => (x.metadata.ownerReferences ?? []).some((r) => r.uid === uid))
      .map((x) => ({ at: at(x), obj: x }));
  }
}
