/**
 * Schema-aware walks over plain JSON objects for server-side apply: the field set an applied
 * configuration sets, the comparison of two versions of an object (what an update added,
 * modified, removed), the merge of an applied configuration into the live object, and the
 * removal of fields an applier gave up. The schema is patch-meta.ts's table: keyed lists and
 * sets are granular (one path per item), other lists and `atomic` objects are single values.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../meta.js';
import { cloneJson, jsonEqual } from '../patch/json.js';
import { fieldMeta, ssaKeysOf, type FieldMeta, type StructMeta } from '../patch/patch-meta.js';
import {
  fieldElement,
  indexElement,
  insertPath,
  keyElement,
  newFieldSet,
  nodeAt,
  oneKeyElement,
  valueElement,
  type FieldNode,
  type FieldPath,
} from './field-set.js';

/** granularList: keyed lists and sets are tracked per item; every other list is one value. */
function granularList(meta: FieldMeta): boolean {
  return (meta.list === 'map' || meta.list === 'set') && meta.ssaAtomicList !== true;
}

/** isLeaf: scalars, null, atomic lists and atomic objects are owned as a whole. */
function isLeaf(v: JsonValue, meta: FieldMeta): boolean {
  if (Array.isArray(v)) return !granularList(meta);
  if (isJsonObject(v)) return meta.atomic === true;
  return true;
}

/** One item meta per struct (they are never changed): compare and collect ask for it per
 *  list, and for every item. */
const ITEM_METAS = new WeakMap<StructMeta, FieldMeta>();
const NO_STRUCT_ITEM: FieldMeta = { fields: undefined };

function itemMeta(meta: FieldMeta): FieldMeta {
  const fields = meta.fields;
  if (fields === undefined) return NO_STRUCT_ITEM;
  let m = ITEM_METAS.get(fields);
  if (m === undefined) {
    m = { fields };
    ITEM_METAS.set(fields, m);
  }
  return m;
}

/**
 * itemElement names a list item: `k:` by its list-map keys (absent keys take their OpenAPI
 * default, so a port without protocol is `{"containerPort":80,"protocol":"TCP"}`), `v:` for a
 * set member, `i:` by position when an item has no key at all.
 */
export function itemElement(meta: FieldMeta, item: JsonValue, index: number): string {
  if (meta.list === 'set') return valueElement(item);
  if (meta.list === 'map' && isJsonObject(item)) {
    // ssaKeysOf without its one-element array when the list has a single `key`.
    const keys = meta.ssaKeys ?? (meta.key ? undefined : ssaKeysOf(meta));
    const only = keys === undefined ? meta.key : keys.length === 1 ? keys[0] : undefined;
    if (only !== undefined) {
      // One key (a condition's type, a container's name): keyElement's text, without the key
      // object and its key listings, for every item of every compared or collected list.
      const v = item[only] ?? meta.keyDefaults?.[only];
      if (v === undefined || v === null) return indexElement(index);
      return oneKeyElement(only, v);
    }
    const key: Record<string, JsonValue> = {};
    for (const k of keys ?? []) {
      const v = item[k] ?? meta.keyDefaults?.[k];
      if (v !== undefined && v !== null) key[k] = v;
    }
    if (Object.keys(key).length > 0) return keyElement(key);
  }
  return indexElement(index);
}

/**
 * toFieldSet is the set of fields a configuration sets (structured-merge-diff's ToFieldSet):
 * leaves, list items (as members, with their fields below), and null or empty-object fields.
 * Objects that hold something are not members themselves: only what they hold is owned.
 */
export function toFieldSet(obj: JsonObject, schema: StructMeta): FieldNode {
  const set = newFieldSet();
  collect(obj, { fields: schema }, [], set);
  return set;
}

function collect(v: JsonValue, meta: FieldMeta, path: FieldPath, set: FieldNode): void {
  if (path.length > 0 && isLeaf(v, meta)) {
    insertPath(set, path);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const child = [...path, itemElement(meta, item, i)];
      collect(item, itemMeta(meta), child, set);
      insertPath(set, child);
    });
    return;
  }
  if (!isJsonObject(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    const child = [...path, fieldElement(k)];
    collect(x, fieldMeta(meta.fields, k), child, set);
    if (x === null || (isJsonObject(x) && Object.keys(x).length === 0)) insertPath(set, child);
  }
}

