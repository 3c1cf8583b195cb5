/**
 * The component API under test: the real Registry over the real EtcdStorage on a 3-member k8ts
 * store, served by N gRPC servers (as N masters would), each through addApiService. A recording
 * wrapper keeps the RequestContext of every registry call so tests can see who called and with
 * which trace context.
 */
import type { Server } from '@grpc/grpc-js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { WatchEvent } from '../../../src/client/types.js';
import {
  findResource,
  RESOURCES,
  storagePrefix,
  type ResourceInfo,
} from '../../../src/api/resources.js';
import { systemClock } from '../../../src/base/clock.js';
import { Prng } from '../../../src/base/prng.js';
import { newUid, systemWallMs } from '../../../src/base/wall-clock.js';
import { addApiService } from '../../../src/apiserver/grpc/api-service.js';
import { Allocator, parseCidr } from '../../../src/apiserver/registry/allocator.js';
import { Registry } from '../../../src/apiserver/registry/registry.js';
import { ServiceAddresses } from '../../../src/apiserver/registry/services.js';
import type { ApiRegistry, RequestContext } from '../../../src/apiserver/registry/types.js';
import { EtcdStorage } from '../../../src/apiserver/storage/etcd-storage.js';
import { serverCredentials, type TlsFiles } from '../../../src/rpc/credentials.js';
import { bind, newServer } from '../../../src/rpc/server.js';
import { EtcdClient } from '../../../src/store/client/index.js';
import { startStoreCluster, type StoreCluster } from '../../support/store.js';

/** Recording passes every call to the real registry and remembers its context. */
export function recording(inner: ApiRegistry, seen: RequestContext[]): ApiRegistry {
  const keep = (ctx: RequestContext): RequestContext => {
    seen.push(ctx);
    if (seen.length > 1000) seen.shift();
    return ctx;
  };
  return {
    get: (ctx, ...a) => inner.get(keep(ctx), ...a),
    list: (ctx, ...a) => inner.list(keep(ctx), ...a),
    watch: (ctx, ...a) => inner.watch(keep(ctx), ...a),
    create: (ctx, ...a) => inner.create(keep(ctx), ...a),
    update: (ctx, ...a) => inner.update(keep(ctx), ...a),
    patch: (ctx, ...a) => inner.patch(keep(ctx), ...a),
    delete: (ctx, ...a) => inner.delete(keep(ctx), ...a),
    bind: (ctx, ...a) => inner.bind(keep(ctx), ...a),
  };
}

/** ApiHarness is a store, its registry and the gRPC servers in front of it. */
export interface ApiHarness {
  store: StoreCluster;
  registry: Registry;
  /** Contexts the registry saw, oldest first. */
  seen: RequestContext[];
  /** host:port of each gRPC server (a stopped one stays listed: clients keep trying it). */
  endpoints: string[];
  servers: (Server | undefined)[];
  /** startServer adds one more gRPC server over the same registry. */
  startServer(tls?: TlsFiles): Promise<string>;
  /** killServer cuts server i off at once, as a crashed master. */
  killServer(i: number): void;
  stop(): Promise<void>;
}

export async function startApiHarness(servers: number): Promise<ApiHarness> {
  const store = await startStoreCluster(3);
  const client = new EtcdClient({ endpoints: store.endpoints });
  const storage = new EtcdStorage({ client, clock: systemClock });
  for (const r of RESOURCES) storage.cacheFor(storagePrefix(r));
  const prng = new Prng(7);
  const registry = new Registry({
    storage,
    wallMs: systemWallMs,
    newUid,
    random: () => prng.float(),
    services: new ServiceAddresses(new Allocator(storage, parseCidr('127.96.0.0/16'))),
  });
  const seen: RequestContext[] = [];
  const served = recording(registry, seen);
  const h: ApiHarness = {
    store,
    registry,
    seen,
    endpoints: [],
    servers: [],
    async startServer(tls) {
      const server = newServer();
      const opts = { insecure: tls === undefined, clock: systemClock, log: () => {} };
      addApiService(server, served, opts);
      const port = await bind(server, '127.0.0.1:0', serverCredentials(tls));
      h.servers.push(server);
      h.endpoints.push(`127.0.0.1:${port}`);
      return `127.0.0.1:${port}`;
    },
    killServer(i) {
      h.servers[i]?.forceShutdown();
      h.servers[i] = undefined;
    },
    async stop() {
      h.servers.forEach((_, i) => h.killServer(i));
      storage.close();
      client.close();
      await store.stop();
    },
  };
  for (let i = 0; i < servers; i++) await h.startServer();
  await ensureNamespace(registry, 'default');
  return h;
}

/** ensureNamespace creates a namespace through the registry (admission needs it). */
export async function ensureNamespace(registry: ApiRegistry, name: string): Promise<void> {
  const ctx = { user: { name: 'test', groups: ['system:masters'] } };
  const body: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  await registry.create(ctx, resource('', 'namespaces'), undefined, body, {});
}

/** resource looks a served resource up (v1 of its group). */
export function resource(group: string, plural: string): ResourceInfo {
  const r = findResource(group, 'v1', plural);
  if (!r) throw new Error(`no resource ${group}/${plural}`);
  return r;
}

export const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
export const PODS = { group: '', version: 'v1', resource: 'pods' };
export const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

/** take reads n events or fails after timeoutMs. */
export async function take<T extends KubeObject>(
  it: AsyncIterator<WatchEvent<T>>,
  n: number,
  timeoutMs = 5_000,
): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const fail = (): void => reject(new Error(`timed out after ${out.length}/${n} events`));
      timer = setTimeout(fail, deadline - Date.now());
    });
    try {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done) throw new Error(`watch ended after ${out.length}/${n} events`);
      out.push(r.value);
    } finally {
      clearTimeout(timer);
    }
  }
  return out;
}

