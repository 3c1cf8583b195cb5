/**
 * The component API (proto/k8ts/api/v1/api.proto) over an ApiRegistry: the face the scheduler,
 * controllers, kubelet and kube-proxy use instead of REST. Each method decodes its request into
 * the same registry call the REST handler makes, so validation, defaulting, admission, storage
 * and watch semantics are the REST face's by construction; objects leave as the JSON REST sends.
 *
 * Failures end the call with the Status mapped by src/rpc/kube-status.ts (gRPC code + the full
 * Status in the `k8ts-status-bin` trailer). Errors that are not a StatusError are bugs or store
 * trouble: they answer a 500 Status and are logged, once, in call.ts.
 */
import type { Server } from '@grpc/grpc-js';
import { unauthorized } from '../../api/errors.js';
import { findResource } from '../../api/resources.js';
import { unreachable } from '../../base/assert.js';
import {
  ApiServiceService, type ApiServiceServer, type CreateRequest,
} from '../../gen/k8ts/api/v1/api.js';
import { toStatusServiceError } from '../../rpc/kube-status.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiRegistry, RequestContext } from '../registry/types.js';
import { bindBatch } from './bind-batch.js';
import { createBatch } from './create-batch.js';
import { contextOf, unaryHandler } from './call.js';
import {
  bindTarget,
  decodeBody,
  deleteOptions,
  jsonBytes,
  listOptions,
  patchBody,
  patchType,
  readSubresource,
  resolve,
  writeOptions,
} from './requests.js';
import { serveWatch, type WatchEdges } from './watch.js';
import { watchResponseBytes } from './watch-encode.js';
import { jsonBytesOf, jsonBytesWithoutManagedFieldsOf, withoutManagedFields } from '../storage/shared-views.js';
import { FlowControl, type CallerEdge } from '../flowcontrol/flow-control.js';
import { stamp, timelineOn } from '../../base/timeline.js';

/** ApiServiceOptions configure the component API: insecure (every caller is system:admin;
 *  debugging only), log, the clock for watch lifetimes and the watch bounds. */
export type ApiServiceOptions = WatchEdges;

/** addApiService registers the component API on server (the API server process calls this). */
export function addApiService(
  server: Server,
  registry: ApiRegistry,
  opts: ApiServiceOptions,
): void {
  // Watch messages are laid out from event parts encoded once for all watchers (same bytes).
  const watch = { ...ApiServiceService.watch, responseSerialize: watchResponseBytes };
  server.addService({ ...ApiServiceService, watch }, apiService(registry, opts));
}

/** PODS: binds are pod writes (classified as pods). */
const PODS = findResource('', 'v1', 'pods') ?? unreachable('the resource table has no pods');

