/**
 * OpenAPI v3, the minimal form kubectl needs (reference/kubectl-wire.md §4.2, §5): `apply`,
 * `create -f` and `edit` validate with `--validate=strict` by default, which downloads
 * /openapi/v3, then the document of the object's group-version, and looks for that kind's PATCH
 * operation. When the operation lists a `fieldValidation` query parameter, kubectl trusts the
 * server to validate and sends fieldValidation=Strict; without any document it refuses to run.
 *
 * So each served group-version gets a document with one PATCH path per kind, tagged with
 * x-kubernetes-group-version-kind. There is deliberately no requestBody: declaring the
 * strategic-merge-patch body without full components.schemas makes kubectl print a warning on
 * every apply.
 *
 * The index links each document with a `hash` query, the upper-case hex SHA-512 of the document
 * as served, because kubectl's HTTP cache keys on the URL: a changed document gets a new URL.
 * Documents are rendered once per process (the resource table is static).
 */
import { createHash } from 'node:crypto';
import { apiVersionOf } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import { groupVersions, RESOURCES } from '../../api/resources.js';
import { versionInfo } from '../discovery/version.js';

/** Rendered is a document and its Content-Type. */
export interface Rendered {
  contentType: string;
  body: unknown;
}

const JSON_TYPE = 'application/json';

/** OpenApiDocument is the subset of an OpenAPI 3.0 document k8ts serves. */
export interface OpenApiDocument {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, PathItem>;
}

interface Parameter {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: { type: 'string' | 'boolean'; uniqueItems?: boolean };
}

interface PathItem {
  parameters: Parameter[];
  patch: Record<string, unknown>;
}

/** specPath is the index key and URL suffix of a group-version: "api/v1", "apis/apps/v1". */
export function specPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

const QUERY_PARAMETERS: readonly Parameter[] = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted. ' +
    'Valid values are: - All: all dry run stages will be processed'),
  queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is ' +
    'making these changes.'),
  queryParam('fieldValidation', 'fieldValidation instructs the server on how to handle objects ' +
    'in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, ' +
    'Strict (the default).'),
  { ...queryParam('force', 'Force is going to "force" Apply requests. It means user will ' +
    're-acquire conflicting fields owned by other people.'), schema: { type: 'boolean',
    uniqueItems: true } },
];

function queryParam(name: string, description: string): Parameter {
  return { name, in: 'query', description, schema: { type: 'string', uniqueItems: true } };
}

function pathParam(name: string, description: string): Parameter {
  return { name, in: 'path', description, required: true, schema: { type: 'string',
    uniqueItems: true } };
}

/** operationId as kube-apiserver names it: patchAppsV1NamespacedDeployment, patchCoreV1Node. */
function operationId(r: ResourceInfo): string {
  const head = r.group === '' ? 'core' : (r.group.split('.')[0] ?? r.group);
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  return `patch${cap(head)}${cap(r.version)}${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
}

function patchPath(r: ResourceInfo): [string, PathItem] {
  const prefix = `/${specPath(r.group, r.version)}`;
  const scope = r.namespaced ? '/namespaces/{namespace}' : '';
  const parameters = [pathParam('name', `name of the ${r.kind}`)];
  if (r.namespaced) {
    parameters.push(pathParam('namespace', 'object name and auth scope, such as for teams and ' +
      'projects'));
  }
  const patch = {
    description: `partially update the specified ${r.kind}`,
    operationId: operationId(r),
    parameters: QUERY_PARAMETERS.map((p) => ({ ...p })),
    responses: { '200': { description: 'OK' }, '201': { description: 'Created' } },
    'x-kubernetes-action': 'patch',
    'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
  };
  return [`${prefix}${scope}/${r.resource}/{name}`, { parameters, patch }];
}

/** renderDocument builds the document of one group-version; undefined when not served. */
export function renderDocument(group: string, version: string,
  resources: readonly ResourceInfo[] = RESOURCES): OpenApiDocument | undefined {
  const served = resources.filter((r) => r.group === group && r.version === version);
  if (served.length === 0) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: versionInfo().gitVersion },
    paths: Object.fromEntries(served.map(patchPath)),
  };
}

/** sha512Hex is the cache-busting hash of a served document (upper-case hex, as upstream). */
export function sha512Hex(text: string): string {
  return createHash('sha512').update(text).digest('hex').toUpperCase();
}

interface Cached {
  body: OpenApiDocument;
  hash: string;
}

/** Module-level cache: documents and their hashes, computed on first use. */
let cache: Map<string, Cached> | undefined;

function documents(): Map<string, Cached> {
  if (cache) return cache;
  const built = new Map<string, Cached>();
  for (const gv of groupVersions()) {
    const body = renderDocument(gv.group, gv.version);
    if (!body) continue;
    built.set(apiVersionOf(gv.group, gv.version), { body, hash: sha512Hex(JSON.stringify(body)) });
  }
  cache = built;
  return built;
}

/** openApiIndex answers GET /openapi/v3: one serverRelativeURL per served group-version. */
export function openApiIndex(): Rendered {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) {
    const doc = documents().get(apiVersionOf(gv.group, gv.version));
    if (!doc) continue;
    const p = specPath(gv.group, gv.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${doc.hash}` };
  }
  return { contentType: JSON_TYPE, body: { paths } };
}

/** openApiDocument answers GET /openapi/v3/api/v1 and /openapi/v3/apis/<g>/<v>. */
export function openApiDocument(group: string, version: string): Rendered | undefined {
  const doc = documents().get(apiVersionOf(group, version));
  return doc && { contentType: JSON_TYPE, body: doc.body };
}
