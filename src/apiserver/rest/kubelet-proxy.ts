/**
 * The API server's pods/log, pods/exec, pods/attach and pods/portforward: find the pod's node and
 * its kubelet, then proxy — the log body streamed (chunked, until the kubelet ends it or the
 * client leaves), upgrades spliced through (kubelet-proxy-upgrade.ts). Failures are Statuses.
 * Connections to the kubelet use the API server's kubelet client certificate when one is
 * configured; without one, plain HTTP (tests).
 */
import {
  request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  badRequest, internalError, methodNotAllowed, StatusError, unavailable,
} from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { findResource } from '../../api/resources.js';
import type { RequestContext } from '../registry/types.js';
import type { ResourceCall, RestDeps } from './call.js';
import {
  chooseContainer, kubeletHostPort, kubeletPath, nodeNameOf, requireNode, type StreamingSubresource,
} from './kubelet-proxy-target.js';

/** How long connecting to a kubelet may take before the request fails with 503. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Bytes of a kubelet's error body kept for the Status message. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

/** KubeletTarget is one request's destination. */
export interface KubeletTarget {
  node: string;
  host: string;
  port: number;
  /** Path and query on the kubelet. */
  path: string;
}

/**
 * locateKubelet validates a streaming request against the pod and resolves its kubelet URL;
 * undefined only for logs of an unscheduled pod (upstream answers those with an empty body).
 */
export async function locateKubelet(
  deps: RestDeps,
  ctx: RequestContext,
  pod: KubeObject,
  sub: StreamingSubresource,
  query: URLSearchParams,
): Promise<KubeletTarget | undefined> {
  const container = sub === 'portforward'
    ? undefined
    : chooseContainer(pod, query.get('container'));
  const node = sub === 'log' ? nodeNameOf(pod) : requireNode(pod);
  if (node === undefined) return undefined;
  const nodes = findResource('', 'v1', 'nodes');
  if (!nodes) throw internalError('nodes are not served');
  const nodeObj = await deps.registry.get(ctx, nodes, undefined, node);
  const hp = kubeletHostPort(nodeObj);
  if (!hp) throw unavailable(`node "${node}" has no address for its kubelet yet`);
  return { node, ...hp, path: kubeletPath(sub, pod, container, query) };
}

/**
 * openKubelet starts a request to the kubelet; connection failures become a 503 naming the node.
 * The connect deadline is bounded; an established stream (follow) may then idle forever.
 */
export function openKubelet(
  deps: RestDeps, t: KubeletTarget, method: string, headers: OutgoingHttpHeaders,
): ClientRequest {
  const tls = deps.kubeletClientTls;
  const common = {
    host: t.host, port: t.port, method, path: t.path, headers, agent: false as const,
  };
  const req = tls
    ? httpsRequest({ ...common, key: tls.key, cert: tls.cert, ca: tls.ca })
    : httpRequest(common);
  const timer = deps.clock.setTimeout(
    () => req.destroy(new Error('connection timed out')), CONNECT_TIMEOUT_MS);
  req.on('socket', (s) => {
    const connected = (): void => timer.cancel();
    s.once(tls ? 'secureConnect' : 'connect', connected);
    s.once('close', connected);
  });
  req.on('close', () => timer.cancel());
  return req;
}

/** unreachable is the Status for a kubelet that cannot be reached. */
export function unreachable(t: KubeletTarget, err: Error): StatusError {
  return unavailable(`error trying to reach the kubelet of node "${t.node}" at ` +
    `${t.host}:${t.port}: ${err.message}`);
}

/** kubeletFailure maps a kubelet's non-success answer (its text body) to a Status. */
export function kubeletFailure(code: number, body: string): StatusError {
  const message = body.trim() || `the kubelet answered ${code}`;
  if (code === 400) return badRequest(message);
  if (code === 404) return new StatusError(404, 'NotFound', message);
  if (code === 401) return new StatusError(code, 'Unauthorized', message);
  if (code === 403) return new StatusError(code, 'Forbidden', message);
  if (code === 503) return unavailable(message);
  return internalError(message);
}

/** readBounded reads at most MAX_ERROR_BODY_BYTES of a response. */
export function readBounded(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < MAX_ERROR_BODY_BYTES) chunks.push(c.subarray(0, MAX_ERROR_BODY_BYTES - size));
      size += c.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/**
 * serveKubeletSubresource answers a NON-upgrade request for a streaming subresource: logs are
 * proxied; exec/attach/portforward are validated (so the client hears the specific problem) and
 * then refused with 400 "Upgrade request required".
 */
export async function serveKubeletSubresource(c: ResourceCall): Promise<void> {
  const sub = c.route.subresource as StreamingSubresource;
  const { resource, namespace, name } = c.route;
  const pod = await c.deps.registry.get(c.ctx, resource, namespace, name ?? '');
  if (sub !== 'log') {
    if (sub !== 'portforward') chooseContainer(pod, c.url.searchParams.get('container'));
    requireNode(pod);
    throw badRequest('Upgrade request required');
  }
  if (c.route.verb !== 'get') {
    throw methodNotAllowed('the server does not allow this method on the requested resource');
  }
  const target = await locateKubelet(c.deps, c.ctx, pod, sub, c.url.searchParams);
  if (!target) {
    c.res.writeHead(200, { 'Content-Type': 'text/plain' });
    c.res.end();
    return;
  }
  const upstream = openKubelet(c.deps, target, 'GET', { accept: '*/*' });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    upstream.on('response', resolve);
    upstream.on('error', (err) => reject(unreachable(target, err)));
    upstream.end();
  });
  if (res.statusCode !== 200) throw kubeletFailure(res.statusCode ?? 500, await readBounded(res));
  c.res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  c.res.flushHeaders();
  c.res.on('close', () => upstream.destroy());
  res.on('error', () => c.res.destroy());
  res.pipe(c.res);
}
