/**
 * Server-side apply and managedFields bookkeeping (what kube-apiserver's fieldmanager package
 * and structured-merge-diff do), over plain JSON and the static schema in patch-meta.ts.
 *
 * - `applyPatch` handles `application/apply-patch+yaml`: the applied configuration is merged
 *   into the live object, the applier comes to own exactly the fields its configuration sets,
 *   fields it owned before and no longer sets are removed unless another manager owns them, and
 *   changing a value another manager owns is a 409 conflict unless `force` is set, in which
 *   case the applier takes the field over.
 * - `recordUpdate` handles every other write (create, update, patch): the writer comes to own
 *   the fields whose value it added or changed, and loses them from every other manager.
 *
 * Managers are told apart as upstream does: appliers by (manager, subresource), updaters by
 * (manager, apiVersion, subresource). Entries are sorted as upstream sorts them (operation,
 * time, manager, apiVersion, subresource) and empty ones are dropped.
 *
 * Approximations, each documented where it is made:
 * - fields are tracked per version as given; no conversion between API versions;
 * - a writer's `time` is set to `nowIso` whenever its entry is written and the object or its
 *   set changed (upstream uses the clock in the same places);
 * - the apply merge orders list items approximately like structured-merge-diff (live-only items
 *   in place, configured items in configuration order);
 * - an item the applier gave up is kept whole when another manager owns any field in it
 *   (upstream keeps exactly the owned fields);
 * - unions, CRD schemas and `x-kubernetes-preserve-unknown-fields` are not modelled.
 */
import { StatusError, badRequest, type StatusCause } from '../errors.js';
import { isJsonObject, splitApiVersion } from '../meta.js';
import type { JsonObject, ManagedFieldsEntry } from '../meta.js';
import { jsonEqual } from '../patch/json.js';
import { schemaFor, type KindKey, type StructMeta } from '../patch/patch-meta.js';
import {
  cutMembersOf,
  difference,
  equalSets,
  fromFieldsV1,
  fromPaths,
  intersection,
  isCanonicalFieldsV1,
  isEmpty,
  isSubset,
  members,
  membersWithin,
  newFieldSet,
  overlaps,
  pathString,
  sharesMember,
  subtree,
  subtreeOwned,
  takeAll,
  toFieldsV1,
  union,
  withMembersOf,
  withoutMembersJson,
  withoutMembersOf,
  type FieldNode,
  type FieldPath,
} from './field-set.js';
import { compare, mergeApplied, removeUnowned, toFieldSet } from './typed.js';

/**
 * ManagerRecord is one decoded managedFields entry. Its fields are `set`, or — for an entry
 * read in canonical form and not changed since — `fieldsV1` as read, decoded only when a write
 * needs the set (setOf) and written back as it was read (toEntry).
 */
interface ManagerRecord {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set?: FieldNode;
  fieldsV1?: JsonObject;
}

/** setOf is a record's fields as a set. */
function setOf(r: ManagerRecord): FieldNode {
  return r.set ?? fromFieldsV1(r.fieldsV1);
}

/** The fields no manager ever owns (upstream's StripMetaManager). */
const STRIPPED: readonly FieldPath[] = [
  ['f:apiVersion'],
  ['f:kind'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'generation', 'managedFields',
    'resourceVersion'].map((f) => ['f:metadata', `f:${f}`]),
];

/** The fields a write to the main resource may not own: STRIPPED and status. */
const NOT_OWNABLE_MAIN = fromPaths([...STRIPPED, ['f:status']]);

/**
 * ownable drops what a write through this endpoint may not own: status on the main resource,
 * everything but status on /status (upstream's per-strategy reset fields, reduced to these two
 * cases).
 */
function ownable(set: FieldNode, subresource: string | undefined): FieldNode {
  // STRIPPED holds nothing under status.
  if (subresource === 'status') return subtree(set, 'f:status');
  return withoutMembersOf(set, NOT_OWNABLE_MAIN);
}

