/**
 * Request routing, pure: a method and URL path become a RequestInfo (what kube-apiserver calls
 * RequestInfo: verb, API group/version, resource, namespace, name, subresource), or a named
 * non-resource path (/version, discovery, OpenAPI, health). No I/O: the server shell acts on it.
 *
 * Resource paths:
 *   /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
 *   /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
 * /api/v1/namespaces/{name}[/status] addresses the namespaces resource itself.
 */
import { findResource, type ResourceInfo } from '../../api/resources.js';

/** ResourceVerb is what a resource request does (kube-apiserver's verbs). */
export type ResourceVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection';

/** ResourceRoute is a request for a served resource. */
export interface ResourceRoute {
  kind: 'resource';
  verb: ResourceVerb;
  resource: ResourceInfo;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** OtherRoute is a non-resource path the server answers (discovery, OpenAPI, version, health). */
export type OtherRoute =
  | { kind: 'version' }
  | { kind: 'health'; check: 'healthz' | 'livez' | 'readyz' }
  | { kind: 'discovery-core' }
  | { kind: 'discovery-groups' }
  | { kind: 'discovery-group'; group: string }
  | { kind: 'discovery-resources'; group: string; version: string }
  | { kind: 'openapi-index' }
  | { kind: 'openapi-doc'; group: string; version: string };

/** RouteError is a path that names nothing served: 404, or 405 for a verb the path refuses. */
export type RouteError =
  | { kind: 'not-found'; message: string }
  | { kind: 'method-not-allowed'; message: string };

export type Route = ResourceRoute | OtherRoute | RouteError;

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Record<string, { one: ResourceVerb; many: ResourceVerb } | undefined> = {
  GET: { one: 'get', many: 'list' },
  HEAD: { one: 'get', many: 'list' },
  POST: { one: 'create', many: 'create' },
  PUT: { one: 'update', many: 'update' },
  PATCH: { one: 'patch', many: 'patch' },
  DELETE: { one: 'delete', many: 'deletecollection' },
};

/** route parses a request; watch is true for ?watch=true|1 lists. */
export function route(method: string, path: string, watch: boolean): Route {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const other = otherRoute(parts);
  if (other) return method === 'GET' || method === 'HEAD' ? other : notAllowed(method, path);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    [group, version, rest] = ['', parts[1] ?? '', parts.slice(2)];
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    [group, version, rest] = [parts[1] ?? '', parts[2] ?? '', parts.slice(3)];
  } else {
    return notFound(path);
  }
  return resourceRoute(method, path, group, version, rest, watch);
}

function otherRoute(parts: string[]): OtherRoute | undefined {
  const [a, b, c, d] = parts;
  const n = parts.length;
  if (n === 1 && a === 'version') return { kind: 'version' };
  if (n >= 1 && (a === 'healthz' || a === 'livez' || a === 'readyz')) return { kind: 'health', check: a };
  if (n === 1 && a === 'api') return { kind: 'discovery-core' };
  if (n === 1 && a === 'apis') return { kind: 'discovery-groups' };
  if (n === 2 && a === 'apis' && b) return { kind: 'discovery-group', group: b };
  if (n === 2 && a === 'api' && b) return { kind: 'discovery-resources', group: '', version: b };
  if (n === 3 && a === 'apis' && b && c) return { kind: 'discovery-resources', group: b, version: c };
  if (a === 'openapi' && b === 'v3') {
    if (n === 2) return { kind: 'openapi-index' };
    if (n === 4 && c === 'api' && d) return { kind: 'openapi-doc', group: '', version: d };
    const e = parts[4];
    if (n === 5 && c === 'apis' && d && e) return { kind: 'openapi-doc', group: d, version: e };
  }
  return undefined;
}

function resourceRoute(
  method: string,
  path: string,
  group: string,
  version: string,
  rest: string[],
  watch: boolean,
): Route {
  let namespace: string | undefined;
  // /namespaces/{ns}/{resource}... is namespaced; /namespaces/{name}[/status|finalize] is the
  // namespaces resource itself (the same rule as kube-apiserver's RequestInfo).
  if (rest[0] === 'namespaces' && rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2] ?? '')) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, extra] = rest;
  if (!plural || extra !== undefined) return notFound(path);
  const resource = findResource(group, version, plural);
  if (!resource) return notFound(path);
  if (namespace !== undefined && !resource.namespaced) return notFound(path);
  if (subresource && !resource.subresources.some((s) => s.name === subresource)) return notFound(path);
  const verbs = METHOD_VERBS[method];
  if (!verbs) return notAllowed(method, path);
  let verb: ResourceVerb = name === undefined ? verbs.many : verbs.one;
  if (verb === 'list' && watch) verb = 'watch';
  if (name === undefined && (verb === 'update' || verb === 'patch')) return notAllowed(method, path);
  if (name !== undefined && method === 'POST' && !subresource) return notAllowed(method, path);
  return { kind: 'resource', verb, resource, namespace, name, subresource };
}

function notFound(path: string): RouteError {
  return { kind: 'not-found', message: `the server could not find the requested resource (${path})` };
}

function notAllowed(method: string, path: string): RouteError {
  return { kind: 'method-not-allowed', message: `the server does not allow this method on the requested resource (${method} ${path})` };
}
