/**
 * JSON merge patch (RFC 7386, `application/merge-patch+json`): what `kubectl label`, `annotate`
 * and `scale` send. Objects merge key by key, `null` deletes a key, anything else (arrays
 * included) replaces the target wholesale. Lists are never merged here: that is what strategic
 * merge patch adds on top.
 *
 * kube-apiserver runs evanphx/json-patch's MergePatch and answers 400 `Invalid JSON Patch` when
 * the body is not a JSON object; a body that is not a JSON document at all is rejected earlier
 * by the HTTP layer, so it never reaches this file.
 */
import { badRequest } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../meta.js';
import { cloneJson } from './json.js';

/** The 400 message kube-apiserver gives a merge patch that is not a JSON object. */
export const BAD_MERGE_PATCH_MESSAGE = 'Invalid JSON Patch';

/**
 * mergePatch is RFC 7386's MergePatch(Target, Patch) over plain JSON: it returns a new value
 * and shares no mutable structure with either input, so a stored object stays untouched.
 */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      delete out[name];
      continue;
    }
    out[name] = mergePatch(out[name], value);
  }
  // Members copied from the target but not patched are still shared: copy them too, so the
  // result can be edited without reaching back into the original.
  return isJsonObject(target) ? unshare(out, target, patch) : out;
}

function unshare(out: JsonObject, target: JsonObject, patch: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(out)) {
    if (!(k in patch) && v === target[k] && v !== undefined) out[k] = cloneJson(v);
  }
  return out;
}

/**
 * applyMergePatch patches a whole API object. The body must be a JSON object (a merge patch
 * whose top level is an array or scalar would replace the object with something that is not
 * one), else 400 as kube-apiserver answers.
 */
export function applyMergePatch(original: JsonObject, patch: JsonValue): JsonObject {
  if (!isJsonObject(patch)) throw badRequest(BAD_MERGE_PATCH_MESSAGE);
  const out = mergePatch(original, patch);
  if (!isJsonObject(out)) throw new Error('merge patch of two objects must give an object');
  return out;
}
