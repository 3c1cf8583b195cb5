/**
 * Resource requests: each verb of kube-apiserver's REST handlers (get, list, watch, create,
 * update, patch, delete, deletecollection, and the status/scale/finalize/binding/eviction
 * subresources)
 * translated into one registry call and its response. Query parameters are read here; rules are
 * in the registry.
 */
import { badRequest, methodNotAllowed, StatusError } from '../../api/errors.js';
import { isJsonObject, type KubeObject } from '../../api/meta.js';
import type { DeleteOptions, WriteOptions, WriteSubresource } from '../registry/types.js';
import { parseJson } from '../../api/text-codec.js';
import {
  fieldManager,
  fieldValidation,
  patchType,
  propagationPolicy,
  resourceVersionMatch,
} from '../registry/options.js';
import { decodeObject, readBody } from './body.js';
import type { ResourceCall } from './call.js';
import { serveKubeletSubresource } from './kubelet-proxy.js';
import { intParam, isTrue, stringParams } from './query.js';
import { mediaType, wantsTable } from './negotiate.js';
import { sendJson } from './respond.js';
import { tableOf } from './tables.js';
import { serveWatch } from './watch-stream.js';

/** handleResource answers a resource request. */
export async function handleResource(c: ResourceCall): Promise<void> {
  const { route: r } = c;
  const sub = r.subresource;
  if (sub === 'log' || sub === 'exec' || sub === 'attach' || sub === 'portforward') return streaming(c);
  if (sub === 'binding') return binding(c);
  if (sub === 'eviction') return eviction(c);
  if (sub === 'finalize' && r.verb !== 'update') {
    throw methodNotAllowed('the server does not allow this method on the requested resource');
  }
  switch (r.verb) {
    case 'get':
      return get(c);
    case 'list':
      return list(c);
    case 'watch':
      return serveWatch(c);
    case 'create':
      return create(c);
    case 'update':
      return update(c);
    case 'patch':
      return patch(c);
    case 'delete':
      return remove(c);
    case 'deletecollection':
      return removeCollection(c);
  }
}

function writeSub(sub: string | undefined): WriteSubresource | undefined {
  if (sub === undefined) return undefined;
  if (sub === 'status' || sub === 'scale' || sub === 'finalize') return sub;
  throw methodNotAllowed(`the server does not allow this method on the requested resource`);
}

function writeOptions(c: ResourceCall): WriteOptions {
  const q = c.url.searchParams;
  const fv = fieldValidation(q.get('fieldValidation') ?? undefined);
  const dryRun = q.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All')) throw badRequest(`unsupported dry run value: ${dryRun.join(',')}; only "All" is supported`);
  const manager = fieldManager(q.get('fieldManager') ?? undefined);
  const sub = writeSub(c.route.subresource);
  return {
    ...(manager !== undefined ? { fieldManager: manager } : {}),
    ...(dryRun.length > 0 ? { dryRun: true } : {}),
    ...(fv !== undefined ? { fieldValidation: fv } : {}),
    ...(sub ? { subresource: sub } : {}),
  };
}

async function get(c: ResourceCall): Promise<void> {
  const { route: r } = c;
  const name = r.name ?? '';
  const sub = r.subresource === 'status' || r.subresource === 'scale' ? r.subresource : undefined;
  const obj = await c.deps.registry.get(c.ctx, r.resource, r.namespace, name, sub);
  if (!sub && wantsTable(c.req.headers.accept)) {
    sendJson(c.res, 200, tableOf(c, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '' }));
    return;
  }
  sendJson(c.res, 200, obj);
}

async function list(c: ResourceCall): Promise<void> {
  const q = c.url.searchParams;
  const limit = intParam(c.url, 'limit');
  const rvMatch = resourceVersionMatch(q.get('resourceVersionMatch') ?? undefined);
  const lst = await c.deps.registry.list(c.ctx, c.route.resource, c.route.namespace, {
    ...stringParams(c.url, ['labelSelector', 'fieldSelector', 'resourceVersion', 'continue']),
    ...(rvMatch ? { resourceVersionMatch: rvMatch } : {}),
    ...(limit !== undefined && limit > 0 ? { limit } : {}),
  });
  if (wantsTable(c.req.headers.accept)) {
    sendJson(c.res, 200, tableOf(c, lst.items, lst.metadata));
    return;
  }
  sendJson(c.res, 200, lst);
}

async function create(c: ResourceCall): Promise<void> {
  const body = decodeObject(await readBody(c.req), c.req.headers['content-type']);
  const out = await c.deps.registry.create(c.ctx, c.route.resource, c.route.namespace, body, writeOptions(c));
  sendJson(c.res, 201, out.object, 'application/json', out.warnings);
}

