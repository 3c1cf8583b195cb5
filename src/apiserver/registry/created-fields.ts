/**
 * The managedFields of a create, remembered by the created object's shape. A create's record is
 * every ownable field path of the new object (nothing was there before), so it depends on the
 * object's structure — map keys, list element keys, which fields are set — and not on the values
 * of its fields: a path names a member of a map or struct by its key, and values enter a path
 * only inside lists (list-map keys, set members). A ReplicaSet scaling up creates hundreds of
 * pods that differ only in values, and walking each of them against its schema and encoding the
 * field set was about half of what a pod create cost the registry (~130 of ~230 us in a
 * microbench). The memo's key is the object's JSON with the member values outside lists blanked
 * (structure kept), plus manager, apiVersion and subresource; a hit gives the same entries with
 * the write's own time. Events, which differ in every value (message, involved object, times),
 * share a few shapes: a burst's Events no longer miss the memo one by one and, by filling it,
 * clear the pod templates' shapes out of it.
 *
 * Only creates without managedFields in the body (records of their own) are remembered, and only
 * results whose every entry carries the write's time, so the substitution is exact. Bounded:
 * MEMO_MAX keys, cleared when full.
 */
import type { KubeObject, ManagedFieldsEntry } from '../../api/meta.js';

/** Shapes remembered (one per pod template in use, with room). */
const MEMO_MAX = 64;

const memo = new Map<string, string>();

/** CreateWriter: who records the create (part of the memo key). */
export interface CreateWriter {
  manager: string;
  apiVersion: string;
  nowIso: string;
  subresource?: string;
}

/**
 * createdFields returns record(obj)'s result — record being the managed-fields computation for
 * a create of obj by w — from the memo when an object of the same shape was recorded before.
 */
export function createdFields(
  obj: KubeObject,
  w: CreateWriter,
  record: () => ManagedFieldsEntry[],
): ManagedFieldsEntry[] {
  if (obj.metadata.managedFields !== undefined) return record();
  const key = shapeKey(obj, w);
  const hit = memo.get(key);
  if (hit !== undefined) return withTime(JSON.parse(hit) as ManagedFieldsEntry[], w.nowIso);
  const entries = record();
  if (entries.every((e) => e.time === w.nowIso)) {
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(key, JSON.stringify(entries));
  }
  return entries;
}

/** shapeKey: the writer and obj's JSON with every value that cannot name a field blanked. */
function shapeKey(obj: KubeObject, w: CreateWriter): string {
  const writer = [w.manager, w.apiVersion, w.subresource ?? ''];
  const top: Record<string, unknown> = { ...obj };
  for (const k of Object.keys(top)) {
    // apiVersion and kind pick the schema the record is made with: kept.
    if (k !== 'apiVersion' && k !== 'kind') top[k] = structure(top[k]);
  }
  return JSON.stringify([writer, top]);
}

/**
 * structure: v with every scalar that is a map's or struct's member value (not inside a list)
 * made 0 — presence kept, value dropped. A create's record holds only paths, and a path names a
 * member by its key; values enter a path only inside lists (list-map keys, set members), so
 * lists are kept whole. Events (unique messages, names, uids, times) and pods of one template
 * then share one shape. null stays null.
 */
function structure(v: unknown): unknown {
  if (v === null || Array.isArray(v)) return v;
  if (typeof v !== 'object') return 0;
  const out: Record<string, unknown> = {};
  // for-in, not Object.entries (a [key, value] array per member, per create): a decoded body
  // has no inherited enumerable keys, so the members and their order are the same.
  const o = v as Record<string, unknown>;
  for (const k in o) out[k] = structure(o[k]);
  return out;
}

function withTime(entries: ManagedFieldsEntry[], nowIso: string): ManagedFieldsEntry[] {
  for (const e of entries) e.time = nowIso;
  return entries;
}