/** Comparison is what changed between two versions of an object, as field sets. */
export interface Comparison {
  added: FieldNode;
  modified: FieldNode;
  removed: FieldNode;
}

/**
 * compare finds the fields added, modified and removed from `before` to `after`. A container
 * (object or granular list) that appears or disappears is itself added or removed, which is
 * why managedFields of an update list `".": {}` for new maps and lists; containers Go always
 * serialises (`alwaysPresent` in the schema) never count as added.
 */
export function compare(
  before: JsonObject,
  after: JsonObject,
  schema: StructMeta,
  only?: (field: string) => boolean,
): Comparison {
  const out = { added: newFieldSet(), modified: newFieldSet(), removed: newFieldSet() };
  if (only === undefined) {
    compareNode(before, after, { fields: schema, alwaysPresent: true }, [], out);
    return out;
  }
  // The root is always present on both sides: compare its fields in scope one by one, as
  // compareNode would after pairing them (and without walking the rest for equality first).
  compareFields(before, after, { fields: schema }, [], out, only);
  return out;
}

/** compareNode compares one position; `path` is a stack it pushes to and pops back. */
function compareNode(
  l: JsonValue | undefined,
  r: JsonValue | undefined,
  meta: FieldMeta,
  path: string[],
  out: Comparison,
): void {
  if (l === undefined && r === undefined) return;
  // Equal values hold no change at any depth; most of an updated object is unchanged, and one
  // equality walk is far cheaper than pairing its fields and list items.
  if (l !== undefined && r !== undefined && (l === r || jsonEqual(l, r))) return;
  const lLeaf = l !== undefined && isLeaf(l, meta);
  const rLeaf = r !== undefined && isLeaf(r, meta);
  if (lLeaf || rLeaf || kindDiffers(l, r)) {
    // Not equal (above): a leaf present on both sides was modified.
    if (l === undefined) insertPath(out.added, path);
    else if (r === undefined) insertPath(out.removed, path);
    else insertPath(out.modified, path);
    return;
  }
  if (meta.alwaysPresent) {
    l ??= Array.isArray(r) ? [] : {};
    r ??= Array.isArray(l) ? [] : {};
  }
  if (l === undefined) insertPath(out.added, path);
  if (r === undefined) insertPath(out.removed, path);
  if (Array.isArray(l) || Array.isArray(r)) {
    compareItems(Array.isArray(l) ? l : [], Array.isArray(r) ? r : [], meta, path, out);
  }
  else compareFields(l, r, meta, path, out);
}

function kindDiffers(l: JsonValue | undefined, r: JsonValue | undefined): boolean {
  if (l === undefined || r === undefined) return false;
  return Array.isArray(l) !== Array.isArray(r);
}

const NO_FIELDS: JsonObject = {};

/**
 * compareFields compares two objects field by field: the left's fields, then the right's
 * others; only the fields `only` accepts, when given.
 */
function compareFields(
  l: JsonValue | undefined,
  r: JsonValue | undefined,
  meta: FieldMeta,
  path: string[],
  out: Comparison,
  only?: (field: string) => boolean,
): void {
  const lo = isJsonObject(l) ? l : NO_FIELDS;
  const ro = isJsonObject(r) ? r : NO_FIELDS;
  for (const k in lo) {
    if (only !== undefined && !only(k)) continue;
    path.push(fieldElement(k));
    compareNode(lo[k], ro[k], fieldMeta(meta.fields, k), path, out);
    path.pop();
  }
  for (const k in ro) {
    if (Object.hasOwn(lo, k) || (only !== undefined && !only(k))) continue;
    path.push(fieldElement(k));
    compareNode(undefined, ro[k], fieldMeta(meta.fields, k), path, out);
    path.pop();
  }
}

