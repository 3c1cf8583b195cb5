/**
 * How objects sit in the store (reference/etcd-api.md §3): the value is the object's JSON without
 * metadata.resourceVersion, because the store already knows it — it is the key's mod_revision,
 * and a stored copy could only go stale. Reading sets it back. Pure functions, no I/O.
 *
 * Keys follow kube-apiserver's layout, /registry/<resource>/[<namespace>/]<name>, so a key alone
 * names the resource and the object; errors raised below the registry use that to speak
 * Kubernetes ("pods \"web\" not found").
 */
import type { GroupResource } from '../../api/errors.js';
import { apiVersionOf, isJsonObject, type KubeObject } from '../../api/meta.js';
import { RESOURCES } from '../../api/resources.js';
import { assert } from '../../base/assert.js';
import { managedFieldsSpan } from './stored-json.js';

/** encodeObject is the stored value: JSON without resourceVersion (and without undefined). */
export function encodeObject(obj: KubeObject): Buffer {
  assert(typeof obj === 'object' && obj !== null, 'encodeObject: not an object');
  // No revision to drop (a create's object, a cached one): the object as it is encodes to the
  // same JSON as the copies below, which are two objects per write.
  const m: unknown = obj.metadata;
  if (isJsonObject(m) && m.resourceVersion === undefined) {
    return Buffer.from(JSON.stringify(obj), 'utf8');
  }
  const { resourceVersion: _rv, ...meta } = obj.metadata ?? {};
  return Buffer.from(JSON.stringify({ ...obj, metadata: meta }), 'utf8');
}

/** resourceVersionOf: a stored value's mod revision as its resourceVersion (a positive u53). */
function resourceVersionOf(modRevision: number): string {
  const ok = Number.isSafeInteger(modRevision) && modRevision > 0;
  assert(ok, `decode: bad revision ${modRevision}`);
  return String(modRevision);
}

/** decodeObject reads a stored value back and stamps its revision as resourceVersion. */
export function decodeObject(value: Buffer, modRevision: number): KubeObject {
  const rv = resourceVersionOf(modRevision);
  const obj = JSON.parse(value.toString('utf8')) as KubeObject;
  assert(typeof obj === 'object' && obj !== null, 'decode: stored value is not a JSON object');
  // The parsed metadata is this call's own: the revision is set on it rather than on a copy
  // (same key order: a key already there keeps its place, a new one comes last).
  const m: unknown = obj.metadata;
  if (isJsonObject(m)) m.resourceVersion = rv;
  else obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: rv };
  return obj;
}

/**
 * decodeCachedObject is decodeObject(value, modRevision) for an object the watch cache keeps,
 * except that metadata.managedFields is parsed from value only when first read. Every API
 * server decodes every stored change of a cached resource, and managedFields is most of a pod
 * (3.8 of ~6.7 KB in a burst, two thirds of JSON.parse's time on a Running pod) while hardly
 * anything reads it from the cache: watchers and lists get the stored bytes (shared-views.ts)
 * and writes decode their own copy from the stored value (EtcdStorage.guaranteedUpdate).
 *
 * The result is indistinguishable as data: managedFields is an enumerable own property in the
 * same place (an accessor until read, then the parsed value), so JSON.stringify, spreads,
 * cloneJson, structuredClone and deep equality see what decodeObject gives. value must not
 * change afterwards (the watch cache's own copy). Values managedFieldsSpan does not lay out
 * (no managedFields, non-compact JSON, see there) are decoded whole.
 */
export function decodeCachedObject(value: Buffer, modRevision: number): KubeObject {
  const span = managedFieldsSpan(value);
  if (span === undefined) return decodeObject(value, modRevision);
  const rv = resourceVersionOf(modRevision);
  // A placeholder in the value's place keeps managedFields where it is among metadata's keys
  // (JSON.parse's order); the accessor then takes that place.
  const { valueStart, valueEnd } = span;
  const text = `${value.toString('utf8', 0, valueStart)}0${value.toString('utf8', valueEnd)}`;
  const obj = JSON.parse(text) as KubeObject;
  const parsed: unknown = obj.metadata;
  assert(isJsonObject(parsed), 'decode: metadata is not an object');
  // A new metadata object with the accessor added in the placeholder's place: turning the
  // parsed data property into an accessor would put the object in V8's dictionary mode.
  const m: Record<string, unknown> = {};
  for (const k in parsed) {
    if (k === '__proto__') return decodeObject(value, modRevision); // an own member, not a prototype
    if (k === 'managedFields') Object.defineProperty(m, k, LAZY_MANAGED_FIELDS);
    else m[k] = parsed[k];
  }
  unreadManagedFields.set(m, { value, start: valueStart, end: valueEnd });
  m.resourceVersion = rv;
  obj.metadata = m;
  return obj;
}

