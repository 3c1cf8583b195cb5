/**
 * Kubernetes protobuf request bodies → the JSON a JSON client would have sent. kubectl 1.32+
 * typed clients (`create namespace|deployment|secret|...`, `create token`, `autoscale`,
 * `auth can-i`) POST `application/vnd.kubernetes.protobuf` and never fall back to JSON, so the
 * API server must read them; everything behind the REST face then sees ordinary JSON.
 *
 * A body is the magic "k8s\0" and a runtime.Unknown {typeMeta, raw, contentEncoding,
 * contentType}; raw is the object in the kind's own message. The walk is driven by the table
 * generated from proto/k8s (src/gen/k8s/schema.ts) and reproduces Go's encoding/json rules for
 * the struct behind each message, because that is what kube-apiserver stores and serves:
 * - a value field tagged omitempty drops zero scalars and empty lists and maps, but a struct is
 *   always written: `spec: {}`, `status: {}`, and metav1.Time's zero as
 *   `creationTimestamp: null`, exactly as `kubectl create ... --dry-run=client -o json` prints;
 * - a pointer field is written exactly when it is on the wire (proto2 presence), so
 *   `replicas: 0` survives;
 * - a field without omitempty is always written (an unset list as null);
 * - map keys come out sorted, bytes as base64, and Time, Quantity, IntOrString, RawExtension and
 *   FieldsV1 as their own JSON forms (special.ts).
 * Unknown fields are skipped, as upstream's decoder skips them. The decoder is pure and bounded:
 * every length is checked against the body and nesting stops at MAX_DEPTH.
 */
import { KUBE_MESSAGES, type FieldSchema, type ScalarType } from '../../gen/k8s/schema.js';
import { badRequest } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from '../meta.js';
import { SPECIAL_MESSAGES } from './special.js';
import { WireReader, readFields, type WireField } from './wire.js';

/** PROTOBUF_MAGIC starts every Kubernetes protobuf body: "k8s" and a zero byte. */
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
/** The content type an embedded object may declare (empty means the same). */
const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
/** MAX_DEPTH bounds message nesting; the deepest served kind nests about a dozen levels. */
export const MAX_DEPTH = 100;

/** API group → the package directory of its messages (k8s.io.api.<package>.<version>). */
const GROUP_PACKAGES: { readonly [group: string]: string } = {
  '': 'core',
  apps: 'apps',
  batch: 'batch',
  'coordination.k8s.io': 'coordination',
  'discovery.k8s.io': 'discovery',
  autoscaling: 'autoscaling',
  policy: 'policy',
  'authorization.k8s.io': 'authorization',
  'authentication.k8s.io': 'authentication',
};

/** The kinds a body may carry, by apiVersion: what k8ts serves and kubectl's typed calls send. */
const KINDS: { readonly [apiVersion: string]: readonly string[] } = {
  v1: [
    'Namespace', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'Pod', 'Node', 'Event',
    'Endpoints', 'Binding',
  ],
  'apps/v1': ['Deployment', 'ReplicaSet', 'DaemonSet'],
  'batch/v1': ['Job'],
  'coordination.k8s.io/v1': ['Lease'],
  'discovery.k8s.io/v1': ['EndpointSlice'],
  'autoscaling/v1': ['Scale', 'HorizontalPodAutoscaler'],
  'autoscaling/v2': ['HorizontalPodAutoscaler'],
  'policy/v1': ['Eviction'],
  'authorization.k8s.io/v1': ['SelfSubjectAccessReview'],
  'authentication.k8s.io/v1': ['TokenRequest'],
};

/** kindMessage is the full message name of a registered kind, or undefined. */
export function kindMessage(apiVersion: string, kind: string): string | undefined {
  if (!KINDS[apiVersion]?.includes(kind)) return undefined;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const pkg = GROUP_PACKAGES[group];
  return pkg === undefined ? undefined : `k8s.io.api.${pkg}.${version}.${kind}`;
}

