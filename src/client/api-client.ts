/**
 * ApiClient: the typed component client of the API (proto/k8ts/api/v1/api.proto), what the
 * scheduler, controllers, kubelet and kube-proxy use to read, write and watch objects. It is a
 * dynamic client, as the API is: any resource by group/version/resource, objects typed by the
 * caller through a generic over KubeObject.
 *
 * Failures: a StatusError rebuilt from the server's Status (the same reason, message, details
 * and causes the REST face would answer), or an RpcError when no API server answered. Calls fail
 * over between API servers as src/client/failover.ts allows. Informers, listers and workqueues
 * build on this in their own files; this one stays a thin, bounded client.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { KubeList, KubeObject } from '../api/meta.js';
import { systemClock, type Clock } from '../base/clock.js';
import { Prng } from '../base/prng.js';
import { ApiServiceService as Api } from '../gen/k8ts/api/v1/api.js';
import { channelCredentials, type TlsFiles } from '../rpc/credentials.js';
import { DEFAULT_DEADLINE_MS } from '../rpc/defaults.js';
import type { H2Method } from '../rpc/h2-client-call.js';
import { unaryH2 } from '../rpc/unary.js';
import { ApiConn, readyUnary } from './api-conn.js';
import { batchResultError, BindBatcher } from './bind-batcher.js';
import { formatFence } from './fence.js';
import { GrpcWatch } from './api-watch.js';
import type { BatchCreate, ComponentApi, Ns } from './component-api.js';
import { Failover, type Safety } from './failover.js';
import type {
  ApiResource,
  ApiWatch,
  CallOptions,
  DeleteOptions,
  DeleteResult,
  GetOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types.js';
import {
  activeTraceparent, decodeJson, encodeJson, mapServiceError, requestMetadata,
} from './wire.js';

/** Bind batchers one client keeps at most (one per fence and deadline in use). */
const MAX_BATCHERS = 16;

/** ApiClientOptions configure a client. */
export interface ApiClientOptions {
  /** host:port of every API server's gRPC face, preferred first (the local master's). */
  endpoints: string[];
  /** This component's identity (CN = user, O = groups) and the cluster CA; absent = insecure. */
  tls?: TlsFiles;
  /** Default deadline of unary calls (DEFAULT_DEADLINE_MS). */
  timeoutMs?: number;
  /** Warnings the server returned with a write (unknown fields under Warn, deprecations). */
  onWarning?: (warning: string) => void;
  clock?: Clock;
  /** Seed of the backoff jitter (default: the process id, so clients do not move in step). */
  seed?: number;
  /**
   * The component's User-Agent (componentUserAgent): the API server records this client's
   * writes that name no fieldManager under its name ("kubelet"), as kube-apiserver does.
   */
  userAgent?: string;
}

/** ApiClient talks to the API servers of one cluster; it is the ComponentApi components get. */
export class ApiClient implements ComponentApi {
  private readonly failover: Failover<ApiConn>;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  /** Bind batchers by fence and deadline (at most MAX_BATCHERS; idle ones are forgotten). */
  private readonly batchers = new Map<string, BindBatcher>();

  constructor(private readonly o: ApiClientOptions) {
    const creds: ChannelCredentials = channelCredentials(o.tls);
    const prng = new Prng(o.seed ?? process.pid);
    this.timeoutMs = o.timeoutMs ?? DEFAULT_DEADLINE_MS;
    this.clock = o.clock ?? systemClock;
    this.failover = new Failover({
      endpoints: o.endpoints,
      connect: (ep) => new ApiConn(ep, creds, o.tls, o.userAgent),
      ready: readyUnary,
      clock: this.clock,
      random: () => prng.float(),
    });
  }

  /** endpoint is the API server calls go to now. */
  get endpoint(): string {
    return this.failover.endpoint;
  }

  /** get reads one object (or its status or scale). */
  async get<T extends KubeObject>(
    r: ApiResource,
    ns: Ns,
    name: string,
    o: GetOptions = {},
  ): Promise<T> {
    const req = { ...target(r, ns, name), subresource: o.subresource ?? '' };
    const res = await this.call('read', o, Api.get, req);
    return decodeJson<T>(res.objectJson);
  }

