/**
 * JSON helpers shared by the patch engines: deep equality with JSON semantics and copies. Every
 * patch function returns new objects and never mutates its inputs, because the inputs are often
 * objects held by the watch cache or the store client, which other readers still see.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../meta.js';

/** jsonEqual compares two JSON values structurally (key order does not matter, list order does). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  // Plain loops: this runs over whole objects on every write (managedFields bookkeeping), and
  // for-in rather than Object.keys, which built two key arrays per object compared (JSON
  // objects have no enumerable inherited keys, so for-in sees exactly the own ones).
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    let defined = 0;
    for (const k in a) {
      const v = a[k];
      if (v === undefined) continue;
      defined++;
      if (!Object.hasOwn(b, k) || !jsonEqual(v, b[k])) return false;
    }
    return defined === definedCount(b);
  }
  return false;
}

/** definedCount: how many keys of o hold a value (undefined ones are absent in JSON). */
function definedCount(o: JsonObject): number {
  let n = 0;
  for (const k in o) if (o[k] !== undefined) n++;
  return n;
}

/**
 * cloneJson deep-copies a JSON value so callers may edit the copy freely: what structuredClone
 * gives for plain data (objects with Object's prototype, dense arrays, primitives), copied by a
 * plain walk instead, which is ~7x cheaper (a Running pod: 21 -> 3 us; structuredClone
 * serializes the whole value to a buffer and reads it back). Anything else — another prototype,
 * a sparse array, a value nested deeper than CLONE_DEPTH_MAX (a cycle) — is left to
 * structuredClone, which also throws for what it cannot copy (functions, symbols) as before.
 */
export function cloneJson<T>(v: T): T {
  const out = cloneValue(v, 0);
  return (out === NOT_PLAIN ? structuredClone(v) : out) as T;
}

/** Beyond this depth a value is handed to structuredClone whole (JSON is never this deep). */
const CLONE_DEPTH_MAX = 512;

/** NOT_PLAIN: cloneValue met something its walk does not copy as structuredClone would. */
const NOT_PLAIN: unique symbol = Symbol('not plain JSON');

function cloneValue(v: unknown, depth: number): unknown {
  if (typeof v !== 'object') return typeof v === 'function' || typeof v === 'symbol' ? NOT_PLAIN : v;
  if (v === null) return v;
  if (depth > CLONE_DEPTH_MAX) return NOT_PLAIN;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return NOT_PLAIN;
    const n = v.length;
    const out: unknown[] = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      if (!(i in v)) return NOT_PLAIN; // a hole: structuredClone keeps it one
      const c = cloneValue(v[i], depth + 1);
      if (c === NOT_PLAIN) return c;
      out[i] = c;
    }
    return out;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return NOT_PLAIN;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const c = cloneValue(o[k], depth + 1);
    if (c === NOT_PLAIN) return c;
    // An own "__proto__" (JSON.parse makes one) must stay a member, not set the prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: c, writable: true, enumerable: true, configurable: true });
    else out[k] = c;
  }
  return out;
}

/** kindOf names a JSON value's type the way error messages and type checks need it. */
export function kindOf(v: JsonValue | undefined): 'object' | 'array' | 'null' | 'scalar' | 'none' {
  if (v === undefined) return 'none';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return isJsonObject(v) ? 'object' : 'scalar';
}