/** decodeKubeProtobuf decodes one body; every failure is a 400 BadRequest saying what. */
export function decodeKubeProtobuf(body: Buffer): KubeObject {
  const magic = PROTOBUF_MAGIC;
  if (body.length < magic.length || !body.subarray(0, magic.length).equals(magic)) {
    const prefix = `[${[...magic].join(' ')}]`;
    throw badRequest(
      `provided data does not appear to be a protobuf message, expected prefix ${prefix}`,
    );
  }
  const at = 'runtime.Unknown';
  const envelope = readFields(body.subarray(magic.length), at);
  const typeMeta = readFields(lastBytes(envelope, 1, at), 'runtime.TypeMeta');
  const apiVersion = utf8(lastBytes(typeMeta, 1, 'runtime.TypeMeta'));
  const kind = utf8(lastBytes(typeMeta, 2, 'runtime.TypeMeta'));
  const encoding = utf8(lastBytes(envelope, 3, at));
  const contentType = utf8(lastBytes(envelope, 4, at));
  if (kind === '') throw badRequest("Object 'Kind' is missing in the protobuf body");
  if (encoding !== '') throw badRequest(`protobuf body: unsupported contentEncoding "${encoding}"`);
  if (contentType !== '' && contentType !== PROTOBUF_CONTENT_TYPE) {
    throw badRequest(`protobuf body: unsupported contentType "${contentType}"`);
  }
  const message = kindMessage(apiVersion, kind);
  if (message === undefined) {
    throw badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  }
  const object = decodeMessage(lastBytes(envelope, 2, at), message, kind, 0);
  if (!isJsonObject(object.metadata)) throw badRequest(`protobuf body: ${kind} has no metadata`);
  return { kind, apiVersion, ...object } as KubeObject;
}

/** decodeMessage turns one message into its JSON object; `path` names it in errors. */
export function decodeMessage(
  bytes: Uint8Array,
  typeName: string,
  path: string,
  depth: number,
): JsonObject {
  if (depth > MAX_DEPTH) throw badRequest(`protobuf body: nesting deeper than ${MAX_DEPTH}`);
  const schema = KUBE_MESSAGES[typeName];
  if (schema === undefined) throw new Error(`k8ts: no schema for ${typeName}`);
  const wire = readFields(bytes, path);
  const out: JsonObject = {};
  for (const [number, field] of Object.entries(schema)) {
    const occurrences = wire.get(Number(number)) ?? [];
    const at = `${path}.${field.json}`;
    if (field.shape === 'inline') {
      Object.assign(out, decodeMessage(joined(occurrences, at), refOf(field), path, depth + 1));
      continue;
    }
    const value = field.mapKey
      ? mapValue(occurrences, field, at, depth)
      : field.repeated
        ? listValue(occurrences, field, at, depth)
        : singleValue(occurrences, field, at, depth);
    if (value !== undefined) out[field.json] = value;
  }
  return out;
}

/** singleValue applies the Go shape to a non-repeated field; undefined leaves it out. */
function singleValue(
  occurrences: WireField[],
  field: FieldSchema,
  at: string,
  depth: number,
): JsonValue | undefined {
  const present = occurrences.length > 0;
  if (field.shape === 'pointer' && !present) return undefined;
  if (field.type === 'message') {
    return messageValue(present ? joined(occurrences, at) : undefined, refOf(field), at, depth);
  }
  const last = occurrences.at(-1);
  const value = last === undefined ? zeroOf(field.type) : scalarsOf(last, field.type, at)[0];
  if (value === undefined) throw badRequest(`protobuf body: empty packed value at ${at}`);
  if (field.shape === 'pointer' || field.shape === 'always') return value;
  return isZero(value) ? undefined : value;
}

/** listValue decodes a repeated field; an empty list is left out, or null without omitempty. */
function listValue(
  occurrences: WireField[],
  field: FieldSchema,
  at: string,
  depth: number,
): JsonValue | undefined {
  const items: JsonValue[] = [];
  for (const occurrence of occurrences) {
    const itemAt = `${at}[${items.length}]`;
    if (field.type !== 'message') {
      items.push(...scalarsOf(occurrence, field.type, itemAt));
      continue;
    }
    items.push(messageValue(bytesOf(occurrence, itemAt), refOf(field), itemAt, depth));
  }
  if (items.length > 0) return items;
  return field.shape === 'always' ? null : undefined;
}

