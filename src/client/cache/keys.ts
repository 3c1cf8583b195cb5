/**
 * Object keys (client-go's MetaNamespaceKeyFunc / SplitMetaNamespaceKey): workqueues carry keys,
 * never objects, so a worker always re-reads the newest cached state (level-triggered).
 */
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { ObjectKey } from './types.js';

/** keyOf returns "<namespace>/<name>", or "<name>" for a cluster-scoped object. */
export function keyOf(obj: KubeObject): ObjectKey {
  const name = obj.metadata.name;
  assert(name !== undefined && name !== '', 'keyOf: object without metadata.name');
  const ns = obj.metadata.namespace;
  return ns !== undefined && ns !== '' ? `${ns}/${name}` : name;
}

/** keyFor builds the key of a namespace (undefined/"" for cluster-scoped) and name. */
export function keyFor(namespace: string | undefined, name: string): ObjectKey {
  return namespace !== undefined && namespace !== '' ? `${namespace}/${name}` : name;
}

/** SplitKey is a key's parts; namespace is undefined for cluster-scoped objects. */
export interface SplitKey {
  namespace: string | undefined;
  name: string;
}

/** splitKey parses a key made by keyOf; a malformed key is a programmer error. */
export function splitKey(key: ObjectKey): SplitKey {
  const parts = key.split('/');
  assert(parts.length <= 2 && parts.every((p) => p !== ''), `malformed object key "${key}"`);
  if (parts.length === 2) return { namespace: parts[0], name: parts[1]! };
  return { namespace: undefined, name: parts[0]! };
}
