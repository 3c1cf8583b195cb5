/**
 * decodeStoreRequest is StoreRequest.decode for committed entries, with hand-written paths for
 * the entries nearly every write is: a plain put, and the API server's create/update txn
 * (request-decode-txn.ts), with or without a trace context. Every member decodes every entry,
 * and the generated decoder costs several objects per put (a reader, two empty default buffers,
 * two views besides the two copies). The fast path yields exactly the object the generated
 * decoder would (same fields, same copied bytes, pinned by test/store/apply); anything it does
 * not handle — another op, an unknown or repeated-in-a-new-way field, a non-ASCII trace, a
 * truncated or malformed frame — goes to the generated decoder, so odd and invalid entries are
 * decoded (or refused) exactly as before.
 */
import type { PutRequest } from '../../gen/etcdserverpb/rpc.js';
import { StoreRequest, type TraceContext } from '../../gen/k8ts/store/v1/store.js';
import { decodeTxn } from './request-decode-txn.js';
import {
  EMPTY, int64, small, span, sub, varint, type Cursor,
} from './request-decode-wire.js';

export function decodeStoreRequest(data: Buffer): StoreRequest {
  return fastDecode(data) ?? StoreRequest.decode(data);
}

/** fastDecode decodes {trace?, put} and {trace?, txn} or returns undefined. The op is a oneof:
 *  an entry with more than one op field (the generated decoder keeps the last) falls back.
 *  Exported for tests (which shapes take the fast path). */
export function fastDecode(buf: Buffer): StoreRequest | undefined {
  const c: Cursor = { buf, pos: 0, end: buf.length, fail: false };
  let trace: TraceContext | undefined;
  let op: StoreRequest['op'];
  while (c.pos < c.end && !c.fail) {
    const tag = varint(c);
    if (tag !== 10 && tag !== 18 && tag !== 34) return undefined;
    const kind = tag === 18 ? 'put' : 'txn';
    if (tag !== 10 && op !== undefined && op.$case !== kind) return undefined;
    const s = sub(c);
    if (c.fail) return undefined;
    if (tag === 10) trace = decodeTrace(s);
    else if (tag === 18) op = { $case: 'put', value: decodePut(s) };
    else op = { $case: 'txn', value: decodeTxn(s, decodePut) };
    if (s.fail) return undefined;
  }
  if (c.fail || op === undefined) return undefined;
  return { trace, op };
}

/** decodePut reads a PutRequest's fields (key and value as views of c.buf; c.fail on anything
 *  the generated decoder would read differently). Also the gRPC Put's request decoder
 *  (server/put-wire.ts). */
export function decodePut(c: Cursor): PutRequest {
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
    else if (tag === 32) req.prevKv = small(c) !== 0;
    else if (tag === 40) req.ignoreValue = small(c) !== 0;
    else if (tag === 48) req.ignoreLease = small(c) !== 0;
    else c.fail = true;
  }
  if (c.fail) return req;
  // Views, not copies: a put's key and value go only to putOp, whose store copies what it keeps
  // into its own slabs (ByteArena), and the entry they view is the log's own buffer (copied out
  // of its frame on receipt), so nothing larger is pinned. Copying here was a second copy and
  // two more objects per put on every member.
  req.key = keyTo > keyFrom ? c.buf.subarray(keyFrom, keyTo) : EMPTY;
  req.value = valueTo > valueFrom ? c.buf.subarray(valueFrom, valueTo) : EMPTY;
  return req;
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
