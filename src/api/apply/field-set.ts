/**
 * Field sets: which fields of an object a manager owns, as server-side apply tracks them
 * (sigs.k8s.io/structured-merge-diff's fieldpath.Set) and as managedFields carry them on the
 * wire (`fieldsType: FieldsV1`). A set is a tree of path elements, each written as FieldsV1
 * writes it:
 *
 * - `f:<name>`: a field of an object (`f:spec`, `f:replicas`);
 * - `k:<json>`: an item of a keyed list, by its key fields (`k:{"name":"nginx"}`, keys sorted);
 * - `v:<json>`: an item of a set of primitives (`v:"example.com/cleanup"`);
 * - `i:<n>`: an item of a list by position (lists with no keys that are not atomic).
 *
 * A node is a *member* when the path itself is owned (a leaf value, an atomic value, a list
 * item); a node can be a member and have children, which FieldsV1 writes as `".": {}` first.
 */
import { BoundedMemo } from '../../base/bounded-memo.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../meta.js';

/**
 * FieldNode is one node of a field set; the root is never a member. Most nodes are leaves, and
 * a leaf's `children` is NO_CHILDREN, one empty map shared by all of them, rather than a Map of
 * its own (a Map and its table were most of what a set cost: a kubelet's status set is ~45
 * nodes, ~35 of them leaves, built several times per status write). Children are added only
 * through childMap(), which gives a node its own map first.
 */
export interface FieldNode {
  member: boolean;
  children: ReadonlyMap<string, FieldNode>;
}

/** NO_CHILDREN is every leaf's children: never changed (typed read-only; see childMap). */
const NO_CHILDREN: ReadonlyMap<string, FieldNode> = new Map<string, FieldNode>();

/** childMap is node's own, changeable map of children (made on first use). */
function childMap(node: FieldNode): Map<string, FieldNode> {
  if (node.children === NO_CHILDREN) node.children = new Map<string, FieldNode>();
  return node.children as Map<string, FieldNode>;
}

/** A path is a list of FieldsV1 path elements from the root. */
export type FieldPath = readonly string[];

/** newFieldSet returns an empty set. */
export function newFieldSet(): FieldNode {
  return { member: false, children: NO_CHILDREN };
}

/** insertPath makes a path a member of the set (creating intermediate nodes). */
export function insertPath(set: FieldNode, path: FieldPath): void {
  let node = set;
  for (const pe of path) {
    let next = node.children.get(pe);
    if (!next) {
      next = newFieldSet();
      childMap(node).set(pe, next);
    }
    node = next;
  }
  if (path.length > 0) node.member = true;
}

/** nodeAt returns the node at a path, whether or not it is a member. */
export function nodeAt(set: FieldNode, path: FieldPath): FieldNode | undefined {
  let node: FieldNode | undefined = set;
  for (const pe of path) node = node?.children.get(pe);
  return node;
}

/** hasMember tells whether a path is a member. */
export function hasMember(set: FieldNode, path: FieldPath): boolean {
  return nodeAt(set, path)?.member === true;
}

/** members lists every member path, depth first, children in FieldsV1 order. */
export function members(set: FieldNode, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [];
  collectMembers(set, [...prefix], out);
  return out;
}

function collectMembers(node: FieldNode, path: string[], out: FieldPath[]): void {
  if (node.member && path.length > 0) out.push([...path]);
  for (const [pe, child] of sortedChildren(node)) {
    path.push(pe);
    collectMembers(child, path, out);
    path.pop();
  }
}

/*
 * The set operations below walk the trees directly instead of listing member paths and
 * rebuilding (managedFields of every write run several of them: listing and re-inserting cost
 * ~200 µs per pod write). Every result is pruned exactly as fromPaths builds a set: a node
 * exists only when it is a member or has a member below it, and the root is never a member —
 * so nodeAt() on a result still means "something at or under this path".
 */

/** isEmpty tells a set with no members. */
export function isEmpty(set: FieldNode): boolean {
  for (const child of set.children.values()) if (hasAnyMember(child)) return false;
  return true;
}

function hasAnyMember(node: FieldNode): boolean {
  if (node.member) return true;
  for (const child of node.children.values()) if (hasAnyMember(child)) return true;
  return false;
}

/** fromPaths builds a set holding exactly these member paths. */
export function fromPaths(paths: Iterable<FieldPath>): FieldNode {
  const set = newFieldSet();
  for (const p of paths) insertPath(set, p);
  return set;
}

