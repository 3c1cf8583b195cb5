/**
 * Unknown-field detection for fieldValidation=Strict|Warn (kubectl sends Strict by default): the
 * body's fields are walked against the same message schema the protobuf decoder uses
 * (src/gen/k8s/schema.ts, generated from proto/k8s with upstream's field names), so a field the
 * server would silently drop — a typo like `spec.replica` — is reported with its path, in
 * kube-apiserver's words: `unknown field "spec.replica"`.
 *
 * Messages with their own JSON form (Time, Quantity, IntOrString, RawExtension, FieldsV1) are
 * leaves. A kind without a schema is not checked (nothing is reported rather than everything).
 */
import { KUBE_MESSAGES, type FieldSchema } from '../../gen/k8s/schema.js';
import { kindMessage } from '../protobuf/decode.js';
import { SPECIAL_MESSAGES } from '../protobuf/special.js';
import { isJsonObject, type KubeObject } from '../meta.js';

/** At most this many unknown fields are reported (a bound on work and message size). */
const MAX_REPORTED = 50;

/** fieldsByJson indexes a message's fields by JSON name, inlined messages merged in. */
function fieldsByJson(message: string, out = new Map<string, FieldSchema>()): Map<string, FieldSchema> {
  const schema = KUBE_MESSAGES[message];
  if (!schema) return out;
  for (const f of Object.values(schema)) {
    if (f.shape === 'inline' && f.ref) fieldsByJson(f.ref, out);
    else out.set(f.json, f);
  }
  return out;
}

const cache = new Map<string, Map<string, FieldSchema>>();
function fieldsOf(message: string): Map<string, FieldSchema> {
  let m = cache.get(message);
  if (!m) {
    m = fieldsByJson(message);
    cache.set(message, m);
  }
  return m;
}

/** unknownFields lists the paths of fields the kind does not have; [] for unchecked kinds. */
export function unknownFields(obj: KubeObject): string[] {
  const message = kindMessage(String(obj.apiVersion ?? ''), String(obj.kind ?? ''));
  if (!message) return [];
  const out: string[] = [];
  walk(obj, message, [], out, TOP_LEVEL);
  return out;
}

/** Members every object has beside its message's fields. */
const TOP_LEVEL: ReadonlySet<string> = new Set(['apiVersion', 'kind']);

/**
 * walk reports value's unknown fields under path, given as its segments (".name", "[0]"; the
 * first without its dot): a path string is only built for a field that is reported. Every
 * write's body is walked (a status write's whole pod), nearly always without a finding, so the
 * walk itself builds nothing per field.
 */
function walk(value: unknown, message: string, path: string[], out: string[],
  extra?: ReadonlySet<string>): void {
  if (out.length >= MAX_REPORTED || SPECIAL_MESSAGES[message] || !isJsonObject(value)) return;
  const fields = fieldsOf(message);
  if (fields.size === 0) return;
  for (const key of Object.keys(value)) {
    const f = fields.get(key);
    if (!f) {
      if (!extra?.has(key)) out.push(pathString(path, key));
      if (out.length >= MAX_REPORTED) return;
      continue;
    }
    const v = value[key];
    if (f.type !== 'message' || !f.ref || v === null || v === undefined) continue;
    path.push(path.length === 0 ? key : `.${key}`);
    if (f.mapKey !== undefined) {
      if (isJsonObject(v)) for (const k of Object.keys(v)) walkAt(v[k], f.ref, `[${k}]`, path, out);
    } else if (f.repeated) {
      if (Array.isArray(v)) v.forEach((item, i) => walkAt(item, f.ref ?? '', `[${i}]`, path, out));
    } else {
      walk(v, f.ref, path, out);
    }
    path.pop();
  }
}

/** walkAt walks a map's or a list's item at path + segment ("[key]", "[0]"). */
function walkAt(item: unknown, message: string, segment: string, path: string[], out: string[]): void {
  path.push(segment);
  walk(item, message, path, out);
  path.pop();
}

/** pathString: the reported path of field key under path. */
function pathString(path: readonly string[], key: string): string {
  return path.length === 0 ? key : `${path.join('')}.${key}`;
}

/** unknownFieldMessage renders upstream's strict-decoding message for a list of paths. */
export function unknownFieldMessage(paths: string[]): string {
  return `strict decoding error: ${paths.map((p) => `unknown field "${p}"`).join(', ')}`;
}