/** ownableOwned is ownable() for a set the caller owns: it cuts `set` in place (or shares its
 *  status branch) instead of copying it. */
function ownableOwned(set: FieldNode, subresource: string | undefined): FieldNode {
  if (subresource === 'status') return subtreeOwned(set, 'f:status');
  return cutMembersOf(set, NOT_OWNABLE_MAIN);
}

/**
 * ownableField tells the top-level fields whose changes ownable() can keep: only these are
 * compared (a status update need not walk the spec, nor a spec update the status).
 */
function ownableField(subresource: string | undefined): (field: string) => boolean {
  return subresource === 'status' ? isStatusField : isMainField;
}

function isStatusField(field: string): boolean {
  return field === 'status';
}

function isMainField(field: string): boolean {
  return field !== 'status' && field !== 'apiVersion' && field !== 'kind';
}

function sameWriter(r: ManagerRecord, manager: string, op: string, apiVersion: string,
  subresource?: string): boolean {
  if (r.manager !== manager || r.operation !== op) return false;
  if ((r.subresource ?? '') !== (subresource ?? '')) return false;
  return op === 'Apply' || r.apiVersion === apiVersion;
}

/** decodeManagedFields reads managedFields entries; malformed entries are skipped. */
function decodeManagedFields(entries: unknown): ManagerRecord[] {
  if (!Array.isArray(entries)) return [];
  const out: ManagerRecord[] = [];
  for (const raw of entries as unknown[]) {
    if (!isJsonObject(raw)) continue;
    const e = raw as ManagedFieldsEntry;
    // manager is omitempty in upstream's JSON: an entry without one is the empty manager's
    // (a writer that sent neither fieldManager nor a User-Agent), not an entry to drop.
    if (e.manager !== undefined && typeof e.manager !== 'string') continue;
    const r: ManagerRecord = {
      manager: e.manager ?? '',
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: e.apiVersion ?? '',
    };
    // Assigned, not spread in: a spread of a conditional object is a temporary per key.
    if (e.subresource) r.subresource = e.subresource;
    if (e.time) r.time = e.time;
    if (isCanonicalFieldsV1(e.fieldsV1)) r.fieldsV1 = e.fieldsV1;
    else r.set = fromFieldsV1(e.fieldsV1);
    out.push(r);
  }
  return out;
}

/** encodeManagedFields writes records as entries, in upstream's order, dropping empty ones. */
function encodeManagedFields(records: ManagerRecord[]): ManagedFieldsEntry[] {
  const kept = records.filter(notEmpty);
  if (kept.length > 1) kept.sort(byUpstreamOrder);
  return kept.map(toEntry);
}

function notEmpty(r: ManagerRecord): boolean {
  // A canonical FieldsV1 object with any key has a member (its every leaf is one).
  return r.set !== undefined ? !isEmpty(r.set) : Object.keys(r.fieldsV1 ?? {}).length > 0;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function seconds(t?: string): number {
  return t ? Math.floor(Date.parse(t) / 1000) : 0;
}

/** byTime orders two entries' times by their seconds, as upstream's sort does. */
function byTime(p?: string, q?: string): number {
  // Both RFC 3339 at second precision in UTC (what this file writes, what upstream writes): their
  // text orders as their seconds do, with no date to parse per comparison.
  if (p !== undefined && q !== undefined && p.length === 20 && q.length === 20 &&
    p.charCodeAt(19) === 90 && q.charCodeAt(19) === 90 && p.charCodeAt(10) === 84 &&
    q.charCodeAt(10) === 84) return cmp(p, q);
  return seconds(p) - seconds(q);
}

function byUpstreamOrder(p: ManagerRecord, q: ManagerRecord): number {
  return cmp(p.operation, q.operation) || byTime(p.time, q.time) ||
    cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) ||
    cmp(p.subresource ?? '', q.subresource ?? '');
}