/** union: members of either set. */
export function union(...sets: FieldNode[]): FieldNode {
  const out = newFieldSet();
  for (const s of sets) mergeInto(out, s);
  out.member = false;
  return out;
}

/** mergeInto adds the members of `from` to `into` (pruned: empty branches are not copied). */
function mergeInto(into: FieldNode, from: FieldNode): void {
  if (from.member) into.member = true;
  for (const [pe, child] of from.children) {
    if (!hasAnyMember(child)) continue;
    let target = into.children.get(pe);
    if (!target) {
      target = newFieldSet();
      childMap(into).set(pe, target);
    }
    mergeInto(target, child);
  }
}

/*
 * In-place forms, for a write's own fresh sets (compare's output, a record decoded for this
 * write): each copy of a set the operations above make is a tree of Maps, and a kubelet's status
 * update copied its sets four or five times. Callers must own `into`/`set` (no one else holds
 * it) and every input must be pruned (compare, toFieldSet, fromFieldsV1 and the operations
 * above all build pruned sets); the result is then the same set, pruned, as the copying form's.
 */

/**
 * takeAll adds the members of `from` to `into` in place (union(into, from), without copies), for
 * a `from` the caller gives up: branches `into` lacks are moved over, not copied (most of what
 * a write adds is new: a first status write's whole status). `from` must not be used
 * afterwards; it may share nodes with the result.
 */
export function takeAll(into: FieldNode, from: FieldNode): FieldNode {
  for (const [pe, child] of from.children) {
    if (!hasAnyMember(child)) continue;
    const target = into.children.get(pe);
    if (target === undefined) childMap(into).set(pe, child);
    else {
      if (child.member) target.member = true;
      takeAll(target, child);
    }
  }
  return into;
}

/** subtreeOwned is subtree(set, pe) sharing set's branch instead of copying it. */
export function subtreeOwned(set: FieldNode, pe: string): FieldNode {
  const out = newFieldSet();
  const child = set.children.get(pe);
  if (child) childMap(out).set(pe, child);
  return out;
}

/** cutMembersOf is withoutMembersOf(set, cut), made by deleting from set in place. */
export function cutMembersOf(set: FieldNode, cut: FieldNode): FieldNode {
  for (const [pe, child] of set.children) {
    const c = cut.children.get(pe);
    if (c === undefined) continue;
    if (c.member) childMap(set).delete(pe);
    else if (c.children.size > 0) {
      cutMembersOf(child, c);
      if (!child.member && child.children.size === 0) childMap(set).delete(pe);
    }
  }
  return set;
}

/** isSubset tells whether every member of `a` is a member of `b` (isEmpty(difference(a, b))). */
export function isSubset(a: FieldNode, b: FieldNode | undefined, root = true): boolean {
  if (!root && a.member && b?.member !== true) return false;
  for (const [pe, child] of a.children) {
    if (!isSubset(child, b?.children.get(pe), false)) return false;
  }
  return true;
}

/** overlaps tells whether two sets share a member (!isEmpty(intersection(a, b))). */
export function overlaps(a: FieldNode, b: FieldNode): boolean {
  for (const [pe, child] of a.children) {
    const other = b.children.get(pe);
    if (other === undefined) continue;
    if (child.member && other.member) return true;
    if (overlaps(child, other)) return true;
  }
  return false;
}

/** difference: members of `a` that are not members of `b`. */
export function difference(a: FieldNode, b: FieldNode): FieldNode {
  return filtered(a, b, false) ?? newFieldSet();
}

/** intersection: members of both sets. */
export function intersection(a: FieldNode, b: FieldNode): FieldNode {
  return filtered(a, b, true) ?? newFieldSet();
}

/**
 * filtered keeps the members of `a` that are (keep = true) or are not (keep = false) members of
 * `b`; undefined when nothing is left. The root's own flag is ignored, as members() ignores it.
 */
function filtered(
  a: FieldNode,
  b: FieldNode | undefined,
  keep: boolean,
  root = true,
): FieldNode | undefined {
  const inB = b?.member === true;
  const out = newFieldSet();
  out.member = !root && a.member && inB === keep;
  for (const [pe, child] of a.children) {
    const bChild = b?.children.get(pe);
    // Nothing of b below: an intersection keeps nothing, a difference keeps the whole branch.
    if (bChild === undefined && keep) continue;
    const kept = bChild === undefined ? copyPruned(child) : filtered(child, bChild, keep, false);
    if (kept) childMap(out).set(pe, kept);
  }
  return out.member || out.children.size > 0 || root ? out : undefined;
}

