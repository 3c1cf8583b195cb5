/**
 * Watch messages built from parts encoded once per event. Every component-API watcher of a pod
 * change (schedulers, controller managers, the pod's kubelet, any client) gets the same event,
 * and each used to encode it into its own message: the generated encoder copies the object's JSON
 * into its chunk list, joins the chunks, and the service's serializer copies the result again —
 * three copies of a few KiB and the encoder's bookkeeping, per event per watcher. Here a watch
 * event's protobuf field (tag, length, the WatchEvent's bytes, as the generated encoder writes
 * them) is made once and shared by every watcher of that event; a watcher's message is its
 * events' fields laid end to end (a repeated field is exactly that), one copy.
 *
 * Pure; shared values are never changed after they are made.
 */
import type { WatchEvent, WatchResponse } from '../../gen/k8ts/api/v1/api.js';
import { assert } from '../../base/assert.js';
import { bytesFieldLen, lenField, writeBytesField, writeLen } from '../../base/proto-wire.js';
import { RecentMemo } from '../storage/shared-views.js';

/** The WatchResponse field the events are (`repeated WatchEvent events = 1`), wire type 2. */
const EVENTS_TAG = (1 << 3) | 2;

const sharedEvents = new RecentMemo<WatchEvent>();
const fields = new WeakMap<WatchEvent, Buffer>();

/**
 * watchEvent is the WatchEvent for one delivery. Watchers of the same cached object get the same
 * objectJson buffer (shared-views.ts sharedJsonBytes), and with it the same WatchEvent object,
 * so its encoding (watchResponseBytes) is made once for all of them.
 */
export function watchEvent(type: string, objectJson: Buffer, traceparent: string): WatchEvent {
  const shared = sharedEvents.get(objectJson, () => ({ type, objectJson, traceparent }));
  if (shared.type === type && shared.traceparent === traceparent) return shared;
  return { type, objectJson, traceparent };
}

/**
 * eventField: e as one element of the events field — tag, length, WatchEvent bytes — written
 * straight into one buffer of its exact size, as WatchEvent.encode writes the message (fields in
 * number order, empty ones left out): the generated encoder's writer grew from 128 bytes by
 * doubling, copying the object's JSON at each step, and its result was copied once more here.
 */
function eventField(e: WatchEvent): Buffer {
  const hit = fields.get(e);
  if (hit !== undefined) return hit;
  const typeLen = Buffer.byteLength(e.type, 'utf8');
  const json = e.objectJson;
  const traceLen = Buffer.byteLength(e.traceparent, 'utf8');
  const bodyLen = bytesFieldLen(typeLen) + bytesFieldLen(json.length) + bytesFieldLen(traceLen);
  const out = Buffer.allocUnsafe(lenField(bodyLen));
  let at = writeLen(out, 0, EVENTS_TAG, bodyLen);
  if (typeLen > 0) {
    at = writeLen(out, at, TYPE_TAG, typeLen);
    at += out.write(e.type, at, 'utf8');
  }
  at = writeBytesField(out, at, OBJECT_JSON_TAG, json);
  if (traceLen > 0) {
    at = writeLen(out, at, TRACEPARENT_TAG, traceLen);
    at += out.write(e.traceparent, at, 'utf8');
  }
  assert(at === out.length, `watch event field: wrote ${at} of ${out.length} bytes`);
  fields.set(e, out);
  return out;
}

/** WatchEvent's fields (type = 1, objectJson = 2, traceparent = 3), all wire type 2. */
const TYPE_TAG = (1 << 3) | 2;
const OBJECT_JSON_TAG = (2 << 3) | 2;
const TRACEPARENT_TAG = (3 << 3) | 2;

/** watchResponseBytes is WatchResponse.encode(m)'s bytes, from each event's shared field. */
export function watchResponseBytes(m: WatchResponse): Buffer {
  if (m.events.length === 1) return eventField(m.events[0]!);
  const parts = m.events.map(eventField);
  return Buffer.concat(parts);
}