  /** list reads a collection (ns undefined: every namespace), or one page of it. */
  async list<T extends KubeObject>(
    r: ApiResource,
    ns: Ns,
    o: ListOptions = {},
  ): Promise<KubeList<T>> {
    const req = {
      ...where(r, ns),
      labelSelector: o.labelSelector ?? '',
      fieldSelector: o.fieldSelector ?? '',
      resourceVersion: o.resourceVersion ?? '',
      resourceVersionMatch: o.resourceVersionMatch ?? '',
      limit: o.limit ?? 0,
      continue: o.continue ?? '',
      omitManagedFields: o.omitManagedFields ?? false,
    };
    const res = await this.call('read', o, Api.list, req);
    return decodeJson<KubeList<T>>(res.listJson);
  }

  /** watch starts a watch; iterate it with for await, end it with stop(). */
  watch<T extends KubeObject>(r: ApiResource, ns: Ns, o: WatchOptions = {}): ApiWatch<T> {
    return new GrpcWatch<T>({
      failover: this.failover,
      request: {
        ...where(r, ns),
        labelSelector: o.labelSelector ?? '',
        fieldSelector: o.fieldSelector ?? '',
        resourceVersion: o.resourceVersion ?? '',
        allowWatchBookmarks: o.allowWatchBookmarks ?? false,
        timeoutSeconds: o.timeoutSeconds ?? 0,
        omitManagedFields: o.omitManagedFields ?? false,
      },
      metadata: () => requestMetadata(o.traceparent),
      openTimeoutMs: this.timeoutMs,
    });
  }

  /**
   * watchEach is watch for callback code (XState fromCallback actors): onEvent runs per event,
   * in order; done resolves when the watch ends cleanly (server timeout, stop()) and rejects
   * with its error otherwise.
   */
  watchEach<T extends KubeObject>(
    r: ApiResource,
    ns: Ns,
    o: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
  ): { stop(): void; done: Promise<void> } {
    const w = this.watch<T>(r, ns, o);
    const done = (async () => {
      for await (const e of w) onEvent(e);
    })();
    return { stop: () => w.stop(), done };
  }

  /** create writes a new object in ns (undefined for cluster-scoped resources). */
  async create<T extends KubeObject>(
    r: ApiResource,
    ns: Ns,
    obj: T,
    o: WriteOptions = {},
  ): Promise<T> {
    const req = { ...where(r, ns), objectJson: encodeJson(obj), ...writeFields(o) };
    return this.written<T>(await this.call('write', o, Api.create, req));
  }

  /** update replaces an object; metadata.resourceVersion, when set, must still be current (409). */
  async update<T extends KubeObject>(
    r: ApiResource,
    ns: Ns,
    obj: T,
    o: WriteOptions = {},
  ): Promise<T> {
    const name = obj.metadata.name ?? '';
    const req = { ...target(r, ns, name), objectJson: encodeJson(obj), ...writeFields(o) };
    return this.written<T>(await this.call('write', o, Api.update, req));
  }

