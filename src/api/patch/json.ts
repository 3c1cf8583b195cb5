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
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ak = Object.keys(a).filter((k) => a[k] !== undefined);
    const bk = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ak.length !== bk.length) return false;
    return ak.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
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
