/**
 * The Kubernetes REST face: one request handler for node:http(s) that authenticates, routes and
 * answers the way kube-apiserver does for the real kubectl (reference/kubectl-wire.md): resource
 * verbs through the registry, Tables for human output, watches as chunked JSON streams, and
 * discovery/OpenAPI/version documents. Failures are always a Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotAllowed, StatusError, unauthorized, unknownPath } from '../../api/errors.js';
import type { RequestContext } from '../registry/types.js';
import type { RestDeps } from './call.js';
import { serveDocument, type DocumentContext } from './documents.js';
import { isPublicInfo } from '../auth/public-info.js';
import { handleResource } from './resource-handler.js';
import { isTrue } from './query.js';
import { sendError } from './respond.js';
import { route } from './route.js';

export type { RestDeps } from './call.js';

/** createRestHandler returns the request listener of the API server. */
export function createRestHandler(deps: RestDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      if (!(err instanceof StatusError)) deps.log(`${req.method ?? ''} ${req.url ?? ''}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      sendError(res, err);
    });
  };
}

async function handle(deps: RestDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://k8ts');
  const method = req.method ?? 'GET';
  const user = deps.auth.authenticate(req);
  if (!user && !isPublicInfo(method, url.pathname)) throw unauthorized();
  const watch = isTrue(url.searchParams.get('watch'));
  const r = route(method, url.pathname, watch);
  if (r.kind === 'not-found') throw unknownPath();
  if (r.kind === 'method-not-allowed') throw methodNotAllowed(r.message);
  if (r.kind !== 'resource') {
    const ctx: DocumentContext = { accept: req.headers.accept, serverAddress: deps.serverAddress, health: deps.health };
    await serveDocument(r, ctx, res);
    return;
  }
  if (!user) throw unauthorized();
  const { traceparent, 'user-agent': userAgent } = req.headers;
  const ctx: RequestContext = {
    user,
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
    ...(userAgent !== undefined ? { userAgent } : {}),
  };
  await handleResource({ deps, ctx, route: r, req, res, url });
}
