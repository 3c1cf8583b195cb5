/**
 * A Txn request's bytes laid out by hand, sized first and written once into a buffer of exactly
 * that size. Every API server write is one Txn carrying the object's JSON (a few KiB): the
 * generated encoder (KVService.txn.requestSerialize) writes through a BinaryWriter that forks
 * per nested message, grows its chunk by doubling and copies the value at each step, joins the
 * chunks in finish(), and the service definition copies that result once more with Buffer.from —
 * in the apiserver-pod-micro profile that was ~25 µs of CPU per write (encodeMessage, 0.2 ms of
 * the API servers' ~5 ms per pod). Here the value is copied once.
 *
 * Bytes equal TxnRequest.encode's (fields in number order, proto3 defaults left out, a oneof's
 * member written even when zero or empty, as the generated code does); a randomized test pins
 * them. What this layout does not cover — an int64 outside 0..2^53-1, a negative enum (a
 * value the client never builds) — makes encodeTxnRequest hand the whole request to the
 * generated encoder instead of writing it wrong.
 *
 * Pure.
 */
import {
  KVService,
  type Compare,
  type DeleteRangeRequest,
  type RangeRequest,
  type RequestOp,
  type TxnRequest,
} from '../../gen/etcdserverpb/rpc.js';
import { assert } from '../../base/assert.js';
import {
  bytesFieldLen, field, lenField, varintBytes, writeBytesField, writeField, writeLen, writeVarint,
} from '../../base/proto-wire.js';
import { frameMessage, PREFIX_BYTES, writePrefix } from '../../rpc/fast-unary-frame.js';
import { MAX_SAFE_INT64 as MAX_SAFE, putRequestSize, writePutRequest } from '../put-request-wire.js';

/** int64Field: the size of an int64 field with a 1-byte tag (0 when v is 0: omitted), NaN when
 *  v is outside what this encoder writes (negative or past 2^53-1). */
function int64Field(v: bigint): number {
  return v >= 0n && v <= MAX_SAFE ? field(Number(v)) : NaN;
}

/** oneofInt64: a oneof's int64 member, written even when 0. */
function oneofInt64(v: bigint): number {
  return v >= 0n && v <= MAX_SAFE ? 1 + varintBytes(Number(v)) : NaN;
}

/** enumField: an enum (int32) field with a 1-byte tag; NaN for a negative value (10 bytes). */
function enumField(v: number): number {
  return Number.isSafeInteger(v) && v >= 0 && v <= 0x7fffffff ? field(v) : NaN;
}

function boolField(b: boolean): number {
  return b ? 2 : 0;
}

/** Compare.range_end is field 64: a 2-byte tag (514 = 0x82 0x04). */
const RANGE_END_TAG = [0x82, 0x04] as const;

function compareSize(c: Compare): number {
  let n = enumField(c.result) + enumField(c.target) + bytesFieldLen(c.key.length);
  const u = c.targetUnion;
  if (u !== undefined) {
    if (u.$case === 'value') n += lenField(u.value.length);
    else n += oneofInt64(u.value);
  }
  if (c.rangeEnd.length !== 0) n += 2 + varintBytes(c.rangeEnd.length) + c.rangeEnd.length;
  return n;
}

function rangeSize(r: RangeRequest): number {
  return bytesFieldLen(r.key.length) + bytesFieldLen(r.rangeEnd.length) + int64Field(r.limit) +
    int64Field(r.revision) + enumField(r.sortOrder) + enumField(r.sortTarget) +
    boolField(r.serializable) + boolField(r.keysOnly) + boolField(r.countOnly) +
    int64Field(r.minModRevision) + int64Field(r.maxModRevision) +
    int64Field(r.minCreateRevision) + int64Field(r.maxCreateRevision);
}

function deleteSize(d: DeleteRangeRequest): number {
  return bytesFieldLen(d.key.length) + bytesFieldLen(d.rangeEnd.length) + boolField(d.prevKv);
}

/** opBodySize: the size of the RequestOp's one member's message (the op's field body). */
function opBodySize(o: RequestOp): number {
  const r = o.request;
  switch (r?.$case) {
    case undefined: return 0;
    case 'requestRange': return rangeSize(r.value);
    case 'requestPut': return putRequestSize(r.value);
    case 'requestDeleteRange': return deleteSize(r.value);
    case 'requestTxn': return txnSize(r.value);
  }
}

/** nested: the size of a length-delimited field of n bytes, NaN passed on (lenField asserts). */
function nested(n: number): number {
  return Number.isNaN(n) ? NaN : lenField(n);
}

/** opSize: a RequestOp's own size (its member as a field; nothing when it has none). */
function opSize(o: RequestOp): number {
  return o.request === undefined ? 0 : nested(opBodySize(o));
}

function txnSize(t: TxnRequest): number {
  let n = 0;
  for (const c of t.compare) n += nested(compareSize(c));
  for (const o of t.success) n += nested(opSize(o));
  for (const o of t.failure) n += nested(opSize(o));
  return n;
}

/** writeInt64: an int64 field txnSize accepted (0..2^53-1), nothing when 0. */
function writeInt64(out: Buffer, at: number, tag: number, v: bigint): number {
  return writeField(out, at, tag, Number(v));
}

