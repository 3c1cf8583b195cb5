/**
 * PATCH bodies and managed fields, between the registry and the pure patch code in src/api/patch
 * and src/api/apply: decode the body for its patch type (JSON, or YAML for server-side apply),
 * apply it, and keep metadata.managedFields current on every write.
 */
import { badRequest } from '../../api/errors.js';
import { isJsonObject, type JsonObject, type KubeObject, type ManagedFieldsEntry } from '../../api/meta.js';
import { applyPatch, recordUpdate } from '../../api/apply/index.js';
import { applyJsonPatch, mergePatch, strategicMergePatch } from '../../api/patch/index.js';
import { parseJson } from '../../api/text-codec.js';
import { createdFields, type CreateWriter } from './created-fields.js';
import type { PatchType } from './types.js';

/** KindKey names the kind whose schema a strategic merge patch follows. */
export interface KindKey {
  group: string;
  kind: string;
}

/** isApplyPatch: server-side apply rather than a patch of the current object. */
export function isApplyPatch(type: PatchType): boolean {
  return type === 'application/apply-patch+yaml';
}

/** applyPatchBody patches current with a JSON, merge or strategic merge patch body. */
export function applyPatchBody(kind: KindKey, current: KubeObject, type: PatchType, body: string): KubeObject {
  const patch = parseJson(body);
  let out: unknown;
  switch (type) {
    case 'application/json-patch+json':
      if (!Array.isArray(patch)) throw badRequest('a JSON patch must be a JSON array of operations');
      out = applyJsonPatch(current as unknown as JsonObject, patch);
      break;
    case 'application/merge-patch+json':
      if (!isJsonObject(patch)) throw badRequest('a merge patch must be a JSON object');
      out = mergePatch(current as unknown as JsonObject, patch);
      break;
    case 'application/strategic-merge-patch+json':
      if (!isJsonObject(patch)) throw badRequest('a strategic merge patch must be a JSON object');
      out = strategicMergePatch(kind, current as unknown as JsonObject, patch);
      break;
    default:
      throw badRequest(`unsupported patch type ${type}`);
  }
  if (!isJsonObject(out) || !isJsonObject(out.metadata)) throw badRequest('the patch removed the object\'s metadata');
  return out as unknown as KubeObject;
}

/** ApplyRequest is one server-side apply. */
export interface ApplyRequest {
  live: KubeObject | undefined;
  /** The applied configuration, already decoded from the request's YAML or JSON. */
  applied: JsonObject;
  manager: string;
  force: boolean;
  apiVersion: string;
  nowIso: string;
  kind: KindKey;
}

/** serverSideApply merges an applied configuration into live (or makes it the new object). */
export function serverSideApply(r: ApplyRequest): KubeObject {
  const out = applyPatch({
    live: r.live as unknown as JsonObject | undefined,
    applied: r.applied,
    manager: r.manager,
    force: r.force,
    apiVersion: r.apiVersion,
    nowIso: r.nowIso,
    kind: r.kind,
  });
  const obj = out.object as unknown as KubeObject;
  obj.metadata ??= {};
  obj.metadata.managedFields = out.managedFields;
  return obj;
}

/** recordManagedUpdate returns managedFields after a non-apply write by manager (a create's
 *  remembered by the object's shape: created-fields.ts). */
export function recordManagedUpdate(
  old: KubeObject | undefined,
  next: KubeObject,
  o: CreateWriter,
): ManagedFieldsEntry[] {
  const record = (): ManagedFieldsEntry[] => recordUpdate({
    old: old as unknown as JsonObject | undefined,
    new: next as unknown as JsonObject,
    manager: o.manager,
    apiVersion: o.apiVersion,
    nowIso: o.nowIso,
    operation: 'Update',
    ...(o.subresource ? { subresource: o.subresource } : {}),
  });
  return old === undefined ? createdFields(next, o, record) : record();
}
