/**
 * Where an ownerReference points, and how the garbage collector names objects in its queue.
 * An ownerReference carries apiVersion, kind, name and uid but no namespace: a namespaced owner
 * is always in its dependent's namespace, a cluster-scoped owner has none, and a cluster-scoped
 * dependent cannot have a namespaced owner at all (upstream rejects such a reference as
 * invalid instead of guessing a namespace). Pure: the resource table is the only input.
 */
import type { KubeObject, OwnerReference } from '../../api/meta.js';
import { apiVersionOf } from '../../api/meta.js';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { assert } from '../../base/assert.js';
import { keyFor, splitKey } from '../../client/cache/keys.js';

/** Coordinates locate one object: its resource, namespace (undefined: cluster-scoped), name. */
export interface Coordinates {
  resource: ResourceInfo;
  namespace: string | undefined;
  name: string;
}

/**
 * OwnerResolution: where a reference points ("at"), or why it points nowhere we can look:
 * "unknownKind" (apiVersion/kind not served: nothing to check, so never treated as gone) or
 * "invalidScope" (a cluster-scoped dependent naming a namespaced owner kind).
 */
export type OwnerResolution =
  | { kind: 'at'; at: Coordinates }
  | { kind: 'unknownKind' }
  | { kind: 'invalidScope' };

/** BY_KIND: the resource table by "apiVersion|kind" (every dependent's sync resolves owners). */
const BY_KIND: ReadonlyMap<string, ResourceInfo> = new Map(
  RESOURCES.map((r) => [`${apiVersionOf(r.group, r.version)}|${r.kind}`, r]),
);

/** resolveOwner finds where ref points for a dependent in dependentNamespace. */
export function resolveOwner(
  dependentNamespace: string | undefined,
  ref: OwnerReference,
): OwnerResolution {
  const resource = BY_KIND.get(`${ref.apiVersion}|${ref.kind}`);
  if (resource === undefined) return { kind: 'unknownKind' };
  if (!resource.namespaced) {
    return { kind: 'at', at: { resource, namespace: undefined, name: ref.name } };
  }
  const ns = dependentNamespace === '' ? undefined : dependentNamespace;
  if (ns === undefined) return { kind: 'invalidScope' };
  return { kind: 'at', at: { resource, namespace: ns, name: ref.name } };
}

const BY_PLURAL: ReadonlyMap<string, ResourceInfo> = new Map(RESOURCES.map((r) => [r.resource, r]));

/** GcKey is a queue key: "<resource plural>/<namespace>/<name>" or "<plural>/<name>"; plurals
 *  are unique across served groups (storagePrefix relies on the same fact). */
export type GcKey = string;

/** gcKey names the object at c in the queue. */
export function gcKey(c: Coordinates): GcKey {
  return `${c.resource.resource}/${keyFor(c.namespace, c.name)}`;
}

/** gcKeyOf names a cached object of resource r in the queue. */
export function gcKeyOf(r: ResourceInfo, obj: KubeObject): GcKey {
  const name = obj.metadata.name;
  assert(name !== undefined && name !== '', 'gcKeyOf: object without a name');
  return gcKey({ resource: r, namespace: r.namespaced ? obj.metadata.namespace : undefined, name });
}

/** parseGcKey inverts gcKey; a key we did not make is a programmer error. */
export function parseGcKey(key: GcKey): Coordinates {
  const slash = key.indexOf('/');
  assert(slash > 0, `malformed garbage collector key "${key}"`);
  const resource = BY_PLURAL.get(key.slice(0, slash));
  assert(resource !== undefined, `garbage collector key of an unknown resource "${key}"`);
  const { namespace, name } = splitKey(key.slice(slash + 1));
  assert((namespace !== undefined) === resource.namespaced, `key "${key}" has the wrong scope`);
  return { resource, namespace, name };
}

/** sameCoordinates compares two locations. */
export function sameCoordinates(a: Coordinates, b: Coordinates): boolean {
  return a.resource === b.resource && a.namespace === b.namespace && a.name === b.name;
}

/** ownerRefsOf returns obj's ownerReferences (the cached array: read it, never mutate it). */
export function ownerRefsOf(obj: KubeObject): readonly OwnerReference[] {
  return obj.metadata.ownerReferences ?? [];
}

/** sameOwnerRefs: do two versions of an object name the same owners the same way? (uid,
 *  coordinates and blockOwnerDeletion: what the graph and a foreground owner depend on). */
export function sameOwnerRefs(a: readonly OwnerReference[], b: readonly OwnerReference[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    const sameBlock = (x.blockOwnerDeletion === true) === (y.blockOwnerDeletion === true);
    return x.uid === y.uid && x.name === y.name && x.kind === y.kind &&
      x.apiVersion === y.apiVersion && sameBlock;
  });
}