/** copyPruned copies a branch without its memberless sub-branches; undefined if all empty. */
function copyPruned(node: FieldNode): FieldNode | undefined {
  const out = newFieldSet();
  out.member = node.member;
  for (const [pe, child] of node.children) {
    const kept = copyPruned(child);
    if (kept) childMap(out).set(pe, kept);
  }
  return out.member || out.children.size > 0 ? out : undefined;
}

/** withoutPrefixes drops every member at or under any of the given paths (ignored fields). */
export function withoutPrefixes(set: FieldNode, prefixes: readonly FieldPath[]): FieldNode {
  if (prefixes.some((q) => q.length === 0)) return newFieldSet();
  return withoutMembersOf(set, fromPaths(prefixes));
}

/**
 * withoutMembersOf is withoutPrefixes with the prefixes already a set (`cut`, whose members are
 * the prefixes): callers with fixed prefixes build it once instead of on every write.
 */
export function withoutMembersOf(set: FieldNode, cut: FieldNode): FieldNode {
  const out = newFieldSet();
  cutInto(out, set, cut);
  return out;
}

/** cutInto copies node's children into out, minus the branches a member of `cut` names. */
function cutInto(out: FieldNode, node: FieldNode, cut: FieldNode): void {
  for (const [pe, child] of node.children) {
    const c = cut.children.get(pe);
    if (c?.member) continue;
    const kept = c === undefined ? copyPruned(child) : cutBranch(child, c);
    if (kept) childMap(out).set(pe, kept);
  }
}

function cutBranch(node: FieldNode, cut: FieldNode): FieldNode | undefined {
  const out = newFieldSet();
  out.member = node.member;
  cutInto(out, node, cut);
  return out.member || out.children.size > 0 ? out : undefined;
}

/** subtree is the set's members at or under one top-level element (e.g. f:status). */
export function subtree(set: FieldNode, pe: string): FieldNode {
  const out = newFieldSet();
  const child = set.children.get(pe);
  const kept = child && copyPruned(child);
  if (kept) childMap(out).set(pe, kept);
  return out;
}

/** equalSets compares two sets by their members. */
export function equalSets(a: FieldNode, b: FieldNode): boolean {
  return sameMembers(a, b, true);
}

function sameMembers(a: FieldNode | undefined, b: FieldNode | undefined, root = false): boolean {
  const only = a ?? b;
  if (a === undefined || b === undefined) return only === undefined || !hasAnyMember(only);
  if (!root && a.member !== b.member) return false;
  for (const [pe, child] of a.children) if (!sameMembers(child, b.children.get(pe))) return false;
  for (const [pe, child] of b.children) {
    if (!a.children.has(pe) && hasAnyMember(child)) return false;
  }
  return true;
}

/**
 * Element order in FieldsV1 and in path listings: field names first, then keys, values and
 * indices (structured-merge-diff's PathElement order), each group sorted by its text.
 */
function sortedChildren(node: FieldNode): [string, FieldNode][] {
  const out = [...node.children];
  // Sets read from FieldsV1 are in this order already: check before sorting.
  for (let i = 1; i < out.length; i++) {
    if (byElement(out[i - 1]!, out[i]!) > 0) return out.sort(byElement);
  }
  return out;
}

// Module-level helpers, not closures: under tsx every closure created in a hot function also
// pays a name-keeping call.
const ELEMENT_GROUPS = 'fkvi';

function byElement([a]: [string, FieldNode], [b]: [string, FieldNode]): number {
  return compareElements(a, b);
}

