/**
 * Encoding a StoreRequest (the bytes a write proposes) on one reused writer per thread: the main
 * thread's writes (store-core.ts) and the Puts the I/O thread encodes before they cross
 * (io-thread-worker.ts). Its own module so the worker loads no Raft code. Pure but for the writer.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { PutRequest } from '../../gen/etcdserverpb/rpc.js';
import { StoreRequest } from '../../gen/k8ts/store/v1/store.js';
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
