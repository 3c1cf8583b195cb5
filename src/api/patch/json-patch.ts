/**
 * JSON patch (RFC 6902, `application/json-patch+json`): what `kubectl rollout undo` sends, and
 * what controllers use for precise edits guarded by `test`. Operations run in order on a private
 * copy of the document; the first failing operation aborts the whole patch and the input is
 * left untouched (RFC 6902 §5: a patch is atomic).
 *
 * Failures are answered as kube-apiserver answers them (staging/.../handlers/patch.go, which
 * runs evanphx/json-patch):
 * - a body that does not decode as a list of operations: 400 BadRequest with the decoder's text;
 * - more than 10000 operations: 413 `The allowed maximum operations in a JSON patch is 10000,
 *   got N`;
 * - any operation that does not apply (failed `test`, missing path, bad index, unknown op):
 *   422 Invalid with the generic text `the server rejected our request due to an error in our
 *   request` and empty details; the specific reason never reaches the client (kept here as the
 *   error's `cause` for logs).
 *
 * Like evanphx/json-patch (and unlike the strict RFC), array indices may be negative (counted
 * from the end) and may carry leading zeros; `-` means "after the last element" for `add`.
 */
import { StatusError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../meta.js';
import { cloneJson, jsonEqual } from './json.js';

/** The most operations one JSON patch may carry (kube-apiserver's maxJSONPatchOperations). */
export const JSON_PATCH_OPERATIONS_MAX = 10000;

/** The only message a client sees when a JSON patch operation does not apply. */
export const JSON_PATCH_NOT_APPLIED_MESSAGE =
  'the server rejected our request due to an error in our request';

/** JsonPatchOperation is one RFC 6902 operation as it arrives (unvalidated). */
export interface JsonPatchOperation {
  op?: JsonValue;
  path?: JsonValue;
  from?: JsonValue;
  value?: JsonValue;
}

type Container = JsonObject | JsonValue[];

/** notApplied is the 422 every failing operation produces; `why` is for logs only. */
function notApplied(why: string): StatusError {
  const err = new StatusError(422, 'Invalid', JSON_PATCH_NOT_APPLIED_MESSAGE, {});
  Object.defineProperty(err, 'cause', { value: new Error(why), enumerable: false });
  return err;
}

/** decodeJsonPatch checks a parsed body is a list of operation objects (400 otherwise). */
export function decodeJsonPatch(body: JsonValue): JsonPatchOperation[] {
  if (!Array.isArray(body)) {
    const t = body === null ? 'null' : typeof body === 'object' ? 'object' : typeof body;
    if (t !== 'null') throw badDecode(cannotUnmarshal(t, 'jsonpatch.Patch'));
    return [];
  }
  for (const op of body) {
    if (op !== null && !isJsonObject(op)) {
      const t = Array.isArray(op) ? 'array' : typeof op;
      throw badDecode(cannotUnmarshal(t, 'jsonpatch.Operation'));
    }
  }
  if (body.length > JSON_PATCH_OPERATIONS_MAX) {
    const msg = `The allowed maximum operations in a JSON patch is ${JSON_PATCH_OPERATIONS_MAX}, ` +
      `got ${body.length}`;
    throw new StatusError(413, 'RequestEntityTooLarge', msg);
  }
  return body.map((op) => (op ?? {}) as JsonPatchOperation);
}

/** cannotUnmarshal words a type mismatch as Go's encoding/json does. */
function cannotUnmarshal(jsType: string, goType: string): string {
  const kind = jsType === 'boolean' ? 'bool' : jsType;
  return `json: cannot unmarshal ${kind} into Go value of type ${goType}`;
}

function badDecode(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/**
 * applyJsonPatch applies a decoded JSON patch body to a document and returns the new document.
 * The input is never modified; on failure it throws the StatusError kube-apiserver would send.
 */
export function applyJsonPatch(doc: JsonValue, body: JsonValue): JsonValue {
  const ops = decodeJsonPatch(body);
  let work: JsonValue = cloneJson(doc);
  for (const [i, op] of ops.entries()) {
    work = applyOperation(work, op, i);
  }
  return work;
}

function applyOperation(doc: JsonValue, op: JsonPatchOperation, index: number): JsonValue {
  const path = pointerOf(op.path, 'path', index);
  switch (op.op) {
    case 'add':
      return add(doc, path, requireValue(op, index));
    case 'remove':
      return remove(doc, path).doc;
    case 'replace':
      return replace(doc, path, requireValue(op, index));
    case 'move': {
      const from = pointerOf(op.from, 'from', index);
      if (isProperPrefix(from, path)) throw notApplied(`move from ${from} into its own child`);
      const taken = remove(doc, from);
      return add(taken.doc, path, taken.value);
    }
    case 'copy': {
      const from = pointerOf(op.from, 'from', index);
      return add(doc, path, cloneJson(get(doc, from)));
    }
    case 'test':
      if (!jsonEqual(get(doc, path), requireValue(op, index))) {
        throw notApplied(`testing value ${path} failed: test failed`);
      }
      return doc;
    default:
      throw notApplied(`Unexpected kind: ${String(op.op)}`);
  }
}

function requireValue(op: JsonPatchOperation, index: number): JsonValue {
  if (!('value' in op) || op.value === undefined) {
    throw notApplied(`operation ${index}: missing value`);
  }
  return cloneJson(op.value);
}

function pointerOf(v: JsonValue | undefined, field: string, index: number): string {
  if (typeof v !== 'string') throw notApplied(`operation ${index}: missing ${field} field`);
  if (v !== '' && !v.startsWith('/')) throw notApplied(`operation ${index}: bad pointer ${v}`);
  return v;
}

/** parsePointer splits an RFC 6901 pointer into unescaped reference tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** escapePointerToken escapes one token for use in a pointer (~ first, then /). */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function isProperPrefix(from: string, path: string): boolean {
  return path.startsWith(`${from}/`);
}

/** parent resolves every token but the last; the container must exist. */
function parent(doc: JsonValue, pointer: string): { container: Container; key: string } {
  const tokens = parsePointer(pointer);
  const key = tokens.pop();
  if (key === undefined) throw new Error('parent of the root pointer');
  let cur: JsonValue = doc;
  for (const t of tokens) {
    const next = child(cur, t);
    if (next === undefined) throw notApplied(`doc is missing path: ${pointer}`);
    cur = next;
  }
  if (!Array.isArray(cur) && !isJsonObject(cur)) {
    throw notApplied(`doc is missing path: ${pointer}`);
  }
  return { container: cur, key };
}

function child(cur: JsonValue, token: string): JsonValue | undefined {
  if (Array.isArray(cur)) {
    const i = arrayIndex(token, cur.length, false);
    return i === undefined ? undefined : cur[i];
  }
  if (isJsonObject(cur)) return Object.hasOwn(cur, token) ? cur[token] : undefined;
  return undefined;
}

/** arrayIndex parses an index token; `forAdd` allows index == length (insert at the end). */
function arrayIndex(token: string, length: number, forAdd: boolean): number | undefined {
  if (!/^[+-]?\d+$/.test(token)) return undefined;
  let i = Number(token);
  const size = forAdd ? length + 1 : length;
  if (i < 0) {
    if (i < -size) return undefined;
    i += size;
  }
  return i < size ? i : undefined;
}

function get(doc: JsonValue, pointer: string): JsonValue {
  if (pointer === '') return doc;
  const { container, key } = parent(doc, pointer);
  const v = child(container, key);
  if (v === undefined) throw notApplied(`doc is missing key: ${pointer}`);
  return v;
}

function add(doc: JsonValue, pointer: string, value: JsonValue): JsonValue {
  if (pointer === '') return value;
  const { container, key } = parent(doc, pointer);
  if (Array.isArray(container)) {
    const i = key === '-' ? container.length : arrayIndex(key, container.length, true);
    if (i === undefined) throw notApplied(`Unable to access invalid index: ${key}`);
    container.splice(i, 0, value);
  } else {
    container[key] = value;
  }
  return doc;
}

function remove(doc: JsonValue, pointer: string): { doc: JsonValue; value: JsonValue } {
  if (pointer === '') throw notApplied('cannot remove the whole document');
  const { container, key } = parent(doc, pointer);
  if (Array.isArray(container)) {
    const i = arrayIndex(key, container.length, false);
    if (i === undefined) throw notApplied(`Unable to access invalid index: ${key}`);
    const [value] = container.splice(i, 1);
    return { doc, value: value ?? null };
  }
  if (!Object.hasOwn(container, key)) throw notApplied(`doc is missing key: ${pointer}`);
  const value = container[key] ?? null;
  delete container[key];
  return { doc, value };
}

function replace(doc: JsonValue, pointer: string, value: JsonValue): JsonValue {
  if (pointer === '') return value;
  const { container, key } = parent(doc, pointer);
  if (Array.isArray(container)) {
    const i = arrayIndex(key, container.length, false);
    if (i === undefined) throw notApplied(`Unable to access invalid index: ${key}`);
    container[i] = value;
    return doc;
  }
  if (!Object.hasOwn(container, key)) throw notApplied(`doc is missing key: ${pointer}`);
  container[key] = value;
  return doc;
}
