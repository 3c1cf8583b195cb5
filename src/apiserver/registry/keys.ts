/**
 * Store keys of API objects (reference/etcd-api.md §3): /registry/<resource>/<namespace>/<name>
 * for namespaced objects, /registry/<resource>/<name> for cluster-scoped ones. Names and
 * namespaces are validated DNS names before they reach here, so "/" and ".." cannot occur; the
 * assertion keeps it that way.
 */
import { assert } from '../../base/assert.js';
import { storagePrefix, type ResourceInfo } from '../../api/resources.js';

// The assertions' messages are built only when they fail: every write and read names its key,
// and a message text (a JSON string of each segment) built per call was built for nothing.
function segment(s: string): string {
  if (s === '' || s === '.' || s === '..' || s.includes('/')) {
    assert(false, `bad key segment ${JSON.stringify(s)}`);
  }
  return s;
}

/** objectKey is the key of one object. */
export function objectKey(r: ResourceInfo, ns: string | undefined, name: string): string {
  if (!r.namespaced) return storagePrefix(r) + segment(name);
  if (ns === undefined) assert(false, `namespaced resource ${r.resource} needs a namespace`);
  return `${storagePrefix(r)}${segment(ns)}/${segment(name)}`;
}

/** listPrefix is the key prefix of a list: one namespace's objects, or all of them. */
export function listPrefix(r: ResourceInfo, ns: string | undefined): string {
  if (!r.namespaced || ns === undefined) return storagePrefix(r);
  return `${storagePrefix(r)}${segment(ns)}/`;
}