/** compareItems lines up two lists' items by path element (the left's first) and compares them. */
function compareItems(ls: JsonValue[], rs: JsonValue[], meta: FieldMeta, path: string[],
  out: Comparison): void {
  if (comparePaired(ls, rs, meta, path, out) || compareOneSided(ls, rs, meta, path, out)) return;
  const items = new Map<string, [JsonValue | undefined, JsonValue | undefined]>();
  for (let i = 0; i < ls.length; i++) {
    const x = ls[i];
    if (x !== undefined) items.set(itemElement(meta, x, i), [x, undefined]);
  }
  for (let i = 0; i < rs.length; i++) {
    const x = rs[i];
    if (x === undefined) continue;
    const pe = itemElement(meta, x, i);
    const pair = items.get(pe);
    if (pair !== undefined) pair[1] = x;
    else items.set(pe, [undefined, x]);
  }
  const m = itemMeta(meta);
  for (const [pe, [a, b]] of items) {
    path.push(pe);
    compareNode(a, b, m, path, out);
    path.pop();
  }
}

/** Lists up to this long may be paired by position (comparePaired's distinctness check is
 *  quadratic). */
const PAIRED_MAX = 16;

/**
 * comparePaired is compareItems for the common case — as many items on both sides, the same
 * path element at each position, no element twice (a pod's conditions, its container statuses,
 * rewritten in the same order) — without the pairing map and a pair array per item: the same
 * comparisons in the same order. False, having compared nothing, when the lists do not pair so.
 */
function comparePaired(ls: JsonValue[], rs: JsonValue[], meta: FieldMeta, path: string[],
  out: Comparison): boolean {
  const n = ls.length;
  if (n !== rs.length || n > PAIRED_MAX) return false;
  const pes: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = ls[i];
    const r = rs[i];
    if (l === undefined || r === undefined) return false;
    const pe = itemElement(meta, l, i);
    if (pe !== itemElement(meta, r, i) || pes.includes(pe)) return false;
    pes.push(pe);
  }
  const m = itemMeta(meta);
  for (let i = 0; i < n; i++) {
    path.push(pes[i]!);
    compareNode(ls[i], rs[i], m, path, out);
    path.pop();
  }
  return true;
}

/**
 * compareOneSided is compareItems for a list on one side only (a list a write adds, such as a
 * pod's first container statuses and IPs, or one it empties) with no element twice: its items,
 * each against nothing, in order — the pairing map would hold each alone. False, having
 * compared nothing, otherwise.
 */
function compareOneSided(ls: JsonValue[], rs: JsonValue[], meta: FieldMeta, path: string[],
  out: Comparison): boolean {
  const left = rs.length === 0;
  const items = left ? ls : rs;
  if ((!left && ls.length !== 0) || items.length > PAIRED_MAX) return false;
  const pes: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    if (x === undefined) return false;
    const pe = itemElement(meta, x, i);
    if (pes.includes(pe)) return false;
    pes.push(pe);
  }
  const m = itemMeta(meta);
  for (let i = 0; i < items.length; i++) {
    path.push(pes[i]!);
    if (left) compareNode(items[i], undefined, m, path, out);
    else compareNode(undefined, items[i], m, path, out);
    path.pop();
  }
  return true;
}

/**
 * mergeApplied merges an applied configuration into the live object: the configuration's
 * values win, objects merge field by field, keyed lists and sets merge item by item (live-only
 * items keep their places, configured items come in the configuration's order), atomic values
 * are replaced, and null unsets a field.
 */
export function mergeApplied(live: JsonObject, config: JsonObject, schema: StructMeta): JsonObject {
  const out = mergeValue(live, config, { fields: schema });
  return isJsonObject(out) ? out : {};
}

function mergeValue(l: JsonValue | undefined, c: JsonValue, meta: FieldMeta): JsonValue {
  if (l === undefined || isLeaf(c, meta) || kindDiffers(l, c) || isLeaf(l, meta)) {
    return withoutNulls(c);
  }
  if (Array.isArray(l) && Array.isArray(c)) return mergeList(l, c, meta);
  if (!isJsonObject(l) || !isJsonObject(c)) return withoutNulls(c);
  const out: JsonObject = { ...l };
  for (const [k, x] of Object.entries(c)) {
    if (x === undefined) continue;
    if (x === null) delete out[k];
    else out[k] = mergeValue(l[k], x, fieldMeta(meta.fields, k));
  }
  return out;
}

