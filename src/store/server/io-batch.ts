/**
 * The wire between a store member's I/O thread (io-thread-worker.ts: HTTP/2, gRPC framing) and
 * its main thread (Raft, WAL, MVCC): the unary KV calls that arrived in one turn of the I/O
 * thread's loop cross as ONE ArrayBuffer (transferred, not cloned), and the answers of one main
 * turn come back the same way. Packing by hand instead of posting objects: structured clone of
 * 256 small objects per message costs more than the HTTP/2 work the thread takes off the main
 * loop, while one buffer of raw protobuf bytes crosses in a single copy-free transfer. Pure.
 */
import { assert } from '../../base/assert.js';

/** IoCall is one unary KV call: its request's protobuf bytes and the metadata the handlers read. */
export interface IoCall {
  /** The I/O thread's number for the call (answers name it). */
  id: number;
  /** Index into IO_KV_METHODS. */
  method: number;
  /** etcd's `hasleader` metadata was "true". */
  hasLeader: boolean;
  /** W3C trace context metadata ('' when absent). */
  traceparent: string;
  tracestate: string;
  body: Uint8Array;
}

/** IoAnswer is one call's outcome: the response's protobuf bytes (code 0) or a status. */
export interface IoAnswer {
  id: number;
  /** gRPC status code; 0 with body = the response message. */
  code: number;
  details: string;
  body: Uint8Array;
}

/** The unary KV methods the I/O thread hands over, by index (order is the wire's). */
export const IO_KV_METHODS = ['range', 'put', 'deleteRange', 'txn', 'compact'] as const;
export type IoKvMethod = (typeof IO_KV_METHODS)[number];
/** Method index of a Put that crosses as the StoreRequest to propose, already decoded, validated
 *  and encoded by the I/O thread; its answer is a PutResponse. */
export const IO_PUT_PROPOSAL = IO_KV_METHODS.length;
const IO_METHOD_COUNT = IO_PUT_PROPOSAL + 1;

/** Fixed part of one call: id u32, method u8, hasLeader u8, two u16 string lengths, body u32. */
const CALL_HEAD_BYTES = 14;
/** Fixed part of one answer: id u32, code u8, details length u16, body u32. */
const ANSWER_HEAD_BYTES = 11;
/** Strings longer than a u16 length cannot cross; metadata that long is cut (it is a trace id). */
const STRING_MAX_BYTES = 0xffff;

const utf8 = new TextEncoder();
const text = new TextDecoder();

function encodeString(s: string): Uint8Array {
  const b = utf8.encode(s);
  return b.length <= STRING_MAX_BYTES ? b : b.subarray(0, STRING_MAX_BYTES);
}

/** packCalls writes calls into one ArrayBuffer (the message the I/O thread posts). */
export function packCalls(calls: readonly IoCall[]): ArrayBuffer {
  const parts = calls.map((c) => ({ c, tp: encodeString(c.traceparent), ts: encodeString(c.tracestate) }));
  let total = 0;
  for (const p of parts) total += CALL_HEAD_BYTES + p.tp.length + p.ts.length + p.c.body.length;
  const buf = new ArrayBuffer(total);
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  let at = 0;
  for (const { c, tp, ts } of parts) {
    assert(c.method >= 0 && c.method < IO_METHOD_COUNT, `io call method ${c.method}`);
    view.setUint32(at, c.id);
    view.setUint8(at + 4, c.method);
    view.setUint8(at + 5, c.hasLeader ? 1 : 0);
    view.setUint16(at + 6, tp.length);
    view.setUint16(at + 8, ts.length);
    view.setUint32(at + 10, c.body.length);
    at += CALL_HEAD_BYTES;
    bytes.set(tp, at);
    at += tp.length;
    bytes.set(ts, at);
    at += ts.length;
    bytes.set(c.body, at);
    at += c.body.length;
  }
  assert(at === total, 'packCalls wrote what it sized');
  return buf;
}

/** unpackCalls reads what packCalls wrote; bodies are views into buf (no copy). */
export function unpackCalls(buf: ArrayBuffer): IoCall[] {
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  const out: IoCall[] = [];
  let at = 0;
  while (at < buf.byteLength) {
    assert(at + CALL_HEAD_BYTES <= buf.byteLength, 'io call batch: truncated head');
    const id = view.getUint32(at);
    const method = view.getUint8(at + 4);
    const hasLeader = view.getUint8(at + 5) === 1;
    const tpLen = view.getUint16(at + 6);
    const tsLen = view.getUint16(at + 8);
    const bodyLen = view.getUint32(at + 10);
    at += CALL_HEAD_BYTES;
    assert(at + tpLen + tsLen + bodyLen <= buf.byteLength, 'io call batch: truncated call');
    const traceparent = tpLen === 0 ? '' : text.decode(bytes.subarray(at, at + tpLen));
    at += tpLen;
    const tracestate = tsLen === 0 ? '' : text.decode(bytes.subarray(at, at + tsLen));
    at += tsLen;
    out.push({ id, method, hasLeader, traceparent, tracestate, body: bytes.subarray(at, at + bodyLen) });
    at += bodyLen;
  }
  return out;
}

/** packAnswers writes answers into one ArrayBuffer (the message the main thread posts). */
export function packAnswers(answers: readonly IoAnswer[]): ArrayBuffer {
  const details = answers.map((a) => (a.details === '' ? EMPTY : encodeString(a.details)));
  let total = 0;
  for (let i = 0; i < answers.length; i++) {
    total += ANSWER_HEAD_BYTES + details[i]!.length + answers[i]!.body.length;
  }
  const buf = new ArrayBuffer(total);
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  let at = 0;
  for (let i = 0; i < answers.length; i++) {
    const a = answers[i]!;
    const d = details[i]!;
    assert(a.code >= 0 && a.code <= 16, `io answer code ${a.code}`);
    view.setUint32(at, a.id);
    view.setUint8(at + 4, a.code);
    view.setUint16(at + 5, d.length);
    view.setUint32(at + 7, a.body.length);
    at += ANSWER_HEAD_BYTES;
    bytes.set(d, at);
    at += d.length;
    bytes.set(a.body, at);
    at += a.body.length;
  }
  assert(at === total, 'packAnswers wrote what it sized');
  return buf;
}

/** unpackAnswers reads what packAnswers wrote; bodies are views into buf (no copy). */
export function unpackAnswers(buf: ArrayBuffer): IoAnswer[] {
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  const out: IoAnswer[] = [];
  let at = 0;
  while (at < buf.byteLength) {
    assert(at + ANSWER_HEAD_BYTES <= buf.byteLength, 'io answer batch: truncated head');
    const id = view.getUint32(at);
    const code = view.getUint8(at + 4);
    const dLen = view.getUint16(at + 5);
    const bodyLen = view.getUint32(at + 7);
    at += ANSWER_HEAD_BYTES;
    assert(at + dLen + bodyLen <= buf.byteLength, 'io answer batch: truncated answer');
    const details = dLen === 0 ? '' : text.decode(bytes.subarray(at, at + dLen));
    at += dLen;
    out.push({ id, code, details, body: bytes.subarray(at, at + bodyLen) });
    at += bodyLen;
  }
  return out;
}

const EMPTY = new Uint8Array(0);
