/**
 * Encoding a StoreRequest (the bytes a write proposes) on one reused writer per thread: the main
 * thread's writes (store-core.ts) and the Puts the I/O thread encodes before they cross
 * (io-thread-worker.ts). Its own module so the worker loads no Raft code. Pure but for the writer.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { PutRequest } from '../../gen/etcdserverpb/rpc.js';
import { StoreRequest, type TraceContext } from '../../gen/k8ts/store/v1/store.js';
import { validateRequest } from '../apply/validate.js';

/** One writer for every request this thread encodes: a fresh one starts small and regrows for
 *  each request (measured: 3.2 µs per 256-byte put against 0.9 µs reused). finish() copies the
 *  bytes out and resets it; a writer grown past REUSE_MAX_BYTES is let go (memory bound). */
let requestWriter = new BinaryWriter();
const REUSE_MAX_BYTES = 64 * 1024;

/** encodeRequest is StoreRequest.encode(req).finish() on the shared writer. */
export function encodeRequest(req: StoreRequest): Uint8Array {
  try {
    const data = StoreRequest.encode(req, requestWriter).finish();
    if (data.length > REUSE_MAX_BYTES) requestWriter = new BinaryWriter();
    return data;
  } catch (err) {
    requestWriter = new BinaryWriter(); // Half-written: never reuse it.
    throw err;
  }
}

/** putProposal is the StoreRequest a Put's request bytes propose, encoded (what kv-service.ts's
 *  put builds on the main thread), or undefined when the bytes do not decode or the Put fails
 *  validation: the I/O thread then sends that Put as it came and the main thread answers it
 *  exactly as before (the leader check first, then etcd's error), so only valid Puts skip the
 *  main thread's decode. traceparent '' = no trace context. */
export function putProposal(body: Uint8Array, traceparent: string, tracestate: string): Uint8Array | undefined {
  try {
    const value = PutRequest.decode(body);
    validateRequest({ $case: 'put', value });
    const trace = traceparent === '' ? undefined : { traceparent, tracestate };
    return encodeRequest({ trace, op: { $case: 'put', value } });
  } catch {
    return undefined;
  }
}

/**
 * encodePutProposal is the StoreRequest {trace, put} that a Put proposes, written by hand after
 * `room` bytes left free for the Raft envelope (RaftNode.proposeEnveloped): byte for byte what
 * StoreRequest.encode writes (pinned by test/store/server/request-encode.test.ts), in one buffer
 * of the exact size. Why: every Put a leader serves is encoded once, and the generated encoder
 * on a BinaryWriter (fork/join of two nested messages, a chunk list, finish()'s copy) and the
 * envelope's copy of its output cost ~1 µs of the leader's CPU per Put (store-leader-micro).
 * A lease beyond 2^53 (never minted by k8ts; etcd's are positive int64) takes the generated path.
 */
export function encodePutProposal(put: PutRequest, trace: TraceContext | undefined, room: number): Buffer {
  const lease = put.lease;
  if (lease < 0n || lease > MAX_SAFE_LEASE) {
    const data = encodeRequest({ trace, op: { $case: 'put', value: put } });
    const out = Buffer.allocUnsafe(room + data.length);
    out.set(data, room);
    return out;
  }
  const leaseN = Number(lease);
  const { key, value } = put;
  let body = 0;
  if (key.length !== 0) body += 1 + varintBytes(key.length) + key.length;
  if (value.length !== 0) body += 1 + varintBytes(value.length) + value.length;
  if (leaseN !== 0) body += 1 + varintBytes(leaseN);
  if (put.prevKv) body += 2;
  if (put.ignoreValue) body += 2;
  if (put.ignoreLease) body += 2;
  let traceBytes = 0;
  let parentBytes = 0;
  let stateBytes = 0;
  if (trace !== undefined) {
    parentBytes = Buffer.byteLength(trace.traceparent, 'utf8');
    stateBytes = Buffer.byteLength(trace.tracestate, 'utf8');
    if (parentBytes !== 0) traceBytes += 1 + varintBytes(parentBytes) + parentBytes;
    if (stateBytes !== 0) traceBytes += 1 + varintBytes(stateBytes) + stateBytes;
  }
  const total = room + (trace !== undefined ? 1 + varintBytes(traceBytes) + traceBytes : 0) +
    1 + varintBytes(body) + body;
  const out = Buffer.allocUnsafe(total);
  let at = room;
  if (trace !== undefined) {
    out[at++] = 10;
    at = writeVarint(out, at, traceBytes);
    if (parentBytes !== 0) {
      out[at++] = 10;
      at = writeVarint(out, at, parentBytes);
      at += out.write(trace.traceparent, at, 'utf8');
    }
    if (stateBytes !== 0) {
      out[at++] = 18;
      at = writeVarint(out, at, stateBytes);
      at += out.write(trace.tracestate, at, 'utf8');
    }
  }
  out[at++] = 18;
  at = writeVarint(out, at, body);
  if (key.length !== 0) {
    out[at++] = 10;
    at = writeVarint(out, at, key.length);
    out.set(key, at);
    at += key.length;
  }
  if (value.length !== 0) {
    out[at++] = 18;
    at = writeVarint(out, at, value.length);
    out.set(value, at);
    at += value.length;
  }
  if (leaseN !== 0) {
    out[at++] = 24;
    at = writeVarint(out, at, leaseN);
  }
  if (put.prevKv) at = writeTrue(out, at, 32);
  if (put.ignoreValue) at = writeTrue(out, at, 40);
  if (put.ignoreLease) at = writeTrue(out, at, 48);
  if (at !== total) throw new Error(`encodePutProposal: wrote ${at} of ${total} bytes`);
  return out;
}

const MAX_SAFE_LEASE = BigInt(Number.MAX_SAFE_INTEGER);

/** varintBytes is the length of n (0 ≤ n ≤ 2^53) as a protobuf varint. */
function varintBytes(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** writeTrue writes a bool field set to true (its one-byte tag, then 1); returns the end. */
function writeTrue(out: Buffer, at: number, tag: number): number {
  out[at] = tag;
  out[at + 1] = 1;
  return at + 2;
}

/** writeVarint writes n (0 ≤ n ≤ 2^53) as a protobuf varint at `at`; returns the end. */
function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 128) {
    out[at++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}