/** toEntry writes a record as upstream orders an entry's keys (assigned one by one: conditional
 *  spreads cost a temporary object per optional key, per entry, per write). */
function toEntry(r: ManagerRecord): ManagedFieldsEntry {
  const e: ManagedFieldsEntry = {};
  if (r.manager !== '') e.manager = r.manager;
  e.operation = r.operation;
  e.apiVersion = r.apiVersion;
  if (r.time) e.time = r.time;
  e.fieldsType = 'FieldsV1';
  e.fieldsV1 = r.set !== undefined ? toFieldsV1(r.set) : r.fieldsV1 ?? {};
  if (r.subresource) e.subresource = r.subresource;
  return e;
}

/** withoutManagedFields is the object as the field walks see it (managedFields never owned). */
function withoutManagedFields(obj: JsonObject | undefined): JsonObject {
  if (!obj) return {};
  const meta = isJsonObject(obj.metadata) ? obj.metadata : undefined;
  if (!meta || !('managedFields' in meta)) return obj;
  const { managedFields: _dropped, ...rest } = meta;
  return { ...obj, metadata: rest };
}

function schemaOf(obj: JsonObject): StructMeta {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  return schemaFor({ group: splitApiVersion(apiVersion).group, kind });
}

/**
 * fieldManagerRequired is kube-apiserver's answer to an apply without `fieldManager`: PatchOptions
 * validation fails, so it is 422 Invalid on `PatchOptions.meta.k8s.io` (not 400).
 */
export function fieldManagerRequired(): StatusError {
  const message = 'Required value: is required for apply patch';
  return new StatusError(422, 'Invalid',
    `PatchOptions.meta.k8s.io "" is invalid: fieldManager: ${message}`, {
      group: 'meta.k8s.io',
      kind: 'PatchOptions',
      causes: [{ reason: 'FieldValueRequired', message, field: 'fieldManager' }],
    });
}

/** printManager names a manager in conflict messages as upstream does. */
function printManager(r: ManagerRecord): string {
  let s = JSON.stringify(r.manager);
  if (r.subresource) s = `${s} with subresource ${JSON.stringify(r.subresource)}`;
  return r.operation === 'Update' ? `${s} using ${r.apiVersion}` : s;
}

/**
 * conflictError is the 409 an apply gets when it would change fields other managers own:
 * one cause per field, and upstream's message (one line for one conflict, a list grouped by
 * manager for several).
 */