/** Where the managedFields of a cached object's metadata are, until they are first read. */
const unreadManagedFields = new WeakMap<object, { value: Buffer; start: number; end: number }>();

/**
 * One accessor pair for every cached object: metadata objects with the same keys then share
 * one hidden class. A pair of closures per object gave each its own, allocated in V8's old
 * space: the API servers ran 6-10 full collections in 4 bursts instead of 0-1.
 */
const LAZY_MANAGED_FIELDS: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: object): unknown {
    const at = unreadManagedFields.get(this);
    const parsed: unknown = at === undefined ? undefined : JSON.parse(at.value.toString('utf8', at.start, at.end));
    settle(this, parsed);
    return parsed;
  },
  set(this: object, v: unknown) {
    settle(this, v);
  },
};

/** settle makes managedFields the plain data property decodeObject would have made (it keeps
 *  its place among metadata's keys: redefining a property does not move it). */
function settle(meta: object, v: unknown): void {
  unreadManagedFields.delete(meta);
  Object.defineProperty(meta, 'managedFields', { value: v, writable: true, enumerable: true, configurable: true });
}

/**
 * decodeOrSkip is decodeObject for a watch's stream of stored values: a value that does not
 * decode is reported through say ("skipping undecodable <key>: why") and skipped (undefined)
 * instead of ending the watch, as upstream's watchers skip what they cannot decode.
 */
export function decodeOrSkip(value: Buffer, modRevision: number, key: Buffer,
  say: (line: string) => void, decode = decodeObject): KubeObject | undefined {
  try {
    return decode(value, modRevision);
  } catch (e) {
    say(`skipping undecodable ${key.toString('utf8')}: ${(e as Error).message}`);
    return undefined;
  }
}

/** withResourceVersion returns obj with metadata.resourceVersion = rev (a shallow copy). */
export function withResourceVersion(obj: KubeObject, rev: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
}

/** KeyInfo is what a store key says about its object, for error messages. */
export interface KeyInfo {
  gr: GroupResource;
  name: string;
}

/** keyInfo: "/registry/deployments/ns/web" → {gr: deployments.apps, name: "web"}. Keys outside
 *  the layout still get a name (the last segment) and their second segment as resource. */
export function keyInfo(key: string): KeyInfo {
  const parts = key.split('/').filter((p) => p !== '');
  const resource = parts.length >= 2 ? (parts[1] ?? '') : (parts[0] ?? '');
  const name = parts[parts.length - 1] ?? '';
  const r = RESOURCES.find((x) => x.resource === resource);
  return { gr: { group: r?.group ?? '', resource }, name };
}

/** ObjectType is what BOOKMARK objects carry: {kind, apiVersion}. */
export interface ObjectType {
  kind: string;
  apiVersion: string;
}

/** typeOfPrefix finds the kind stored under "/registry/<resource>/" in the resource table. */
export function typeOfPrefix(prefix: string): ObjectType | undefined {
  const { gr } = keyInfo(`${prefix}x`);
  const r = RESOURCES.find((x) => x.resource === gr.resource);
  return r ? { kind: r.kind, apiVersion: apiVersionOf(r.group, r.version) } : undefined;
}

/**
 * resourcePrefixOf maps any list prefix to its resource's prefix, the unit of one watch cache:
 * "/registry/pods/default/" → "/registry/pods/". Prefixes with fewer segments stay as given.
 */
export function resourcePrefixOf(prefix: string): string {
  const m = /^\/[^/]+\/[^/]+\//.exec(prefix);
  return m ? m[0] : prefix;
}

/** parseRevision reads a resourceVersion; undefined for ""/undefined. */
export function parseRevision(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d{1,16}$/.test(rv) || !Number.isSafeInteger(Number(rv))) return NaN;
  return Number(rv);
}
