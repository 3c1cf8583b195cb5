/**
 * The managedFields of a create, remembered by the created object's shape. A create's record is
 * every ownable field path of the new object (nothing was there before), so it depends on the
 * object's structure — map keys, list element keys, which fields are set — and not on the values
 * of the fields no manager owns (name, uid, creationTimestamp...: upstream's StripMetaManager).
 * A ReplicaSet scaling up creates hundreds of pods that differ only there, and walking each of
 * them against its schema and encoding the field set was about half of what a pod create cost
 * the registry (~130 of ~230 us in a microbench). The memo's key is the object's JSON with those
 * values blanked (structure kept), plus manager, apiVersion and subresource; a hit gives the
 * same entries with the write's own time.
 *
 * Only creates without managedFields in the body (records of their own) are remembered, and only
 * results whose every entry carries the write's time, so the substitution is exact. Bounded:
 * MEMO_MAX keys, cleared when full.
 */
import type { KubeObject, ManagedFieldsEntry } from '../../api/meta.js';

/** Shapes remembered (one per pod template in use, with room). */
const MEMO_MAX = 64;
/** Metadata fields that are never owned: their values cannot change the record. */
const UNOWNED_META = ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'generation',
  'resourceVersion'] as const;

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

/** shapeKey: the writer and obj's JSON with the unowned metadata values blanked (kept where
 *  present, so a field's presence still counts). */
function shapeKey(obj: KubeObject, w: CreateWriter): string {
  const meta: Record<string, unknown> = { ...obj.metadata };
  for (const f of UNOWNED_META) if (meta[f] !== undefined) meta[f] = 0;
  const writer = [w.manager, w.apiVersion, w.subresource ?? ''];
  return JSON.stringify([writer, { ...obj, metadata: meta }]);
}

function withTime(entries: ManagedFieldsEntry[], nowIso: string): ManagedFieldsEntry[] {
  for (const e of entries) e.time = nowIso;
  return entries;
}