function writeBool(out: Buffer, at: number, tag: number, b: boolean): number {
  if (!b) return at;
  out[at] = tag;
  out[at + 1] = 1;
  return at + 2;
}

function writeCompare(out: Buffer, at: number, c: Compare): number {
  at = writeField(out, at, 8, c.result);
  at = writeField(out, at, 16, c.target);
  at = writeBytesField(out, at, 26, c.key);
  const u = c.targetUnion;
  if (u !== undefined) {
    if (u.$case === 'value') {
      at = writeLen(out, at, 58, u.value.length);
      out.set(u.value, at);
      at += u.value.length;
    } else {
      const tag = u.$case === 'version' ? 32 : u.$case === 'createRevision' ? 40 : u.$case === 'modRevision' ? 48 : 64;
      out[at] = tag;
      at = writeVarint(out, at + 1, Number(u.value));
    }
  }
  if (c.rangeEnd.length !== 0) {
    out[at] = RANGE_END_TAG[0];
    out[at + 1] = RANGE_END_TAG[1];
    at = writeVarint(out, at + 2, c.rangeEnd.length);
    out.set(c.rangeEnd, at);
    at += c.rangeEnd.length;
  }
  return at;
}

function writeRange(out: Buffer, at: number, r: RangeRequest): number {
  at = writeBytesField(out, at, 10, r.key);
  at = writeBytesField(out, at, 18, r.rangeEnd);
  at = writeInt64(out, at, 24, r.limit);
  at = writeInt64(out, at, 32, r.revision);
  at = writeField(out, at, 40, r.sortOrder);
  at = writeField(out, at, 48, r.sortTarget);
  at = writeBool(out, at, 56, r.serializable);
  at = writeBool(out, at, 64, r.keysOnly);
  at = writeBool(out, at, 72, r.countOnly);
  at = writeInt64(out, at, 80, r.minModRevision);
  at = writeInt64(out, at, 88, r.maxModRevision);
  at = writeInt64(out, at, 96, r.minCreateRevision);
  return writeInt64(out, at, 104, r.maxCreateRevision);
}

function writeDelete(out: Buffer, at: number, d: DeleteRangeRequest): number {
  at = writeBytesField(out, at, 10, d.key);
  at = writeBytesField(out, at, 18, d.rangeEnd);
  return writeBool(out, at, 24, d.prevKv);
}

/** writeOp writes the RequestOp o as field tag of its parent: tag, length, then its one member
 *  as a length-delimited field. */
function writeOp(out: Buffer, at: number, tag: number, o: RequestOp): number {
  const r = o.request;
  if (r === undefined) return writeLen(out, at, tag, 0);
  const body = opBodySize(o);
  at = writeLen(out, at, tag, lenField(body));
  const member = r.$case === 'requestRange' ? 10 : r.$case === 'requestPut' ? 18 : r.$case === 'requestDeleteRange' ? 26 : 34;
  at = writeLen(out, at, member, body);
  switch (r.$case) {
    case 'requestRange': return writeRange(out, at, r.value);
    case 'requestPut': return writePutRequest(out, at, r.value);
    case 'requestDeleteRange': return writeDelete(out, at, r.value);
    case 'requestTxn': return writeTxn(out, at, r.value);
  }
}

function writeTxn(out: Buffer, at: number, t: TxnRequest): number {
  for (const c of t.compare) {
    at = writeLen(out, at, 10, compareSize(c));
    at = writeCompare(out, at, c);
  }
  for (const o of t.success) at = writeOp(out, at, 18, o);
  for (const o of t.failure) at = writeOp(out, at, 26, o);
  return at;
}

/** encodeTxnRequest is KVService.txn.requestSerialize(t)'s bytes, the values copied once. */
export function encodeTxnRequest(t: TxnRequest): Buffer {
  const size = txnSize(t);
  if (Number.isNaN(size)) return KVService.txn.requestSerialize(t);
  return writeTxnAt(t, Buffer.allocUnsafe(size), 0);
}

/**
 * encodeTxnFramed is the same bytes as one gRPC length-prefixed message (h2-call.ts's
 * H2Method.requestFramed): the 5-byte prefix written in front in the same buffer, so the call
 * does not copy the request (a pod's JSON) once more to frame it.
 */
export function encodeTxnFramed(t: TxnRequest): Buffer {
  const size = txnSize(t);
  if (Number.isNaN(size)) return frameMessage(KVService.txn.requestSerialize(t));
  const out = Buffer.allocUnsafe(PREFIX_BYTES + size);
  writePrefix(out, size);
  return writeTxnAt(t, out, PREFIX_BYTES);
}

/** writeTxnAt writes t into out from start to its end (txnSize(t) bytes) and returns out. */
function writeTxnAt(t: TxnRequest, out: Buffer, start: number): Buffer {
  const at = writeTxn(out, start, t);
  assert(at === out.length, `txn encode: wrote ${at - start} of ${out.length - start} bytes`);
  return out;
}

/** TXN is KVService.txn with the hand encoder (unaryOn's method argument). */
export const TXN = { ...KVService.txn, requestSerialize: encodeTxnRequest, requestFramed: encodeTxnFramed };
