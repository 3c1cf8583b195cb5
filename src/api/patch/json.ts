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

/** cloneJson deep-copies a JSON value so callers may edit the copy freely. */
export function cloneJson<T extends JsonValue | JsonObject>(v: T): T {
  return structuredClone(v);
}

/** kindOf names a JSON value's type the way error messages and type checks need it. */
export function kindOf(v: JsonValue | undefined): 'object' | 'array' | 'null' | 'scalar' | 'none' {
  if (v === undefined) return 'none';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return isJsonObject(v) ? 'object' : 'scalar';
}
