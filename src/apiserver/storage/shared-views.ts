/**
 * One event, many watchers: the watch cache hands every watcher of an event the same cached
 * object, so what each watcher derives from it — the typed object, its JSON — is computed once
 * and shared by identity instead of once per watcher. Watchers of one event are served within
 * the same turn of the event loop, so a small memo of the most recent objects catches them; it
 * is bounded, and it never keeps an object alive for longer than MEMO_ENTRIES newer ones.
 *
 * Shared values must never be changed: the cache's objects are immutable by contract (see
 * WatchCache.peek), and so are these views of them.
 *
 * An object decoded from a stored value remembers those bytes (rememberStored), and so does a
 * view of it that encodes to the same JSON members (shareStored): its JSON bytes are then the
 * stored bytes with its resourceVersion spliced in (stored-json.ts), not a JSON.stringify.
 */
import { jsonWithRevision, jsonWithRevisionWithoutManagedFields } from './stored-json.js';

/** Objects remembered per memo (events of one batch × the views each needs, with room). */
const MEMO_ENTRIES = 256;

/** RecentMemo maps recently seen objects to a value derived from them, oldest evicted first. */
export class RecentMemo<V> {
  private readonly entries = new Map<object, V>();

  constructor(private readonly capacity = MEMO_ENTRIES) {}

  /** get returns make(key)'s value, computed once while key stays among the recent ones. */
  get(key: object, make: (key: object) => V): V {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const value = make(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return value;
  }
}

const objectJson = new RecentMemo<string>();
const objectJsonBytes = new RecentMemo<Buffer>();
const leanJsonBytes = new RecentMemo<Buffer>();
/** The stored value each decoded object (or view of one) came from; entries go with objects. */
const storedValues = new WeakMap<object, Buffer>();

/** rememberStored records that obj is decodeObject(value, <its resourceVersion>); value must
 *  not change afterwards (a copy, not a view into a response that is reused). */
export function rememberStored(obj: object, value: Buffer): void {
  storedValues.set(obj, value);
}

/** storedValueOf: the stored value obj was decoded from, if remembered. */
export function storedValueOf(obj: object): Buffer | undefined {
  return storedValues.get(obj);
}

/** shareStored lets view (the same JSON members as source, in any order, with the same
 *  metadata object) encode from source's stored value too. */
export function shareStored(view: object, source: object): void {
  const value = storedValues.get(source);
  if (value !== undefined) storedValues.set(view, value);
}

/** sharedJson is JSON.stringify(obj), computed once for all watchers of the same object. */
export function sharedJson(obj: object): string {
  return objectJson.get(obj, stringify);
}

/** sharedJsonBytes is sharedJson(obj) as UTF-8 bytes, shared the same way (never change them). */
export function sharedJsonBytes(obj: object): Buffer {
  return objectJsonBytes.get(obj, utf8Json);
}

/** sharedJsonBytesWithoutManagedFields is sharedJsonBytes(withoutManagedFields(obj)), shared
 *  the same way by every watcher that asked for objects without managedFields. */
export function sharedJsonBytesWithoutManagedFields(obj: object): Buffer {
  return leanJsonBytes.get(obj, leanShared);
}

/**
 * withoutManagedFields is obj as JSON would show it without metadata.managedFields: obj itself
 * when it has none, else a shallow copy with a metadata copy that lacks the key. The key is
 * never read (a cached object parses it when read, codec.ts), and obj is not changed.
 */
export function withoutManagedFields(obj: object): object {
  if (!hasManagedFields(obj)) return obj;
  const m = (obj as { metadata: object }).metadata;
  const meta: Record<string, unknown> = {};
  for (const k of Object.keys(m)) {
    if (k === 'managedFields') continue;
    const v = (m as Record<string, unknown>)[k];
    // An own "__proto__" member (JSON.parse makes one) stays a member, not a prototype.
    if (k === '__proto__') Object.defineProperty(meta, k, { value: v, writable: true, enumerable: true, configurable: true });
    else meta[k] = v;
  }
  return { ...obj, metadata: meta };
}

/** hasManagedFields: obj's metadata has the key (its value is not read). */
function hasManagedFields(obj: object): boolean {
  const m = (obj as { metadata?: unknown }).metadata;
  return typeof m === 'object' && m !== null && Object.hasOwn(m, 'managedFields');
}

/** A watch's lean bytes of an object without managedFields are its shared bytes. */
function leanShared(obj: object): Buffer {
  return leanUtf8Json(obj, sharedJsonBytes);
}

function stringify(obj: object): string {
  return JSON.stringify(obj);
}

/** jsonBytesOf is JSON.stringify(obj) as UTF-8 bytes for one use (a write's answer): from the
 *  stored value obj remembers, when it does, else encoded. Not memoized. */
export function jsonBytesOf(obj: object): Buffer {
  return utf8Json(obj);
}

/** jsonBytesWithoutManagedFieldsOf is jsonBytesOf(withoutManagedFields(obj)), not memoized (a
 *  write's answer to a writer that asked for none). */
export function jsonBytesWithoutManagedFieldsOf(obj: object): Buffer {
  return leanUtf8Json(obj, utf8Json);
}

/** utf8Json prefers the stored bytes (with the object's resourceVersion written in) to encoding
 *  the object: the same JSON (byte for byte, for a cached object encodeObject wrote). */
function utf8Json(obj: object): Buffer {
  return fromStored(obj, jsonWithRevision) ?? Buffer.from(sharedJson(obj), 'utf8');
}

/** fromStored is splice(the stored value obj was decoded from, obj's resourceVersion): its JSON
 *  from the stored bytes; undefined when obj remembers none or splice cannot lay them out. */
function fromStored(
  obj: object,
  splice: (stored: Buffer, rv: string) => Buffer | undefined,
): Buffer | undefined {
  const value = storedValues.get(obj);
  const rv = (obj as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
  return value !== undefined && typeof rv === 'string' ? splice(value, rv) : undefined;
}

/** leanUtf8Json is utf8Json(withoutManagedFields(obj)): from the stored bytes with the member
 *  cut out when obj remembers them, else encoded; whole(obj) when it has no managedFields. */
function leanUtf8Json(obj: object, whole: (obj: object) => Buffer): Buffer {
  if (!hasManagedFields(obj)) return whole(obj);
  return fromStored(obj, jsonWithRevisionWithoutManagedFields) ??
    Buffer.from(JSON.stringify(withoutManagedFields(obj)), 'utf8');
}
