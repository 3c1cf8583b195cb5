/**
 * decodeStoreRequest is StoreRequest.decode for committed entries, with a hand-written path for
 * the entry nearly every write is: a plain put, with or without a trace context. Every member
 * decodes every entry, and the generated decoder costs several objects per put (a reader, two
 * empty default buffers, two views besides the two copies). The fast path yields exactly the object the
 * generated decoder would (same fields, same copied bytes, pinned by test/store/apply); anything
 * it does not handle — another op, an unknown or repeated-in-a-new-way field, a non-ASCII trace,
 * a truncated or malformed frame — goes to the generated decoder, so odd and invalid entries are
 * decoded (or refused) exactly as before.
 */
import type { PutRequest } from '../../gen/etcdserverpb/rpc.js';
import { StoreRequest, type TraceContext } from '../../gen/k8ts/store/v1/store.js';

export function decodeStoreRequest(data: Buffer): StoreRequest {
  return fastPut(data) ?? StoreRequest.decode(data);
}

/** A cursor over one message's bytes; `fail` is set instead of throwing (then: fall back). */
interface Cursor {
  buf: Buffer;
  pos: number;
  end: number;
  fail: boolean;
}

const TWO_32 = 2 ** 32;

/** fastPut decodes {trace?, put} or returns undefined. */
function fastPut(buf: Buffer): StoreRequest | undefined {
  const c: Cursor = { buf, pos: 0, end: buf.length, fail: false };
  let trace: TraceContext | undefined;
  let put: PutRequest | undefined;
  while (c.pos < c.end && !c.fail) {
    const tag = varint(c);
    if (tag !== 10 && tag !== 18) return undefined;
    const end = span(c);
    if (c.fail) return undefined;
    const sub: Cursor = { buf, pos: c.pos, end, fail: false };
    c.pos = end;
    if (tag === 10) trace = decodeTrace(sub);
    else put = decodePut(sub);
    if (sub.fail) return undefined;
  }
  if (c.fail || put === undefined) return undefined;
  return { trace, op: { $case: 'put', value: put } };
}

function decodePut(c: Cursor): PutRequest {
  let keyFrom = 0;
  let keyTo = 0;
  let valueFrom = 0;
  let valueTo = 0;
  const req: PutRequest = {
    key: EMPTY, value: EMPTY, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false,
  };
  while (c.pos < c.end && !c.fail) {
    const tag = varint(c);
    if (tag === 10 || tag === 18) {
      const end = span(c);
      if (tag === 10) [keyFrom, keyTo] = [c.pos, end];
      else [valueFrom, valueTo] = [c.pos, end];
      c.pos = end;
    } else if (tag === 24) req.lease = int64(c);
    else if (tag === 32) req.prevKv = varint(c) !== 0;
    else if (tag === 40) req.ignoreValue = varint(c) !== 0;
    else if (tag === 48) req.ignoreLease = varint(c) !== 0;
    else c.fail = true;
  }
  if (c.fail) return req;
  req.key = copyOut(c.buf, keyFrom, keyTo);
  req.value = copyOut(c.buf, valueFrom, valueTo);
  return req;
}

/** copyOut copies a field out, as the generated decoder does: a stored key or value must not
 *  keep the whole entry (or the frame it came in) alive. */
function copyOut(buf: Buffer, from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(to - from);
  buf.copy(out, 0, from, to);
  return out;
}

/** decodeTrace: both fields are W3C headers, ASCII; anything else falls back (the generated
 *  decoder's UTF-8 handling of odd bytes is then the one that counts). */
function decodeTrace(c: Cursor): TraceContext {
  const t: TraceContext = { traceparent: '', tracestate: '' };
  while (c.pos < c.end && !c.fail) {
    const tag = varint(c);
    if (tag !== 10 && tag !== 18) c.fail = true;
    const end = span(c);
    if (c.fail) break;
    for (let i = c.pos; i < end; i++) if (c.buf[i]! >= 0x80) c.fail = true;
    const text = c.buf.toString('latin1', c.pos, end);
    if (tag === 10) t.traceparent = text;
    else t.tracestate = text;
    c.pos = end;
  }
  return t;
}

const EMPTY = Buffer.alloc(0);

/** varint reads an unsigned varint below 2^53 (longer ones: fail). */
function varint(c: Cursor): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 8 && c.pos < c.end; i++) {
    const b = c.buf[c.pos++]!;
    v += (b & 127) * scale;
    if (b < 128) return v;
    scale *= 128;
  }
  c.fail = true;
  return 0;
}

/** span reads a length prefix and returns where the field ends (fail if past the message). */
function span(c: Cursor): number {
  const n = varint(c);
  if (c.pos + n > c.end) c.fail = true;
  return c.pos + n;
}

/** int64 reads a varint as a signed 64-bit bigint, as the generated reader.int64() does. */
function int64(c: Cursor): bigint {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  for (let i = 0; i < 10 && c.pos < c.end; i++, shift += 7) {
    const b = c.buf[c.pos++]!;
    if (shift < 28) lo += (b & 127) * 2 ** shift;
    else if (shift === 28) {
      lo += (b & 15) * 2 ** 28;
      hi += (b & 127) >> 4;
    } else hi += (b & 127) * 2 ** (shift - 32);
    if (i === 9 && b > 1) break; // Beyond 64 bits: let the generated decoder judge it.
    if (b < 128) return BigInt.asIntN(64, (BigInt(hi % TWO_32) << 32n) | BigInt(lo));
  }
  c.fail = true;
  return 0n;
}