export function conflictError(conflicts: { owner: ManagerRecord; path: FieldPath }[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.owner)}`,
    field: pathString(c.path),
  }));
  const only = conflicts.length === 1 ? conflicts[0] : undefined;
  if (only) {
    const msg = `Apply failed with 1 conflict: conflict with ${printManager(only.owner)}: ` +
      pathString(only.path);
    return new StatusError(409, 'Conflict', msg, { causes });
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const name = printManager(c.owner);
    byManager.set(name, [...(byManager.get(name) ?? []), `- ${pathString(c.path)}`]);
  }
  const lines = [...byManager.keys()].sort().flatMap((m) => [
    `conflicts with ${m}:`, ...(byManager.get(m) ?? []),
  ]);
  const msg = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  return new StatusError(409, 'Conflict', msg, { causes });
}

/** ApplyInput is one server-side apply request. */
export interface ApplyInput {
  /** The stored object; absent when the apply creates it. */
  live?: JsonObject;
  /** The applied configuration (the request body, already parsed). */
  applied: JsonObject;
  /** The `fieldManager` query parameter. */
  manager: string | undefined;
  /** The `force` query parameter: take over conflicting fields. */
  force: boolean;
  /** The version the request is served at, e.g. "apps/v1". */
  apiVersion: string;
  /** The request time, RFC 3339 at second precision (injected: this file reads no clock). */
  nowIso: string;
  /** "status" when applying to /status. */
  subresource?: string;
  /** The kind whose schema applies; by default read from the object's apiVersion and kind. */
  kind?: KindKey;
}

/** ApplyResult is the object to store and its new managedFields (also set on the object). */
export interface ApplyResult {
  object: JsonObject;
  managedFields: ManagedFieldsEntry[];
}

/** applyPatch performs a server-side apply; see the file comment for the rules. */
export function applyPatch(input: ApplyInput): ApplyResult {
  const { applied, force, apiVersion, nowIso, subresource } = input;
  if (!input.manager) throw fieldManagerRequired();
  const manager = input.manager;
  const appliedMeta = applied.metadata;
  if (isJsonObject(appliedMeta) && appliedMeta.managedFields != null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  const live = withoutManagedFields(input.live);
  const schema = input.kind ? schemaFor(input.kind) : schemaOf(input.live ?? applied);
  const records = decodeManagedFields(input.live && metadataOf(input.live).managedFields);
  const mine = records.find((r) => sameWriter(r, manager, 'Apply', apiVersion, subresource));
  const others = records.filter((r) => r !== mine);
  const newSet = ownable(toFieldSet(applied, schema), subresource);

  let merged = mergeApplied(live, applied, schema);
  if (mine) {
    const given = members(difference(setOf(mine), newSet));
    const owned = union(newSet, ...others.map(setOf));
    merged = removeUnowned(merged, given, owned, schema);
  }
  const changes = compare(live, merged, schema);
  const changed = ownable(union(changes.modified, changes.added), subresource);
  const removed = ownable(changes.removed, subresource);
  const conflicts = others.flatMap((owner) =>
    members(intersection(setOf(owner), changed)).map((path) => ({ owner, path })));
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);

  const next: ManagerRecord[] = others.map((r) => withoutFields(r, changed, removed));
  next.push({
    manager, operation: 'Apply', apiVersion, time: nowIso, set: newSet,
    ...(subresource ? { subresource } : {}),
  });
  const managedFields = encodeManagedFields(next);
  return { object: withManagedFields(merged, managedFields), managedFields };
}

function metadataOf(obj: JsonObject): JsonObject {
  return isJsonObject(obj.metadata) ? obj.metadata : {};
}

function withManagedFields(obj: JsonObject, entries: ManagedFieldsEntry[]): JsonObject {
  const meta: JsonObject = { ...metadataOf(obj) };
  if (entries.length > 0) meta.managedFields = entries as unknown as JsonObject[];
  else delete meta.managedFields;
  return { ...obj, metadata: meta };
}

/** UpdateInput is one non-apply write (create, update, any patch but apply). */
export interface UpdateInput {
  /** The stored object before the write; absent on create. */
  old?: JsonObject;
  /** The object about to be stored. Its managedFields, if set, replace the old ones. */
  new: JsonObject;
  /** The `fieldManager` (or the user agent's first word, as upstream falls back to). */
  manager: string;
  apiVersion: string;
  nowIso: string;
  operation: 'Update';
  subresource?: string;
  /** The kind whose schema applies; by default read from the new object's apiVersion and kind. */
  kind?: KindKey;
}

/**
 * withoutFields is a record minus the members of `changed` and `removed` (what another
 * manager's write took over or deleted). A record read as canonical FieldsV1 and holding none
 * of them is returned as it is, so it is neither decoded nor encoded again.
 */
function withoutFields(r: ManagerRecord, changed: FieldNode, removed: FieldNode): ManagerRecord {
  if (r.set === undefined && r.fieldsV1 !== undefined) {
    const kept = withoutMembersJson(withoutMembersJson(r.fieldsV1, changed), removed);
    // Still canonical FieldsV1 (withoutMembersJson's result is): kept as JSON, not as a set.
    return kept === r.fieldsV1 ? r : { ...r, fieldsV1: kept };
  }
  return { ...r, set: difference(difference(setOf(r), changed), removed) };
}

/**
 * recordUpdate computes managedFields after a non-apply write: the writer owns what it added or
 * changed (plus what it owned before and did not remove), and every other manager loses the
 * fields that were changed or removed. Conflicts never fail an update.
 *
 * Only the part of the object the write may own is compared (status for /status, the rest
 * otherwise), and entries the write leaves alone keep their FieldsV1 as read: a kubelet's
 * status update, which changes values of fields it already owns, then decodes and encodes no
 * entry at all.
 */
export function recordUpdate(input: UpdateInput): ManagedFieldsEntry[] {
  const { manager, apiVersion, nowIso, subresource } = input;
  const given = metadataOf(input.new).managedFields;
  const source = given !== undefined ? given : input.old && metadataOf(input.old).managedFields;
  const records = decodeManagedFields(source);
  const schema = input.kind ? schemaFor(input.kind) : schemaOf(input.new);
  // managedFields are never compared: with status alone in scope they are out of it anyway.
  const scoped = subresource === 'status';
  const before = scoped ? input.old ?? {} : withoutManagedFields(input.old);
  const after = scoped ? input.new : withoutManagedFields(input.new);
  const changes = compare(before, after, schema, ownableField(subresource));
  // Read before the sets below reuse compare's trees (in place: they are this write's own).
  const inScope = !isEmpty(changes.modified) || !isEmpty(changes.added) || !isEmpty(changes.removed);
  const changed = ownableOwned(takeAll(changes.modified, changes.added), subresource);
  const removed = ownableOwned(changes.removed, subresource);

  const mine = records.find((r) => sameWriter(r, manager, 'Update', apiVersion, subresource));
  const next: ManagerRecord[] = records.filter((r) => r !== mine)
    .map((r) => withoutFields(r, changed, removed));
  let set: FieldNode | undefined;
  let fieldsV1 = mine?.set === undefined ? mine?.fieldsV1 : undefined;
  let sameSet: boolean;
  if (fieldsV1 !== undefined && !sharesMember(removed, fieldsV1)) {
    // Read as canonical FieldsV1 and losing nothing: the writer's entry is that JSON with what it
    // changed written in, not read into a set to be written out again (withMembersOf). When it
    // changed only fields it owns already, that is the JSON as read.
    sameSet = membersWithin(changed, fieldsV1);
    if (!sameSet) fieldsV1 = withMembersOf(fieldsV1, changed);
  } else if (fieldsV1 !== undefined) {
    // Read as canonical FieldsV1 and losing members (compare never lists a path both removed
    // and changed, so they are not given back): the set differs, and the entry is the JSON
    // with what was removed cut out and what changed written in, on the JSON as above.
    sameSet = false;
    fieldsV1 = withMembersOf(withoutMembersJson(fieldsV1, removed), changed);
  } else {
    // Read from canonical FieldsV1 (so pruned) for this write alone, previous is the write's
    // own: the new set is made from it in place rather than as union(difference(previous,
    // removed), changed). A set decoded from other FieldsV1 may hold empty branches, which only
    // the copying operations prune.
    const fresh = mine?.set === undefined;
    const previous = mine ? setOf(mine) : newFieldSet();
    if (fresh && !overlaps(previous, removed)) {
      sameSet = isSubset(changed, previous);
      // changed is read no more (withoutFields ran above): its branches move into the set.
      set = takeAll(previous, changed);
    } else {
      set = takeAll(difference(previous, removed), changed);
      sameSet = equalSets(set, previous);
    }
  }
  // The time moves when the writer's set or the object changed; a change in scope is one.
  const touched = !sameSet || inScope ||
    !jsonEqual(withoutManagedFields(input.old), withoutManagedFields(input.new));
  const record: ManagerRecord = {
    manager, operation: 'Update', apiVersion, time: touched || !mine?.time ? nowIso : mine.time,
  };
  if (set !== undefined) record.set = set;
  else record.fieldsV1 = fieldsV1 ?? {};
  if (subresource) record.subresource = subresource;
  next.push(record);
  return encodeManagedFields(next);
}
