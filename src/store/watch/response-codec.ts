/**
 * encodeWatchResponse is WatchResponse.encode(resp).finish() for the member's Watch streams,
 * byte for byte, with each delivered event encoded once for every watcher that receives it.
 *
 * Why: the hub hands the same Event object to all watchers that want the same variant of a
 * revision (events.ts), and a store under Kubernetes has several of them per write (every API
 * server's watch cache watches each resource). The generated encoder re-encodes the event —
 * key, a 1–3 KiB value, revisions — for each watcher, on a fresh writer that regrows for the
 * value; measured as the largest encode on the leader's profile under the control-plane bench.
 * Here the response's own fields go through the generated encoder (on one reused writer), then
 * each event's bytes, kept per Event object in a WeakMap (they live as long as the event is
 * queued anywhere, no longer), follow as field 11 — the order the generated encoder writes.
 * Events are never mutated once built (events.ts), so the cached bytes stay right.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { WatchResponse } from '../../gen/etcdserverpb/rpc.js';
import { Event } from '../../gen/mvccpb/kv.js';
import { lenField, writeLen } from '../../base/proto-wire.js';

/** Field 11 (events), wire type 2. */
const EVENTS_TAG = 90;
/** A writer grown past this is let go after use (memory bound), as store-core's. */
const REUSE_MAX_BYTES = 64 * 1024;

const encodedEvents = new WeakMap<Event, Uint8Array>();
let writer = new BinaryWriter();

export function encodeWatchResponse(resp: WatchResponse): Buffer {
  const events = resp.events;
  const fields = events.length === 0 ? resp : { ...resp, events: [] };
  const head = encodeWith((w) => WatchResponse.encode(fields, w));
  if (events.length === 0) return Buffer.from(head.buffer, head.byteOffset, head.length);
  const parts = new Array<Uint8Array>(events.length);
  let total = head.length;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    let bytes = encodedEvents.get(ev);
    if (bytes === undefined) {
      bytes = encodeWith((w) => Event.encode(ev, w));
      encodedEvents.set(ev, bytes);
    }
    parts[i] = bytes;
    total += lenField(bytes.length);
  }
  const out = Buffer.allocUnsafe(total);
  out.set(head, 0);
  let pos = head.length;
  for (const bytes of parts) {
    pos = writeLen(out, pos, EVENTS_TAG, bytes.length);
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return out;
}

/** encodeWith runs one encode on the shared writer and takes its bytes (finish() copies them
 *  out and resets it); a writer left half-written by a throw, or grown large, is replaced. */
function encodeWith(encode: (w: BinaryWriter) => BinaryWriter): Uint8Array {
  try {
    const bytes = encode(writer).finish();
    if (bytes.length > REUSE_MAX_BYTES) writer = new BinaryWriter();
    return bytes;
  } catch (err) {
    writer = new BinaryWriter();
    throw err;
  }
}
