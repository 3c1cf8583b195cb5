/**
 * Upgrade requests at the API server (node:http's 'upgrade' event): kubectl's exec/attach
 * (WebSocket v5 or SPDY) and port-forward (WebSocket-tunnelled SPDY or SPDY) pass through to the
 * pod's kubelet untouched — request headers forwarded, the 101 relayed, then bytes both ways. A
 * refusal (ours or the kubelet's) is a Status with a non-101 code, so kubectl can fall back from
 * WebSocket to SPDY and prints the message when both fail.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, unauthorized, unknownPath, type Status } from '../../api/errors.js';
import type { RequestContext } from '../registry/types.js';
import type { RestDeps } from './call.js';
import type { StreamingSubresource } from './kubelet-proxy-target.js';
import {
  kubeletFailure, locateKubelet, openKubelet, readBounded, unreachable,
} from './kubelet-proxy.js';
import { statusOf } from './respond.js';
import { route } from './route.js';
import { splice } from '../../base/splice.js';

const UPGRADABLE = new Set(['exec', 'attach', 'portforward']);
/** Request headers that belong to one hop only. */
const HOP_HEADERS = new Set([
  'host', 'authorization', 'content-length', 'transfer-encoding', 'keep-alive',
]);

/**
 * UpgradeHandler is the API server's 'upgrade' listener. closeAll drops every upgraded
 * connection: node:http's closeAllConnections() no longer sees them, and server.close() would
 * wait for a live exec session forever.
 */
export type UpgradeHandler = ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) & {
  closeAll(): void;
};

/** createUpgradeHandler returns the API server's 'upgrade' listener. */
export function createUpgradeHandler(deps: RestDeps): UpgradeHandler {
  const open = new Set<Duplex>();
  const handler = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
    proxy(deps, req, socket, head).catch((err: unknown) => {
      const status = statusOf(err);
      if (status.code >= 500 && status.reason === 'InternalError') {
        deps.log(`upgrade ${req.url ?? ''}: ${String(err)}`);
      }
      writeStatus(socket, status);
    });
  };
  return Object.assign(handler, {
    closeAll: () => {
      for (const s of open) s.destroy();
    },
  });
}

async function proxy(
  deps: RestDeps, req: IncomingMessage, socket: Duplex, head: Buffer,
): Promise<void> {
  const user = deps.auth.authenticate(req);
  if (!user) throw unauthorized();
  const url = new URL(req.url ?? '/', 'http://k8ts');
  const r = route(req.method ?? 'GET', url.pathname, false);
  if (r.kind !== 'resource') throw unknownPath();
  const sub = r.subresource ?? '';
  if (r.resource.resource !== 'pods' || !UPGRADABLE.has(sub)) {
    throw badRequest('upgrade requests are served only for pods/exec, pods/attach and ' +
      'pods/portforward');
  }
  const ctx: RequestContext = { user };
  const pod = await deps.registry.get(ctx, r.resource, r.namespace, r.name ?? '');
  const target = await locateKubelet(deps, ctx, pod, sub as StreamingSubresource, url.searchParams);
  if (!target) throw badRequest(`pod ${r.name ?? ''} does not have a host assigned`);
  const headers: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined && !HOP_HEADERS.has(k)) headers[k] = v;
  }
  const out = openKubelet(deps, target, req.method ?? 'GET', headers);
  await new Promise<void>((resolve, reject) => {
    out.on('upgrade', (res, upstream, upstreamHead) => {
      socket.write(responseHead(res));
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstream.write(head);
      splice(socket, upstream);
      resolve();
    });
    out.on('response', (res) => {
      readBounded(res).then((body) => reject(kubeletFailure(res.statusCode ?? 500, body)), reject);
    });
    out.on('error', (err) => reject(unreachable(target, err)));
    out.end();
  });
}

/** writeStatus answers an upgrade request with a Status and closes the socket. */
function writeStatus(socket: Duplex, status: Status): void {
  if (socket.destroyed) return;
  const body = Buffer.from(JSON.stringify(status));
  const head = [
    `HTTP/1.1 ${status.code} ${status.reason ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${body.length}`,
    'Connection: close',
  ].join('\r\n');
  socket.end(Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), body]));
}

/** responseHead rebuilds the kubelet's 101 exactly as received. */
function responseHead(res: IncomingMessage): Buffer {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 101} ${res.statusMessage ?? ''}`];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    lines.push(`${res.rawHeaders[i] ?? ''}: ${res.rawHeaders[i + 1] ?? ''}`);
  }
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

