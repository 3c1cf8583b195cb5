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
import { WatchEvent, type WatchResponse } from '../../gen/k8ts/api/v1/api.js';
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

/** eventField: e as one element of the events field — tag, length, WatchEvent bytes. */
function eventField(e: WatchEvent): Buffer {
  const hit = fields.get(e);
  if (hit !== undefined) return hit;
  const body = WatchEvent.encode(e).finish();
  const head = [EVENTS_TAG];
  for (let n = body.length; ; n >>>= 7) {
    if (n < 0x80) {
      head.push(n);
      break;
    }
    head.push((n & 0x7f) | 0x80);
  }
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  fields.set(e, out);
  return out;
}

/** watchResponseBytes is WatchResponse.encode(m)'s bytes, from each event's shared field. */
export function watchResponseBytes(m: WatchResponse): Buffer {
  if (m.events.length === 1) return eventField(m.events[0]!);
  const parts = m.events.map(eventField);
  return Buffer.concat(parts);
}

