/**
 * The Kubernetes REST face: one request handler for node:http(s) that authenticates, routes and
 * answers the way kube-apiserver does for the real kubectl (reference/kubectl-wire.md): resource
 * verbs through the registry, Tables for human output, watches as chunked JSON streams, and
 * discovery/OpenAPI/version documents. Failures are always a Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, methodNotAllowed, StatusError, unauthorized } from '../../api/errors.js';
import type { Clock } from '../../base/clock.js';
import type { KubeObject } from '../../api/meta.js';
import type { Authenticator } from '../auth/authenticate.js';
import type { ApiRegistry, RequestContext } from '../registry/types.js';
import { serveDocument, type DocumentContext } from './documents.js';
import { handleResource } from './resource-handler.js';
import { sendError, sendJson } from './respond.js';
import { route } from './route.js';

/** RestDeps are the handler's collaborators. */
export interface RestDeps {
  registry: ApiRegistry;
  auth: Authenticator;
  /** Wall-clock milliseconds (Table AGE cells). */
  wallMs: () => number;
  /** Timers (watch timeouts). */
  clock: Clock;
  /** host:port clients reach this server at (legacy discovery's serverAddressByClientCIDRs). */
  serverAddress: string;
  /** health resolves when the store answers; rejects with the reason otherwise. */
  health: () => Promise<void>;
  log: (line: string) => void;
}

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
  if (!user) throw unauthorized();
  const watch = isTrue(url.searchParams.get('watch'));
  const r = route(method, url.pathname, watch);
  if (r.kind === 'not-found') {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  }
  if (r.kind === 'method-not-allowed') throw methodNotAllowed(r.message);
  if (r.kind !== 'resource') {
    const ctx: DocumentContext = { accept: req.headers.accept, serverAddress: deps.serverAddress, health: deps.health };
    await serveDocument(r, ctx, res);
    return;
  }
  const traceparent = req.headers.traceparent;
  const ctx: RequestContext = {
    user,
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
  };
  await handleResource({ deps, ctx, route: r, req, res, url });
}

/** isTrue reads boolean query parameters as Go's strconv.ParseBool does. */
export function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1' || v === 'True' || v === 'TRUE' || v === 't' || v === 'T';
}

/** intParam reads an optional non-negative integer query parameter (400 when malformed). */
export function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

/** respondObject answers one object as JSON. */
export function respondObject(res: ServerResponse, code: number, obj: KubeObject, warnings: string[] = []): void {
  sendJson(res, code, obj, 'application/json', warnings);
}
