/**
 * The non-resource documents: /version, health checks, discovery (aggregated and legacy) and
 * OpenAPI v3. The documents themselves are pure renderings of the resource table
 * (src/apiserver/discovery, src/apiserver/openapi); this file picks the variant the client asked
 * for and writes it with the exact Content-Type kubectl keys on.
 */
import type { ServerResponse } from 'node:http';
import { unknownPath } from '../../api/errors.js';
import {
  discoveryCore,
  discoveryGroup,
  discoveryGroups,
  discoveryResources,
} from '../discovery/index.js';
import { openApiDocument, openApiIndex } from '../openapi/index.js';
import { versionInfo } from '../discovery/version.js';
import { sendJson } from './respond.js';
import type { OtherRoute } from './route.js';

/** DocumentContext is what documents depend on from the request and server. */
export interface DocumentContext {
  accept: string | undefined;
  serverAddress: string;
  health: () => Promise<void>;
}

/** serveDocument answers one non-resource route. */
export async function serveDocument(r: OtherRoute, ctx: DocumentContext, res: ServerResponse): Promise<void> {
  switch (r.kind) {
    case 'version':
      return sendJson(res, 200, versionInfo());
    case 'health':
      return health(r.check, ctx, res);
    case 'discovery-core':
      return send(res, discoveryCore(ctx.accept, ctx.serverAddress));
    case 'discovery-groups':
      return send(res, discoveryGroups(ctx.accept));
    case 'discovery-group':
      return send(res, orNotFound(discoveryGroup(r.group)));
    case 'discovery-resources':
      return send(res, orNotFound(discoveryResources(r.group, r.version)));
    case 'openapi-index':
      return send(res, openApiIndex());
    case 'openapi-doc':
      return send(res, orNotFound(openApiDocument(r.group, r.version)));
  }
}

/** A rendered document and its Content-Type. */
interface Rendered {
  contentType: string;
  body: unknown;
}

function send(res: ServerResponse, d: Rendered): void {
  sendJson(res, 200, d.body, d.contentType);
}

function orNotFound(d: Rendered | undefined): Rendered {
  if (!d) throw unknownPath();
  return d;
}

/** health answers "ok" as text when the store answers a linearizable read, 500 otherwise. */
async function health(check: string, ctx: DocumentContext, res: ServerResponse): Promise<void> {
  let failure: string | undefined;
  try {
    await ctx.health();
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  const body = failure === undefined ? 'ok' : `[-]etcd failed: ${failure}\n${check} check failed`;
  res.writeHead(failure === undefined ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}
