/**
 * Watch over HTTP: a chunked response carrying one JSON event per line
 * ({"type":"ADDED","object":{...}}), flushed as each event happens, until timeoutSeconds passes
 * or the client goes away (reference/kubectl-wire.md §6). `kubectl get -w` asks for Table rows;
 * a too-old resourceVersion ends the stream with an ERROR event carrying a 410 Expired Status,
 * which tells informers to relist.
 */
import { badRequest } from '../../api/errors.js';
import type { Timer } from '../../base/clock.js';
import type { KubeObject } from '../../api/meta.js';
import { sharedJson } from '../storage/shared-views.js';
import type { Watch } from '../storage/types.js';
import { intParam, stringParams } from './query.js';
import { wantsTable } from './negotiate.js';
import type { ResourceCall } from './call.js';
import { statusOf } from './respond.js';
import { tableRenderer } from './tables.js';

/** MAX_WATCH_SECONDS caps a watch's life (kube-apiserver's --min-request-timeout×2 idea). */
const MAX_WATCH_SECONDS = 30 * 60;
/** Bytes queued on a slow client's socket before the watch is dropped (the client re-watches). */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

/** serveWatch streams events of the call's resource until timeout or disconnect. */
export async function serveWatch(c: ResourceCall): Promise<void> {
  const q = c.url.searchParams;
  const timeout = intParam(c.url, 'timeoutSeconds');
  if (timeout !== undefined && timeout < 0) throw badRequest('timeoutSeconds must be non-negative');
  const asTable = wantsTable(c.req.headers.accept);
  const render = asTable ? tableRenderer(c) : undefined;
  let first = true;
  const res = c.res;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  await new Promise<void>((resolve) => {
    let done = false;
    // Assigned below; finish() may run before either exists (a synchronous watch failure).
    const held: { watch?: Watch; timer?: Timer } = {};
    const finish = (): void => {
      if (done) return;
      done = true;
      held.watch?.stop();
      held.timer?.cancel();
      res.end();
      resolve();
    };
    const send = (type: string, object: unknown): void => {
      if (done) return;
      res.write(`${JSON.stringify({ type, object })}\n`);
      if (res.writableLength > MAX_PENDING_BYTES) finish();
    };
    // The same bytes as send(type, object): every watcher of an event gets the same object,
    // whose JSON is encoded once for all of them.
    const sendShared = (type: string, object: KubeObject): void => {
      if (done) return;
      res.write(`{"type":${JSON.stringify(type)},"object":${sharedJson(object)}}\n`);
      if (res.writableLength > MAX_PENDING_BYTES) finish();
    };
    c.req.socket.on('close', finish);
    res.on('close', finish);
    const seconds = Math.min(timeout ?? MAX_WATCH_SECONDS, MAX_WATCH_SECONDS);
    held.timer = c.deps.clock.setTimeout(finish, seconds * 1000);
    const watch = c.deps.registry.watch(
      c.ctx,
      c.route.resource,
      c.route.namespace,
      {
        ...stringParams(c.url, ['labelSelector', 'fieldSelector']),
        ...(q.get('resourceVersion') !== null ? { resourceVersion: q.get('resourceVersion') ?? '' } : {}),
        allowWatchBookmarks: q.get('allowWatchBookmarks') === 'true',
      },
      (e) => {
        const obj: KubeObject = e.object;
        if (render && e.type !== 'BOOKMARK' && e.type !== 'ERROR') {
          send(e.type, render(obj, first));
          first = false;
        } else sendShared(e.type, obj);
      },
      (err) => {
        send('ERROR', statusOf(err));
        finish();
      },
    );
    held.watch = watch;
    // The watch may have failed synchronously: finish() ran before it was held.
    if (done) watch.stop();
  });
}