  /** patch applies a patch document of the given type to one object. */
  async patch<T extends KubeObject>(
    r: ApiResource,
    ns: Ns,
    name: string,
    type: PatchType,
    body: string | object,
    o: PatchOptions = {},
  ): Promise<T> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const req = {
      ...target(r, ns, name),
      patchType: type,
      body: Buffer.from(text, 'utf8'),
      force: o.force ?? false,
      ...writeFields(o),
    };
    return this.written<T>(await this.call('write', o, Api.patch, req));
  }

  /** delete deletes one object; deleted=false while a grace period or finalizers hold it. */
  async delete<T extends KubeObject>(
    r: ApiResource,
    ns: Ns,
    name: string,
    o: DeleteOptions = {},
  ): Promise<DeleteResult<T>> {
    const req = {
      ...target(r, ns, name),
      gracePeriodSeconds: o.gracePeriodSeconds,
      propagationPolicy: o.propagationPolicy ?? '',
      preconditionUid: o.preconditions?.uid,
      preconditionResourceVersion: o.preconditions?.resourceVersion,
      dryRun: o.dryRun ?? false,
    };
    const res = await this.call('write', o, Api.delete, req);
    return { object: decodeJson<T>(res.objectJson), deleted: res.deleted };
  }

  /**
   * bind assigns a pending pod to a node (the scheduler's write). Concurrent binds of the same
   * fence and deadline share BindBatch calls (bind-batcher.ts); a bind with its own trace context
   * goes alone, so its traceparent stays its own.
   */
  bind(ns: string, pod: string, nodeName: string, o: CallOptions = {}): Promise<void> {
    const req = { namespace: ns, pod, nodeName };
    const batcher = activeTraceparent(o.traceparent) === undefined ? this.batcherFor(o) : undefined;
    if (batcher === undefined) return this.call('write', o, Api.bind, req).then(() => undefined);
    return batcher.bind(req);
  }

  /** batcherFor: the batcher of o's fence and deadline; undefined when MAX_BATCHERS are busy. */
  private batcherFor(o: CallOptions): BindBatcher | undefined {
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    const key = `${o.fence ? formatFence(o.fence) : ''} ${timeoutMs}`;
    const found = this.batchers.get(key);
    if (found !== undefined) return found;
    // Fences change with leadership terms: forget batchers with nothing to do.
    for (const [k, b] of this.batchers) if (b.idle) this.batchers.delete(k);
    if (this.batchers.size >= MAX_BATCHERS) return undefined;
    const send = { fence: o.fence, timeoutMs };
    const b = new BindBatcher({
      one: (req, leftMs) =>
        this.call('write', { ...send, timeoutMs: leftMs, traceparent: '' }, Api.bind, req)
          .then(() => undefined),
      batch: (binds, leftMs) =>
        this.call('write', { ...send, timeoutMs: leftMs, traceparent: '' }, Api.bindBatch, { binds }),
    }, () => this.clock.nowMs(), timeoutMs, (fn, ms) => this.clock.setTimeout(fn, ms));
    this.batchers.set(key, b);
    return b;
  }

  /** createBatch: several creates in one CreateBatch call (ComponentApi.createBatch). */
  async createBatch(items: readonly BatchCreate[], o: WriteOptions = {}):
    Promise<(KubeObject | Error)[]> {
    const creates = items.map((c) =>
      ({ ...where(c.r, c.ns), objectJson: encodeJson(c.obj), ...writeFields(o) }));
    const res = await this.call('write', o, Api.createBatch, { creates });
    return items.map((_, i) => batchResultError('CreateBatch', res.results[i]?.statusJson) ??
      decodeJson<KubeObject>(res.results[i]?.objectJson ?? new Uint8Array()));
  }

  /** close closes every connection; running watches end. */
  close(): void {
    this.failover.close();
  }

  private call<Req, Res>(
    safety: Safety,
    o: CallOptions,
    method: H2Method<Req, Res>,
    req: Req,
  ): Promise<Res> {
    // A fence travels with any call that has one; the server checks it on writes only.
    const metadata = requestMetadata(o.traceparent, o.fence);
    return this.failover.run(safety, o.timeoutMs ?? this.timeoutMs, (c, leftMs) =>
      unaryH2(c.h2, method, req, leftMs, { metadata, mapError: mapServiceError }),
    );
  }

  private written<T>(res: { objectJson: Uint8Array; warnings: string[] }): T {
    for (const w of res.warnings) this.o.onWarning?.(w);
    return decodeJson<T>(res.objectJson);
  }
}

function where(r: ApiResource, ns: Ns) {
  return { group: r.group, version: r.version, resource: r.resource, namespace: ns ?? '' };
}

function target(r: ApiResource, ns: Ns, name: string) {
  return { ...where(r, ns), name };
}

function writeFields(o: WriteOptions) {
  return {
    subresource: o.subresource ?? '',
    fieldManager: o.fieldManager ?? '',
    dryRun: o.dryRun ?? false,
    fieldValidation: o.fieldValidation ?? '',
    omitManagedFields: o.omitManagedFields ?? false,
  };
}
