/**
 * Watch over gRPC: one server stream per registry watch, each message the events of one turn of
 * the event loop (watch-batch.ts), each event as the REST watch stream carries it (type, object
 * JSON) plus the write's traceparent. The stream ends:
 * - when the client cancels (or goes away): the registry watch stops, nothing more is written;
 * - after timeout_seconds, capped at the server's maximum: status OK, the client re-watches;
 * - when the registry ends the watch with an error (410 Expired for a compacted resourceVersion,
 *   500 for a watcher the cache dropped): that Status, mapped as any failure is;
 * - when the client reads too slowly: writes past grpc-js's high-water mark ask the registry to
 *   pause (onEvent returns false, Watch.resume on 'drain'), and if events still pile up past
 *   maxPendingEvents (messages queued plus events not yet in one) the watch ends with a 500, as
 *   the watch cache ends a slow watcher.
 * Memory per watch is therefore bounded by maxPendingEvents messages whatever the client does.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import { badRequest, isStatusError, StatusError } from '../../api/errors.js';
import type { WatchRequest, WatchResponse } from '../../gen/k8ts/api/v1/api.js';
import { toStatusServiceError } from '../../rpc/kube-status.js';
import type { Watch } from '../storage/types.js';
import type { ApiRegistry, RequestContext, WatchOptions } from '../registry/types.js';
import type { Clock, Timer } from '../../base/clock.js';
import { describe, type CallEdges } from './call.js';
import { jsonBytes, resolve } from './requests.js';
import { sharedJsonBytes, sharedJsonBytesWithoutManagedFields } from '../storage/shared-views.js';
import { WatchBatcher } from './watch-batch.js';
import { watchEvent } from './watch-encode.js';

/** MAX_WATCH_SECONDS caps a watch's life, as the REST face does. */
export const MAX_WATCH_SECONDS = 30 * 60;
/** DEFAULT_MAX_PENDING_EVENTS: messages queued for a client that is not reading. */
export const DEFAULT_MAX_PENDING_EVENTS = 1024;

type WatchCall = ServerWritableStream<WatchRequest, WatchResponse>;

/** WatchEdges configure watches (ApiServiceOptions extends it). */
export interface WatchEdges extends CallEdges {
  /** Timers (watch lifetimes). */
  clock: Clock;
  /** Longest a watch lives before the server closes it (default 30 min, as the REST face). */
  maxWatchSeconds?: number;
  /** Watch events queued for a client that does not read before its watch is ended. */
  maxPendingEvents?: number;
}

/** serveWatch runs one watch call to its end. */
export function serveWatch(
  call: WatchCall,
  ctx: RequestContext,
  reg: ApiRegistry,
  o: WatchEdges,
): void {
  const maxPending = o.maxPendingEvents ?? DEFAULT_MAX_PENDING_EVENTS;
  const lean = call.request.omitManagedFields;
  let done = false;
  let watch: Watch | undefined;
  let timer: Timer | undefined;
  let awaitingDrain = false;
  const batch = new WatchBatcher((events) => {
    if (call.write({ events }) || awaitingDrain) return;
    awaitingDrain = true;
    call.once('drain', () => {
      awaitingDrain = false;
      if (!done) watch?.resume?.();
    });
  });
  const finish = (err?: unknown, sendPending = true): void => {
    if (done) return;
    done = true;
    watch?.stop();
    timer?.cancel();
    if (call.cancelled || !sendPending) batch.drop();
    else batch.flush();
    if (call.cancelled) return;
    if (err === undefined) {
      call.end();
      return;
    }
    if (!isStatusError(err)) o.log(`api Watch: ${describe(err)}`);
    call.emit('error', toStatusServiceError(err));
  };
  call.on('cancelled', () => finish());
  const onEvent = (e: { type: string; object: unknown; traceparent?: string }): boolean => {
    if (done) return false;
    // Every watcher of an event gets the same object: its JSON is encoded once for all (once
    // for those that asked for it without managedFields).
    const obj = e.object;
    const shareable = typeof obj === 'object' && obj !== null;
    const objectJson = !shareable ? jsonBytes(obj)
      : lean ? sharedJsonBytesWithoutManagedFields(obj) : sharedJsonBytes(obj);
    // ...and so is the event's part of each watcher's message (watch-encode.ts).
    batch.add(watchEvent(e.type, objectJson, e.traceparent ?? ''));
    if (call.writableLength + batch.size > maxPending) {
      finish(tooSlow(maxPending), false);
      return false;
    }
    return !awaitingDrain;
  };
  try {
    const t = resolve(call.request, 'watch');
    const { opts, seconds } = watchOptions(call.request, o.maxWatchSeconds ?? MAX_WATCH_SECONDS);
    timer = o.clock.setTimeout(() => finish(), seconds * 1000);
    watch = reg.watch(ctx, t.r, t.ns, opts, onEvent, (err) => finish(err));
  } catch (err) {
    finish(err);
  }
  // The watch may have failed synchronously: finish() ran before `watch` was assigned.
  if (done) watch?.stop();
}

function watchOptions(
  q: WatchRequest,
  maxSeconds: number,
): { opts: WatchOptions; seconds: number } {
  if (q.timeoutSeconds < 0) throw badRequest('timeoutSeconds must be non-negative');
  const seconds = q.timeoutSeconds === 0 ? maxSeconds : Math.min(q.timeoutSeconds, maxSeconds);
  const opts: WatchOptions = {
    ...(q.labelSelector !== '' ? { labelSelector: q.labelSelector } : {}),
    ...(q.fieldSelector !== '' ? { fieldSelector: q.fieldSelector } : {}),
    ...(q.resourceVersion !== '' ? { resourceVersion: q.resourceVersion } : {}),
    allowWatchBookmarks: q.allowWatchBookmarks,
  };
  return { opts, seconds };
}

/** tooSlow is the watch cache's own wording for a client that fell behind (client-go re-watches
 *  at once on a 500). */
function tooSlow(maxPending: number): StatusError {
  const msg =
    'Internal error occurred: watch terminated: ' +
    `the client fell more than ${maxPending} events behind; watch again`;
  return new StatusError(500, 'InternalError', msg);
}
