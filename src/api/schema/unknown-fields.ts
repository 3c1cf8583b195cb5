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
  walk(obj, message, { steps: [], kinds: [] }, out, TOP_LEVEL);
  return out;
}

/** Members every object has beside its message's fields. */
const TOP_LEVEL: ReadonlySet<string> = new Set(['apiVersion', 'kind']);

/**
 * Path is where the walk is: one entry per step, a field's name, a map's key or a list's index,
 * with its kind beside it (kinds[i]: FIELD, KEY, INDEX). Steps are pushed as they are (strings
 * from the body, small integers), so walking builds nothing; the path string (".name", "[k]",
 * "[0]"; the first without its dot) is only rendered for a field that is reported.
 */
interface Path {
  steps: (string | number)[];
  kinds: number[];
}

const FIELD = 0;
const KEY = 1;
const INDEX = 2;

/**
 * walk reports value's unknown fields under path. Every write's body is walked (a status
 * write's whole pod), nearly always without a finding, so the walk allocates nothing per field:
 * no key arrays (for-in over own keys), no segment strings, no closures.
 */
function walk(value: unknown, message: string, path: Path, out: string[],
  extra?: ReadonlySet<string>): void {
  if (out.length >= MAX_REPORTED || SPECIAL_MESSAGES[message] || !isJsonObject(value)) return;
  const fields = fieldsOf(message);
  if (fields.size === 0) return;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const f = fields.get(key);
    if (!f) {
      if (!extra?.has(key)) out.push(pathString(path, key));
      if (out.length >= MAX_REPORTED) return;
      continue;
    }
    const v = value[key];
    const ref = f.ref;
    if (f.type !== 'message' || !ref || v === null || v === undefined) continue;
    enter(path, key, FIELD);
    if (f.mapKey !== undefined) {
      if (isJsonObject(v)) {
        for (const k in v) if (Object.hasOwn(v, k)) walkAt(v[k], ref, k, KEY, path, out);
      }
    } else if (f.repeated) {
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walkAt(v[i], ref, i, INDEX, path, out);
    } else {
      walk(v, ref, path, out);
    }
    leave(path);
  }
}

/** walkAt walks a map's or a list's item one step below path. */
function walkAt(item: unknown, message: string, step: string | number, kind: number, path: Path,
  out: string[]): void {
  enter(path, step, kind);
  walk(item, message, path, out);
  leave(path);
}

function enter(path: Path, step: string | number, kind: number): void {
  path.steps.push(step);
  path.kinds.push(kind);
}

function leave(path: Path): void {
  path.steps.pop();
  path.kinds.pop();
}

/** pathString: the reported path of field key under path. */
function pathString(path: Path, key: string): string {
  let s = '';
  for (let i = 0; i < path.steps.length; i++) {
    const step = path.steps[i];
    const kind = path.kinds[i];
    s += kind === FIELD ? (i === 0 ? `${step}` : `.${step}`) : `[${step}]`;
  }
  return path.steps.length === 0 ? key : `${s}.${key}`;
}

/** unknownFieldMessage renders upstream's strict-decoding message for a list of paths. */
export function unknownFieldMessage(paths: string[]): string {
  return `strict decoding error: ${paths.map((p) => `unknown field "${p}"`).join(', ')}`;
}
