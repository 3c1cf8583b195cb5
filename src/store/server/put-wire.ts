/**
 * A Put's gRPC request and answer by hand, for the etcd KV service's Put (kv-service.ts's
 * KV_SERVICE): the Put is nearly every client write of the store, and a store leader at 256 Puts
 * in flight allocated ~17 KB per Put, ~2 KB of it in the generated codecs (a BinaryReader per
 * request with a property added to it, key and value copied out of the frame; a BinaryWriter
 * with its chunk list, a fork/join for the header, finish()'s copy and Buffer.from's view per
 * answer), measured with bench/lib/store-alloc-prof.ts. Young-GC work on a leader grows with
 * what it allocates per Put, and its pauses stop every Put in flight.
 *
 * Both give exactly what the generated codecs give (pinned by test/store/server/put-wire.test.ts)
 * and hand anything else to them: a request with a field the hand decoder does not read as the
 * generated one does, an answer with a prev_kv or a header value beyond 2^53.
 */
import { PutRequest, PutResponse } from '../../gen/etcdserverpb/rpc.js';
import { field, writeField, writeLen, varintBytes } from '../../base/proto-wire.js';
import { decodePut } from '../apply/request-decode.js';
import type { Cursor } from '../apply/request-decode-wire.js';
import { MAX_SAFE_INT64 } from '../put-request-wire.js';

/** decodePutRequest is PutRequest.decode(body), except that key and value are views of body
 *  instead of copies: the request lives as long as its call, and its key and value are copied
 *  into the proposal (request-encode.ts) before the call can end, so nothing keeps the frame. */
export function decodePutRequest(body: Buffer): PutRequest {
  const c: Cursor = { buf: body, pos: 0, end: body.length, fail: false };
  const req = decodePut(c);
  return c.fail ? PutRequest.decode(body) : req;
}

/** encodePutResponse is Buffer.from(PutResponse.encode(res).finish()): the header's four
 *  fields in one exact-size buffer (the fields in number order, zeros left out, as proto3). */
export function encodePutResponse(res: PutResponse): Buffer {
  const h = res.header;
  if (res.prevKv !== undefined || h === undefined) return generated(res);
  const { clusterId, memberId, revision, raftTerm } = h;
  if (!safe(clusterId) || !safe(memberId) || !safe(revision) || !safe(raftTerm)) return generated(res);
  const [cid, mid, rev, term] = [Number(clusterId), Number(memberId), Number(revision), Number(raftTerm)];
  const inner = field(cid) + field(mid) + field(rev) + field(term);
  const out = Buffer.allocUnsafe(1 + varintBytes(inner) + inner);
  let at = writeLen(out, 0, 10, inner);
  at = writeField(out, at, 8, cid);
  at = writeField(out, at, 16, mid);
  at = writeField(out, at, 24, rev);
  writeField(out, at, 32, term);
  return out;
}

function safe(v: bigint): boolean {
  return v >= 0n && v <= MAX_SAFE_INT64;
}

function generated(res: PutResponse): Buffer {
  const bytes = PutResponse.encode(res).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
