/**
 * Strategic merge patch (`application/strategic-merge-patch+json`): what `kubectl apply`
 * (client-side), `edit`, `set image`, `rollout restart`, `cordon` and `drain` send. It is a JSON
 * merge patch that knows, from the static schema in patch-meta.ts, that some lists are keyed
 * (containers by name) or sets (finalizers), and it understands kubectl's directives:
 *
 * - `null` deletes a key;
 * - `{"$patch": "replace"}` in an object replaces it wholesale, `{"$patch": "delete"}` empties it;
 * - in a keyed list, `{"$patch": "delete", <key>: v}` removes that item and an item
 *   `{"$patch": "replace"}` makes the patch's items the whole list;
 * - `$setElementOrder/<list>` gives the final order of the patch's items; items only the server
 *   has keep their places relative to the live list;
 * - `$deleteFromPrimitiveList/<list>` removes values from a primitive set;
 * - `$retainKeys` drops every key of the object not named (strategy switch to Recreate).
 *
 * Error codes follow kube-apiserver's interpretStrategicMergePatchError: malformed directives
 * are 400 BadRequest with apimachinery's mergepatch texts; a patch whose keys are not in its
 * `$retainKeys` is 422; other failures (missing merge key, unknown `$patch`) reach the client
 * as 500 with the error text.
 *
 * Approximations: `{"$patch": "merge"}` in an object is accepted as a no-op (upstream rejects
 * it as an unknown patch type); values placed where the live object has nothing are cleaned of
 * directives (upstream copies them raw and the typed decode drops the `$` keys); error texts
 * print maps as JSON, not Go's `map[...]`.
 */
import { StatusError, badRequest } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../meta.js';
import { cloneJson, jsonEqual } from './json.js';
import { fieldMeta, schemaFor } from './patch-meta.js';
import type { FieldMeta, KindKey, StructMeta } from './patch-meta.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVES = '$deleteFromPrimitiveList/';

/** apimachinery mergepatch error texts (answered as 400 or 422, as upstream does). */
export const SMP_ERRORS = {
  badPrimitiveList: 'invalid patch format of primitive list',
  badRetainKeys: 'invalid patch format of retainKeys',
  badSetElementOrder: 'invalid patch format of setElementOrder list',
  notMatchRetainKeys: "patch content doesn't match retainKeys list",
} as const;

/**
 * strategicMergePatch applies a strategic merge patch to an object of the given kind and returns
 * the patched object; neither input is modified.
 */
export function strategicMergePatch(
  kind: KindKey,
  original: JsonObject,
  patch: JsonObject,
): JsonObject {
  if (!isJsonObject(patch)) throw badRequest('invalid JSON document');
  return mergeMap(original, patch, schemaFor(kind));
}

/** unprocessable is the 422 kube-apiserver gives patches it understands but cannot apply. */
function unprocessable(message: string): StatusError {
  return new StatusError(422, 'Invalid', message, {});
}

/** serverError is how a plain Go error from the patch code reaches the client (500). */
function serverError(message: string): StatusError {
  return new StatusError(500, 'InternalError', message);
}

/** mergeMap merges a patch object into an (optional) original object under a struct schema. */
function mergeMap(
  original: JsonObject | undefined,
  patch: JsonObject,
  schema: StructMeta,
): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return {};
  if (directive === 'replace') return mergeMap(undefined, omit(patch, DIRECTIVE), schema);
  if (directive !== undefined && directive !== 'merge') {
    throw unknownPatchType(directive, patch);
  }
  const out: JsonObject = retainKeys({ ...(original ?? {}) }, patch);
  const lists = listDirectives(patch);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    out[k] = mergeValue(out[k], v, fieldMeta(schema, k), lists.get(k));
  }
  for (const [k, dirs] of lists) {
    if (k in patch || out[k] === undefined) continue;
    // Only directives for this list (reorder or delete from a set): patch with an empty list.
    out[k] = mergeValue(out[k], [], fieldMeta(schema, k), dirs);
  }
  return out;
}

function omit(o: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = o;
  return rest;
}

/** ListDirectives are the `$setElementOrder` and `$deleteFromPrimitiveList` of one list. */
interface ListDirectives {
  order?: JsonValue[];
  remove?: JsonValue[];
}

function listDirectives(patch: JsonObject): Map<string, ListDirectives> {
  const out = new Map<string, ListDirectives>();
  for (const [k, v] of Object.entries(patch)) {
    const isOrder = k.startsWith(SET_ORDER);
    if (!isOrder && !k.startsWith(DELETE_PRIMITIVES)) continue;
    const name = k.slice(isOrder ? SET_ORDER.length : DELETE_PRIMITIVES.length);
    if (!Array.isArray(v)) {
      throw badRequest(isOrder ? SMP_ERRORS.badSetElementOrder : SMP_ERRORS.badPrimitiveList);
    }
    const dirs = out.get(name) ?? {};
    if (isOrder) dirs.order = v;
    else dirs.remove = v;
    out.set(name, dirs);
  }
  return out;
}

/**
 * retainKeys honours `$retainKeys`: every key of the patch (but nulls and list directives) must
 * be listed, and keys of the original that are not listed are dropped.
 */
function retainKeys(out: JsonObject, patch: JsonObject): JsonObject {
  const keep = patch[RETAIN_KEYS];
  if (keep === undefined) return out;
  if (!Array.isArray(keep)) throw badRequest(SMP_ERRORS.badRetainKeys);
  const allowed = new Set(keep.filter((k): k is string => typeof k === 'string'));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k === RETAIN_KEYS || k === DIRECTIVE) continue;
    if (k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVES)) continue;
    if (!allowed.has(k)) throw unprocessable(SMP_ERRORS.notMatchRetainKeys);
  }
  for (const k of Object.keys(out)) if (!allowed.has(k)) delete out[k];
  return out;
}