/** mapValue decodes map entries {1: key, 2: value}; Go writes the keys sorted. */
function mapValue(
  occurrences: WireField[],
  field: FieldSchema,
  at: string,
  depth: number,
): JsonValue | undefined {
  const entries = new Map<string, JsonValue>();
  for (const occurrence of occurrences) {
    const entry = readFields(bytesOf(occurrence, at), at);
    const keyField = entry.get(1)?.at(-1);
    const keyType = field.mapKey ?? 'string';
    const key = keyField === undefined ? zeroOf(keyType) : scalarsOf(keyField, keyType, at)[0];
    const valueAt = `${at}[${String(key)}]`;
    const value = entry.get(2) ?? [];
    entries.set(
      String(key),
      field.type === 'message'
        ? messageValue(joined(value, valueAt), refOf(field), valueAt, depth)
        : (singleValue(value, { ...field, shape: 'always' }, valueAt, depth) ?? null),
    );
  }
  if (entries.size === 0) return field.shape === 'always' ? null : undefined;
  const out: JsonObject = {};
  for (const key of [...entries.keys()].sort()) out[key] = entries.get(key);
  return out;
}

/** messageValue decodes a message or a special type; undefined bytes is Go's zero value. */
function messageValue(
  bytes: Uint8Array | undefined,
  typeName: string,
  at: string,
  depth: number,
): JsonValue {
  const special = SPECIAL_MESSAGES[typeName];
  if (special) return special(bytes, at);
  return decodeMessage(bytes ?? new Uint8Array(), typeName, at, depth + 1);
}

/**
 * scalarsOf reads one occurrence of a scalar field: one value, or several when a repeated
 * number field arrives packed (wire type 2) as proto3 writers do.
 */
function scalarsOf(field: WireField, type: ScalarType, at: string): JsonValue[] {
  if (type === 'string') return [utf8(bytesOf(field, at))];
  if (type === 'bytes') return [Buffer.from(bytesOf(field, at)).toString('base64')];
  if (field.wireType === 2) return packed(field.bytes, type, at);
  if (type === 'double' || type === 'float') {
    const size = type === 'double' ? 8 : 4;
    if (field.wireType === 0 || field.bytes.length !== size) throw wrongType(at, type);
    const view = Buffer.from(field.bytes);
    return [type === 'double' ? view.readDoubleLE(0) : view.readFloatLE(0)];
  }
  if (field.wireType !== 0) throw wrongType(at, type);
  return [integer(field.varint, type, at)];
}

function packed(bytes: Uint8Array, type: ScalarType, at: string): JsonValue[] {
  const out: JsonValue[] = [];
  const reader = new WireReader(bytes, at);
  while (!reader.done) {
    if (type === 'double') out.push(Buffer.from(reader.take(8)).readDoubleLE(0));
    else if (type === 'float') out.push(Buffer.from(reader.take(4)).readFloatLE(0));
    else out.push(integer(reader.varint(), type, at));
  }
  return out;
}

/** integer converts a varint; 64-bit values must fit a JavaScript number exactly. */
function integer(raw: bigint, type: ScalarType, at: string): JsonValue {
  switch (type) {
    case 'bool':
      return raw !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, raw));
    case 'uint32':
      return Number(BigInt.asUintN(32, raw));
    case 'int64':
    case 'uint64': {
      const value = type === 'int64' ? BigInt.asIntN(64, raw) : raw;
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw badRequest(`protobuf body: ${value} too large at ${at}`);
      return n;
    }
    default:
      throw wrongType(at, type);
  }
}

function zeroOf(type: ScalarType): JsonValue {
  if (type === 'string' || type === 'bytes') return '';
  return type === 'bool' ? false : 0;
}

function isZero(value: JsonValue): boolean {
  return value === '' || value === 0 || value === false;
}

function wrongType(at: string, type: string): Error {
  return badRequest(`protobuf body: wrong wire type for ${type} at ${at}`);
}

function refOf(field: FieldSchema): string {
  if (field.ref === undefined) throw new Error(`k8ts: message field ${field.json} without ref`);
  return field.ref;
}

function bytesOf(field: WireField, at: string): Uint8Array {
  if (field.wireType !== 2) throw badRequest(`protobuf body: expected bytes at ${at}`);
  return field.bytes;
}

/** joined concatenates a message's occurrences: protobuf merges repeated sub-messages. */
function joined(occurrences: WireField[], at: string): Uint8Array {
  if (occurrences.length === 1 && occurrences[0]) return bytesOf(occurrences[0], at);
  return Buffer.concat(occurrences.map((o) => bytesOf(o, at)));
}

function lastBytes(fields: Map<number, WireField[]>, n: number, at: string): Uint8Array {
  const f = fields.get(n)?.at(-1);
  return f === undefined ? new Uint8Array() : bytesOf(f, at);
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