function compareElements(a: string, b: string): number {
  // Siblings mostly share their kind (a struct's fields, a list's keys): then the text decides,
  // without looking the kinds up.
  if (a.charCodeAt(0) !== b.charCodeAt(0)) {
    const g = ELEMENT_GROUPS.indexOf(a.charAt(0)) - ELEMENT_GROUPS.indexOf(b.charAt(0));
    if (g !== 0) return g;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** toFieldsV1 writes a set as the FieldsV1 JSON object managedFields carry. */
export function toFieldsV1(set: FieldNode): JsonObject {
  const out: JsonObject = {};
  childrenToJson(set, out);
  return out;
}

function nodeToJson(node: FieldNode): JsonObject {
  const out: JsonObject = {};
  if (node.member && node.children.size > 0) out['.'] = {};
  childrenToJson(node, out);
  return out;
}

/** childrenToJson writes a node's children in element order, copying them only to sort. */
function childrenToJson(node: FieldNode, out: JsonObject): void {
  if (!inElementOrder(node)) {
    // Sets built by compare() come in the object's key order: sort the names, not entries.
    for (const pe of [...node.children.keys()].sort(compareElements)) {
      const child = node.children.get(pe);
      if (child) out[pe] = nodeToJson(child);
    }
    return;
  }
  for (const [pe, child] of node.children) out[pe] = nodeToJson(child);
}

function inElementOrder(node: FieldNode): boolean {
  let prev: string | undefined;
  for (const pe of node.children.keys()) {
    if (prev !== undefined && compareElements(prev, pe) > 0) return false;
    prev = pe;
  }
  return true;
}

/*
 * Reading FieldsV1 without building a set. A write changes few managers' fields (a kubelet's
 * status update: its own, nobody else's), and decoding every entry into a tree to encode the
 * same tree back was most of what managedFields cost a status update. These walks answer the
 * two questions a write asks of an entry it may leave alone — does it share a member with
 * what changed, does it already own all of it — on the JSON itself, allocating nothing.
 */

/**
 * isCanonicalFieldsV1 tells FieldsV1 JSON that toFieldsV1(fromFieldsV1(json)) would write back
 * unchanged (same keys, same order): every value an object, children in element order, `"."`
 * (an empty object) only first and only beside children, no `"."` at the root. What this file
 * writes always is; an entry read in this form can be written back as it was read.
 */
export function isCanonicalFieldsV1(json: JsonValue | undefined): json is JsonObject {
  return isJsonObject(json) && canonicalNode(json, true);
}

function canonicalNode(json: JsonObject, isRoot: boolean): boolean {
  let prev: string | undefined;
  let first = true;
  let dot = false;
  for (const k in json) {
    const v = json[k];
    if (!isJsonObject(v)) return false;
    if (k === '.') {
      if (isRoot || !first || !isEmptyObject(v)) return false;
      dot = true;
    } else {
      if (prev !== undefined && compareElements(prev, k) >= 0) return false;
      if (!canonicalNode(v, false)) return false;
      prev = k;
    }
    first = false;
  }
  // `".": {}` alone is a leaf written as `{}`.
  return !dot || prev !== undefined;
}

function isEmptyObject(json: JsonObject): boolean {
  for (const _k in json) return false;
  return true;
}

/** isMemberJson: a FieldsV1 node that is itself a member (a leaf, or `"."` beside children). */
function isMemberJson(json: JsonObject): boolean {
  return '.' in json || isEmptyObject(json);
}

/** childJson is a FieldsV1 node's child, when it is an object. */
function childJson(json: JsonObject | undefined, pe: string): JsonObject | undefined {
  const v = json?.[pe];
  return isJsonObject(v) ? v : undefined;
}

/** sharesMember tells whether the set and a canonical FieldsV1 object have a member in common. */
export function sharesMember(set: FieldNode, json: JsonObject): boolean {
  for (const [pe, child] of set.children) {
    const j = childJson(json, pe);
    if (j === undefined) continue;
    if (child.member && isMemberJson(j)) return true;
    if (child.children.size > 0 && sharesMember(child, j)) return true;
  }
  return false;
}

/** membersWithin tells whether every member of the set is a member of a canonical FieldsV1 object. */
export function membersWithin(set: FieldNode, json: JsonObject | undefined): boolean {
  for (const [pe, child] of set.children) {
    const j = childJson(json, pe);
    if (child.member && (j === undefined || !isMemberJson(j))) return false;
    if (child.children.size > 0 && !membersWithin(child, j)) return false;
  }
  return true;
}

/**
 * withMembersOf is toFieldsV1(takeAll(fromFieldsV1(json), set)) for a canonical FieldsV1 object
 * and a pruned set, made without reading the JSON into a set and writing it out again: what the
 * set adds is written in, in element order, and every branch of the JSON it adds nothing to is
 * the same object in the result (shared, not copied: written objects' FieldsV1 are never
 * changed, and entries a write leaves alone are already kept as read). A status write that adds
 * a field or two to what its writer owned (a pod's IPs when it starts running) so builds a few
 * objects instead of two whole trees.
 */
export function withMembersOf(json: JsonObject, set: FieldNode): JsonObject {
  return membersWithin(set, json) ? json : mergedJson(json, set, false);
}

/** mergedJson writes json's node with set's members added; member: whether the node is one. */
function mergedJson(json: JsonObject, set: FieldNode, member: boolean): JsonObject {
  // The set's children that add a branch json lacks, in element order (json's keys already are).
  let added: string[] | undefined;
  for (const [pe, child] of set.children) {
    if (childJson(json, pe) === undefined && hasAnyMember(child)) (added ??= []).push(pe);
  }
  if (added !== undefined && added.length > 1) added.sort(compareElements);
  const out: JsonObject = {};
  let hasChildren = added !== undefined;
  for (const k in json) if (k !== '.') hasChildren = true;
  if (member && hasChildren) out['.'] = {};
  let a = 0;
  for (const k in json) {
    if (k === '.') continue;
    for (; added !== undefined && a < added.length && compareElements(added[a]!, k) < 0; a++) {
      out[added[a]!] = nodeToJson(set.children.get(added[a]!)!);
    }
    out[k] = mergedChild(json[k] as JsonObject, set.children.get(k));
  }
  for (; added !== undefined && a < added.length; a++) {
    out[added[a]!] = nodeToJson(set.children.get(added[a]!)!);
  }
  return out;
}

/** mergedChild is one child of mergedJson: json's own when the set adds nothing at or under it. */
function mergedChild(json: JsonObject, set: FieldNode | undefined): JsonObject {
  if (set === undefined || !hasAnyMember(set)) return json;
  const wasMember = isMemberJson(json);
  if ((wasMember || !set.member) && membersWithin(set, json)) return json;
  return mergedJson(json, set, wasMember || set.member);
}

/**
 * withoutMembersJson is toFieldsV1(difference(fromFieldsV1(json), set)) for a canonical FieldsV1
 * object, made on the JSON: only the nodes on the way to a member the set takes away are
 * written anew, every other branch is json's own (shared, as withMembersOf shares them). A
 * status write that replaces fields its writer owned (a container's waiting state by its
 * running one, a condition's reason) so reads no entry into a set and writes none out again.
 * The result is canonical, as the copying form's: json's keys keep their order, a node left
 * with neither membership nor children is dropped, and `".": {}` stays only beside children.
 */
export function withoutMembersJson(json: JsonObject, set: FieldNode): JsonObject {
  return sharesMember(set, json) ? cutJson(json, set, true) ?? {} : json;
}

/** cutJson is one node of withoutMembersJson; undefined when nothing of it is left. */
function cutJson(json: JsonObject, set: FieldNode, isRoot: boolean): JsonObject | undefined {
  const member = !isRoot && isMemberJson(json) && !set.member;
  const kept: [string, JsonObject][] = [];
  for (const k in json) {
    if (k === '.') continue;
    const child = json[k] as JsonObject;
    const cut = set.children.get(k);
    const left = cut === undefined || !sharesMember(cut, child) && !(cut.member && isMemberJson(child))
      ? child : cutJson(child, cut, false);
    if (left !== undefined) kept.push([k, left]);
  }
  if (!member && kept.length === 0) return isRoot ? {} : undefined;
  const out: JsonObject = {};
  if (member && kept.length > 0) out['.'] = {};
  for (const [k, v] of kept) out[k] = v;
  return out;
}

/** fromFieldsV1 reads FieldsV1 JSON back into a set; an empty object is a member leaf. */
export function fromFieldsV1(json: JsonValue | undefined): FieldNode {
  const set = newFieldSet();
  if (isJsonObject(json)) readInto(set, json, true);
  return set;
}

function readInto(node: FieldNode, json: JsonObject, isRoot: boolean): void {
  // for-in rather than a key array per node (own keys only: parsed JSON has no inherited ones).
  let empty = true;
  for (const k in json) {
    empty = false;
    const v = json[k];
    if (k === '.') {
      if (!isRoot) node.member = true;
      continue;
    }
    if (!isJsonObject(v)) continue;
    const child = newFieldSet();
    childMap(node).set(k, child);
    readInto(child, v, false);
  }
  if (empty && !isRoot) node.member = true;
}

/**
 * pathString renders a path as structured-merge-diff's Path.String does, which is what
 * conflict messages and `details.causes[].field` show: `.spec.containers[name="nginx"].image`,
 * `.metadata.finalizers[="a"]`, `.spec.ports[port=80,protocol="TCP"]`.
 */
export function pathString(path: FieldPath): string {
  return path.map(elementString).join('');
}

function elementString(pe: string): string {
  const body = pe.slice(2);
  switch (pe.slice(0, 2)) {
    case 'f:':
      return `.${body}`;
    case 'k:': {
      const key = JSON.parse(body) as JsonObject;
      const parts = Object.keys(key).sort().map((k) => `${k}=${valueString(key[k] ?? null)}`);
      return `[${parts.join(',')}]`;
    }
    case 'v:':
      return `[=${valueString(JSON.parse(body) as JsonValue)}]`;
    default:
      return `[${body}]`;
  }
}

/** valueString is structured-merge-diff's value.ToString: strings quoted, the rest bare. */
function valueString(v: JsonValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (isJsonObject(v)) {
    return Object.entries(v).map(([k, x]) => `${k}=${valueString(x ?? null)}`).join('');
  }
  return String(v);
}

/**
 * Field elements made before, by field name. A write's compare names every field it walks, and
 * a fresh `f:` string per field is a new string each time: hashed again by every set it enters
 * (insertPath's maps) and looked up again as a key of every FieldsV1 object it is written to.
 * The same few hundred names (a pod's, an event's) recur in every write: one string each, its
 * hash kept. Bounded: cleared when full (names under labels and annotations are open-ended).
 */
const FIELD_ELEMENTS_MAX = 4096;
const FIELD_ELEMENTS = new BoundedMemo<string, string>(FIELD_ELEMENTS_MAX);

/** fieldElement, keyElement, valueElement and indexElement build path elements. */
export function fieldElement(name: string): string {
  return FIELD_ELEMENTS.get(name, newFieldElement);
}

function newFieldElement(name: string): string {
  return `f:${name}`;
}

/** keyElement names a keyed list item; key fields are sorted, as FieldsV1 writes them. */
export function keyElement(key: Readonly<Record<string, JsonValue>>): string {
  const names = Object.keys(key);
  // One key (a container's name, a condition's type): no sorting, no object to build.
  const name = names[0];
  const value = name === undefined ? undefined : key[name];
  if (names.length === 1 && name !== undefined && value !== undefined) return oneKeyElement(name, value);
  const sorted: JsonObject = {};
  for (const k of Object.keys(key).sort()) sorted[k] = key[k];
  return `k:${JSON.stringify(sorted)}`;
}

/**
 * Key elements made before, by key name and scalar value: a pod's conditions, containers and
 * IPs are named by the same few keys in every status write, and each element built anew is two
 * JSON texts, a new string to hash in every set and a new key in every FieldsV1 object (as
 * fieldElement's). Bounded like FIELD_ELEMENTS (IPs and names are open-ended).
 */
const KEY_ELEMENTS = new Map<string, Map<string | number | boolean, string>>();
let keyElementCount = 0;

/** oneKeyElement is keyElement({[name]: value}), for a list keyed by one field. */
export function oneKeyElement(name: string, value: JsonValue): string {
  if (value === null || typeof value === 'object') return `k:{${JSON.stringify(name)}:${JSON.stringify(value)}}`;
  let byValue = KEY_ELEMENTS.get(name);
  let pe = byValue?.get(value);
  if (pe !== undefined) return pe;
  if (keyElementCount >= FIELD_ELEMENTS_MAX) {
    KEY_ELEMENTS.clear();
    keyElementCount = 0;
    byValue = undefined;
  }
  if (byValue === undefined) KEY_ELEMENTS.set(name, byValue = new Map());
  pe = `k:{${JSON.stringify(name)}:${JSON.stringify(value)}}`;
  byValue.set(value, pe);
  keyElementCount++;
  return pe;
}

/** valueElement names an item of a set of primitives. */
export function valueElement(v: JsonValue): string {
  return `v:${JSON.stringify(v)}`;
}

/** indexElement names a list item by position. */
export function indexElement(i: number): string {
  return `i:${i}`;
}