/** mergeValue merges one patch value into what the original has at the same place. */
function mergeValue(
  original: JsonValue | undefined,
  patch: JsonValue,
  meta: FieldMeta,
  dirs: ListDirectives | undefined,
): JsonValue {
  if (isJsonObject(patch)) {
    return mergeMap(isJsonObject(original) ? original : undefined, patch, meta.fields ?? {});
  }
  if (Array.isArray(patch)) {
    const base = Array.isArray(original) ? original : [];
    if (meta.list === 'map') return mergeKeyedList(base, patch, meta, dirs);
    if (meta.list === 'set') return mergeSet(base, patch, dirs);
    return cloneJson(patch);
  }
  return patch;
}

/** mergeSet unions a primitive set with the patch's values, minus the deleted ones. */
function mergeSet(original: JsonValue[], patch: JsonValue[], dirs?: ListDirectives): JsonValue[] {
  const remove = dirs?.remove ?? [];
  const merged: JsonValue[] = [];
  for (const v of [...original, ...patch]) {
    if (isJsonObject(v) || Array.isArray(v)) throw badRequest(SMP_ERRORS.badPrimitiveList);
    const gone = remove.some((r) => jsonEqual(r, v));
    if (!gone && !merged.some((m) => jsonEqual(m, v))) merged.push(v);
  }
  const order = dirs?.order ?? patch;
  const at = (list: JsonValue[]) => (v: JsonValue) => list.findIndex((x) => jsonEqual(x, v));
  return normalizeOrder(merged, at(order), at(original));
}

/** mergeKeyedList merges a list of objects item by item, matching items by the merge key. */
function mergeKeyedList(
  original: JsonValue[],
  patch: JsonValue[],
  meta: FieldMeta,
  dirs?: ListDirectives,
): JsonValue[] {
  const key = meta.key ?? 'name';
  const special = specialElements(original, patch, key);
  const merged = special.base.slice();
  for (const item of special.items) {
    const at = merged.findIndex((m) => isJsonObject(m) && jsonEqual(m[key], item[key]));
    const existing = at >= 0 ? merged[at] : undefined;
    const next = mergeMap(isJsonObject(existing) ? existing : undefined, item, meta.fields ?? {});
    if (at >= 0) merged[at] = next;
    else merged.push(next);
  }
  const order = dirs?.order ?? special.items;
  for (const o of order) {
    if (!isJsonObject(o) || o[key] === undefined) throw badRequest(SMP_ERRORS.badSetElementOrder);
  }
  const keyOf = (v: JsonValue | undefined) => (isJsonObject(v) ? v[key] : undefined);
  const at = (list: JsonValue[]) => (v: JsonValue) =>
    list.findIndex((x) => jsonEqual(keyOf(x), keyOf(v)));
  return normalizeOrder(merged, at(order), at(original));
}

/**
 * specialElements applies the `$patch` items of a keyed-list patch: deletes remove items from
 * the base, a replace makes the base empty. It returns the base and the ordinary items.
 */
function specialElements(
  original: JsonValue[],
  patch: JsonValue[],
  key: string,
): { base: JsonValue[]; items: JsonObject[] } {
  let base = original;
  let replace = false;
  const items: JsonObject[] = [];
  for (const p of patch) {
    if (!isJsonObject(p)) throw serverError(`expected a map, but received ${JSON.stringify(p)}`);
    const directive = p[DIRECTIVE];
    if (directive === undefined) {
      if (p[key] === undefined) throw noMergeKey(p, key);
      items.push(p);
    } else if (directive === 'delete') {
      if (p[key] === undefined) throw noMergeKey(p, key);
      base = base.filter((o) => !(isJsonObject(o) && jsonEqual(o[key], p[key])));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw serverError('merging lists cannot yet be specified in the patch');
    } else {
      throw unknownPatchType(directive, p);
    }
  }
  return { base: replace ? [] : base, items };
}

function unknownPatchType(directive: JsonValue, item: JsonObject): StatusError {
  const what = JSON.stringify(directive);
  return serverError(`unknown patch type: ${what} in map: ${JSON.stringify(item)}`);
}

function noMergeKey(item: JsonObject, key: string): StatusError {
  return serverError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
}

/**
 * normalizeOrder orders a merged list: items named by the patch (or by `$setElementOrder`) come
 * in that order; items only the server has keep their order, and each is placed before the
 * first patch item that follows it in the live list. That keeps both relative orders, which
 * is what kubectl expects when it sends `$setElementOrder`.
 */
export function normalizeOrder<T>(
  merged: T[],
  patchIndex: (v: T) => number,
  liveIndex: (v: T) => number,
): T[] {
  const byIndex = (f: (v: T) => number) => (a: T, b: T) => rank(f(a)) - rank(f(b));
  const fromPatch = merged.filter((v) => patchIndex(v) >= 0).sort(byIndex(patchIndex));
  const serverOnly = merged.filter((v) => patchIndex(v) < 0).sort(byIndex(liveIndex));
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    const left = serverOnly[i];
    const right = fromPatch[j];
    if (left === undefined || right === undefined) {
      out.push(...serverOnly.slice(i), ...fromPatch.slice(j));
      break;
    }
    const l = liveIndex(left);
    const r = liveIndex(right);
    if (l >= 0 && r >= 0 && l < r) {
      out.push(left);
      i++;
    } else {
      out.push(right);
      j++;
    }
  }
  return out;
}

/** Items absent from an order list sort after every listed one (stable sort keeps the rest). */
function rank(i: number): number {
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}