/** apiService implements ApiServiceServer over reg; one registry call per method. */
export function apiService(reg: ApiRegistry, o: ApiServiceOptions): ApiServiceServer {
  // Writes wait for a seat in their priority level (API Priority and Fairness): a Lease
  // renewal or a node's status never waits behind one client's bulk writes.
  const flow = new FlowControl(o.clock, {}, o.log);
  const seated = <T>(ctx: RequestContext, r: ResourceInfo, caller: CallerEdge,
    write: () => Promise<T>): Promise<T> =>
    flow.run({ user: ctx.user, resource: r }, caller, write);
  /** create: one Create's path, a Create call's or a CreateBatch's. */
  const create = async (q: CreateRequest, ctx: RequestContext, caller: CallerEdge) => {
    const t = resolve(q, 'create');
    const obj = decodeBody(q.objectJson);
    const key = timelineOn ? `${t.ns}/${String(obj.metadata?.name)}` : '';
    stamp('api.create.recv', key);
    const out = await seated(ctx, t.r, caller, () => {
      stamp('api.create.seat', key);
      return reg.create(ctx, t.r, t.ns, obj, writeOptions(q, t.sub));
    });
    stamp('api.create.done', key);
    return out;
  };
  return {
    get: unaryHandler(o, 'Get', async (q, ctx) => {
      const t = resolve(q, 'get');
      const sub = readSubresource(t.sub);
      return { objectJson: jsonBytes(await reg.get(ctx, t.r, t.ns, t.name, sub)) };
    }),
    list: unaryHandler(o, 'List', async (q, ctx) => {
      const t = resolve(q, 'list');
      const list = await reg.list(ctx, t.r, t.ns, listOptions(q));
      return { listJson: jsonBytes(q.omitManagedFields ? { ...list, items: list.items.map(withoutManagedFields) } : list) };
    }),
    watch: (call) => {
      const ctx = contextOf(call, o);
      if (ctx) serveWatch(call, ctx, reg, o);
      else call.emit('error', toStatusServiceError(unauthorized()));
    },
    create: unaryHandler(o, 'Create', async (q, ctx, caller) => {
      const out = await create(q, ctx, caller);
      // A written object's answer is its stored bytes with the revision written in.
      return { objectJson: answerBytes(q, out.object), created: out.created, warnings: out.warnings };
    }),
    update: unaryHandler(o, 'Update', async (q, ctx, caller) => {
      const t = resolve(q, 'update');
      const obj = decodeBody(q.objectJson);
      const out = await seated(ctx, t.r, caller,
        () => reg.update(ctx, t.r, t.ns, t.name, obj, writeOptions(q, t.sub)));
      return { objectJson: answerBytes(q, out.object), created: out.created, warnings: out.warnings };
    }),
    patch: unaryHandler(o, 'Patch', async (q, ctx, caller) => {
      const t = resolve(q, 'patch');
      const type = patchType(q.patchType, q.force);
      const opts = { ...writeOptions(q, t.sub), force: q.force };
      const body = patchBody(q.body);
      const out = await seated(ctx, t.r, caller,
        () => reg.patch(ctx, t.r, t.ns, t.name, type, body, opts));
      return { objectJson: answerBytes(q, out.object), created: out.created, warnings: out.warnings };
    }),
    delete: unaryHandler(o, 'Delete', async (q, ctx, caller) => {
      const t = resolve(q, 'delete');
      const opts = deleteOptions(q);
      const out = await seated(ctx, t.r, caller, () => reg.delete(ctx, t.r, t.ns, t.name, opts));
      return { objectJson: jsonBytes(out.object), deleted: out.deleted };
    }),
    bind: unaryHandler(o, 'Bind', async (q, ctx, caller) => {
      const b = bindTarget(q);
      await seated(ctx, PODS, caller, () => reg.bind(ctx, b.namespace, b.pod, b.nodeName));
      return {};
    }),
    bindBatch: unaryHandler(o, 'BindBatch', (q, ctx, caller) => bindBatch(q, async (b) => {
      const key = timelineOn ? `${b.namespace}/${b.pod}` : '';
      stamp('api.bind.recv', key);
      await seated(ctx, PODS, caller, () => {
        stamp('api.bind.seat', key);
        return reg.bind(ctx, b.namespace, b.pod, b.nodeName);
      });
      stamp('api.bind.done', key);
    }, o.log)),
    createBatch: unaryHandler(o, 'CreateBatch', (q, ctx, caller) => {
      // A call's size, for the burst timeline's count of calls (key: the first create's).
      if (timelineOn) stamp(`api.createBatch.${q.creates.length}`, q.creates[0]?.resource ?? '');
      return createBatch(q, async (c) => answerBytes(c, (await create(c, ctx, caller)).object), o.log);
    }),
  };
}

/** answerBytes: a write's answer, without managedFields when the writer asked (both from the
 *  stored bytes when the object remembers them). */
function answerBytes(q: { omitManagedFields: boolean }, obj: object): Buffer {
  return q.omitManagedFields ? jsonBytesWithoutManagedFieldsOf(obj) : jsonBytesOf(obj);
}