function mergeList(l: JsonValue[], c: JsonValue[], meta: FieldMeta): JsonValue[] {
  const lpe = l.map((x, i) => itemElement(meta, x, i));
  const cpe = c.map((x, i) => itemElement(meta, x, i));
  const cIndex = new Map(cpe.map((pe, i) => [pe, i]));
  const lByPe = new Map(lpe.map((pe, i) => [pe, l[i]]));
  const out: JsonValue[] = [];
  let next = 0;
  const emitUpTo = (j: number) => {
    for (; next <= j; next++) {
      const item = c[next];
      const pe = cpe[next];
      if (item === undefined || pe === undefined) continue;
      out.push(mergeValue(lByPe.get(pe), item, itemMeta(meta)));
    }
  };
  l.forEach((x, i) => {
    const j = cIndex.get(lpe[i] ?? '');
    if (j === undefined) out.push(x);
    else if (j >= next) emitUpTo(j);
  });
  emitUpTo(c.length - 1);
  return out;
}

/** withoutNulls copies a configured value, dropping null members (null means "unset"). */
function withoutNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (x !== undefined && x !== null) out[k] = withoutNulls(x);
  }
  return out;
}

/**
 * removeUnowned deletes from an object each of `paths` at or under which nobody owns anything
 * any more (`owned`), and the objects that become empty because of it. It works on a copy.
 */
export function removeUnowned(
  obj: JsonObject,
  paths: readonly FieldPath[],
  owned: FieldNode,
  schema: StructMeta,
): JsonObject {
  const out = cloneJson(obj);
  // Shallowest first: a dropped list item goes whole, before its fields (which identify it)
  // could be deleted one by one; paths below it then no longer resolve and are skipped.
  const shallowestFirst = [...paths].sort((a, b) => a.length - b.length);
  for (const p of shallowestFirst) {
    if (nodeAt(owned, p) !== undefined) continue;
    removePath(out, p, schema);
  }
  return out;
}

function removePath(root: JsonObject, path: FieldPath, schema: StructMeta): void {
  const trail: { container: JsonObject | JsonValue[]; pe: string; meta: FieldMeta }[] = [];
  let cur: JsonValue | undefined = root;
  let meta: FieldMeta = { fields: schema };
  for (const pe of path) {
    if (cur === undefined || (!Array.isArray(cur) && !isJsonObject(cur))) return;
    trail.push({ container: cur, pe, meta });
    const step = childOf(cur, pe, meta);
    cur = step.value;
    meta = step.meta;
  }
  for (let i = trail.length - 1; i >= 0; i--) {
    const t = trail[i];
    if (!t) break;
    deleteChild(t.container, t.pe, t.meta);
    const parentEmpty = Array.isArray(t.container)
      ? t.container.length === 0
      : Object.keys(t.container).length === 0;
    // Keep top-level containers (metadata, spec) even when pruning empties them.
    if (!parentEmpty || i <= 1) break;
  }
}

function childOf(
  cur: JsonObject | JsonValue[],
  pe: string,
  meta: FieldMeta,
): { value: JsonValue | undefined; meta: FieldMeta } {
  if (Array.isArray(cur)) {
    const i = cur.findIndex((x, j) => itemElement(meta, x, j) === pe);
    return { value: i >= 0 ? cur[i] : undefined, meta: itemMeta(meta) };
  }
  const name = pe.slice(2);
  return { value: pe.startsWith('f:') ? cur[name] : undefined, meta: fieldMeta(meta.fields, name) };
}

function deleteChild(container: JsonObject | JsonValue[], pe: string, meta: FieldMeta): void {
  if (Array.isArray(container)) {
    const i = container.findIndex((x, j) => itemElement(meta, x, j) === pe);
    if (i >= 0) container.splice(i, 1);
    return;
  }
  if (pe.startsWith('f:')) delete container[pe.slice(2)];
}
