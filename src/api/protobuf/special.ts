/**
 * The apimachinery types whose JSON is not their protobuf shape: Go gives each a MarshalJSON of
 * its own, so a decoder that walked their fields would produce objects where a JSON client sends
 * a string, a number or an embedded document. Each converter takes the field's bytes (undefined
 * when the field is absent, which Go decodes as the zero value) and returns the JSON.
 */
import { badRequest } from '../errors.js';
import type { JsonValue } from '../meta.js';
import { readFields, type WireField } from './wire.js';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** SpecialConverter turns one encoded special message into its JSON. */
export type SpecialConverter = (bytes: Uint8Array | undefined, at: string) => JsonValue;

/** SPECIAL_MESSAGES maps a message's full name to its converter. */
export const SPECIAL_MESSAGES: { readonly [fullName: string]: SpecialConverter } = {
  [`${META}.Time`]: (bytes, at) => timestamp(bytes, at, false),
  [`${META}.MicroTime`]: (bytes, at) => timestamp(bytes, at, true),
  [`${META}.FieldsV1`]: rawJson,
  'k8s.io.apimachinery.pkg.runtime.RawExtension': rawJson,
  'k8s.io.apimachinery.pkg.api.resource.Quantity': quantity,
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': intOrString,
};

function lastVarint(fields: Map<number, WireField[]>, n: number, at: string): bigint {
  const f = fields.get(n)?.at(-1);
  if (f === undefined) return 0n;
  if (f.wireType !== 0) throw badRequest(`protobuf body: field ${n} is not a varint in ${at}`);
  return f.varint;
}

function lastBytes(fields: Map<number, WireField[]>, n: number, at: string): Uint8Array {
  const f = fields.get(n)?.at(-1);
  if (f === undefined) return new Uint8Array();
  if (f.wireType !== 2) throw badRequest(`protobuf body: field ${n} is not bytes in ${at}`);
  return f.bytes;
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/**
 * timestamp: metav1.Time and MicroTime travel as {seconds, nanos}. No bytes at all is Go's zero
 * time, which marshals as null. Time drops the nanoseconds on decode (its JSON has second
 * precision) and MicroTime keeps microseconds; both print in UTC.
 */
function timestamp(bytes: Uint8Array | undefined, at: string, micro: boolean): JsonValue {
  if (bytes === undefined || bytes.length === 0) return null;
  const fields = readFields(bytes, at);
  const seconds = BigInt.asIntN(64, lastVarint(fields, 1, at));
  const nanos = Number(BigInt.asIntN(32, lastVarint(fields, 2, at)));
  const ms = Number(seconds) * 1000;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (!Number.isSafeInteger(ms) || Number.isNaN(year) || year < 0 || year > 9999) {
    throw badRequest(`protobuf body: time out of range (${seconds}s) in ${at}`);
  }
  const base = date.toISOString().slice(0, 19);
  if (!micro) return `${base}Z`;
  if (nanos < 0 || nanos > 999_999_999) throw badRequest(`protobuf body: bad nanos in ${at}`);
  return `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** rawJson: FieldsV1 and RawExtension carry a JSON document in field 1; none is null. */
function rawJson(bytes: Uint8Array | undefined, at: string): JsonValue {
  if (bytes === undefined) return null;
  const raw = lastBytes(readFields(bytes, at), 1, at);
  if (raw.length === 0) return null;
  try {
    return JSON.parse(utf8(raw)) as JsonValue;
  } catch {
    throw badRequest(`protobuf body: embedded object is not JSON in ${at}`);
  }
}

/** quantity: the string form is the JSON; the zero Quantity prints as "0". */
function quantity(bytes: Uint8Array | undefined, at: string): JsonValue {
  if (bytes === undefined) return '0';
  const text = utf8(lastBytes(readFields(bytes, at), 1, at));
  return text === '' ? '0' : text;
}

/** intOrString: a bare number when type is 0, a bare string when type is 1. */
function intOrString(bytes: Uint8Array | undefined, at: string): JsonValue {
  const fields = readFields(bytes ?? new Uint8Array(), at);
  const type = lastVarint(fields, 1, at);
  if (type === 0n) return Number(BigInt.asIntN(32, lastVarint(fields, 2, at)));
  if (type === 1n) return utf8(lastBytes(fields, 3, at));
  throw badRequest(`protobuf body: impossible IntOrString.Type ${type} in ${at}`);
}