async function update(c: ResourceCall): Promise<void> {
  const body = decodeObject(await readBody(c.req), c.req.headers['content-type']);
  const out = await c.deps.registry.update(c.ctx, c.route.resource, c.route.namespace, c.route.name ?? '', body, writeOptions(c));
  sendJson(c.res, out.created ? 201 : 200, out.object, 'application/json', out.warnings);
}

async function patch(c: ResourceCall): Promise<void> {
  const force = isTrue(c.url.searchParams.get('force'));
  const type = patchType(mediaType(c.req.headers['content-type']), force);
  const body = (await readBody(c.req)).toString('utf8');
  const out = await c.deps.registry.patch(c.ctx, c.route.resource, c.route.namespace, c.route.name ?? '', type, body, { ...writeOptions(c), force });
  sendJson(c.res, out.created ? 201 : 200, out.object, 'application/json', out.warnings);
}

async function deleteOptions(c: ResourceCall): Promise<DeleteOptions> {
  const raw = await readBody(c.req);
  const body: Record<string, unknown> = raw.length > 0 ? (parseJson(raw.toString('utf8')) as Record<string, unknown>) : {};
  if (!isJsonObject(body)) throw badRequest('the DeleteOptions body must be a JSON object');
  const q = c.url.searchParams;
  const grace = intParam(c.url, 'gracePeriodSeconds') ?? (body.gracePeriodSeconds as number | undefined);
  const given = q.get('propagationPolicy') ?? body.propagationPolicy;
  let policy = propagationPolicy(given === undefined || given === null ? undefined : String(given));
  const orphan = q.get('orphanDependents') ?? body.orphanDependents;
  if (policy === undefined && orphan !== undefined && orphan !== null) policy = orphan === true || orphan === 'true' ? 'Orphan' : 'Background';
  const pre = body.preconditions as DeleteOptions['preconditions'] | undefined;
  const dryRun = [...q.getAll('dryRun'), ...((body.dryRun as string[] | undefined) ?? [])];
  return {
    ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    ...(policy ? { propagationPolicy: policy } : {}),
    ...(pre ? { preconditions: pre } : {}),
    ...(dryRun.includes('All') ? { dryRun: true } : {}),
  };
}

async function remove(c: ResourceCall): Promise<void> {
  if (c.route.subresource) throw methodNotAllowed('the server does not allow this method on the requested resource');
  const out = await c.deps.registry.delete(c.ctx, c.route.resource, c.route.namespace, c.route.name ?? '', await deleteOptions(c));
  sendJson(c.res, 200, out.object);
}

async function removeCollection(c: ResourceCall): Promise<void> {
  const opts = await deleteOptions(c);
  const selectors = stringParams(c.url, ['labelSelector', 'fieldSelector']);
  const lst = await c.deps.registry.list(c.ctx, c.route.resource, c.route.namespace, selectors);
  const items: KubeObject[] = [];
  for (const item of lst.items) {
    try {
      const out = await c.deps.registry.delete(c.ctx, c.route.resource, item.metadata.namespace, item.metadata.name ?? '', opts);
      items.push(out.object);
    } catch (err) {
      if (!(err instanceof StatusError && err.reason === 'NotFound')) throw err;
    }
  }
  sendJson(c.res, 200, { ...lst, items });
}

async function binding(c: ResourceCall): Promise<void> {
  if (c.route.verb !== 'create') throw methodNotAllowed('bindings can only be created');
  const body = decodeObject(await readBody(c.req), c.req.headers['content-type']);
  const target = (body.target ?? {}) as { name?: string; kind?: string };
  if (!target.name) throw badRequest('Binding.target.name: Required value');
  await c.deps.registry.bind(c.ctx, c.route.namespace ?? '', c.route.name ?? '', target.name);
  sendJson(c.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

async function eviction(c: ResourceCall): Promise<void> {
  if (c.route.verb !== 'create') throw methodNotAllowed('evictions can only be created');
  const body = decodeObject(await readBody(c.req), c.req.headers['content-type']);
  const opts = (body.deleteOptions ?? {}) as DeleteOptions;
  await c.deps.registry.delete(c.ctx, c.route.resource, c.route.namespace, c.route.name ?? '', opts);
  sendJson(c.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

/** streaming: pods/log, exec, attach, portforward reach the pod's kubelet (kubelet-proxy.ts). */
async function streaming(c: ResourceCall): Promise<void> {
  return serveKubeletSubresource(c);
}
