/**
 * ApiServer: one kube-apiserver — the HTTPS REST face for users, the registry, storage with its
 * watch caches over an etcd v3 client (the k8ts store, or real etcd), the periodic compactor and
 * the cluster bootstrap objects. Masters each run one; they share nothing but the store, so any
 * of them can die without losing the API.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../base/clock.js';
import { Prng } from '../base/prng.js';
import { newUid } from '../base/wall-clock.js';
import { RESOURCES, storagePrefix } from '../api/resources.js';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import { serverCredentials, type TlsFiles } from '../rpc/credentials.js';
import { bind, newServer } from '../rpc/server.js';
import { addApiService } from './grpc/api-service.js';
import { EtcdClient } from '../store/client/index.js';
import { Authenticator, type TokenEntry } from './auth/authenticate.js';
import { bootstrapCluster } from './bootstrap.js';
import { Allocator, parseCidr } from './registry/allocator.js';
import { Registry } from './registry/registry.js';
import { ServiceAddresses } from './registry/services.js';
import { createRestHandler, type RestDeps } from './rest/handler.js';
import { createUpgradeHandler, type UpgradeHandler } from './rest/kubelet-proxy-upgrade.js';
import type { KubeletClientTls } from './rest/kubelet-proxy-target.js';
import { Compactor } from './storage/compactor.js';
import { EtcdStorage } from './storage/etcd-storage.js';
import { DEFAULT_EVENT_TTL_SECONDS, uncachedPrefixes } from './storage-flags.js';

/** ApiServerOptions configure one API server. */
export interface ApiServerOptions {
  /** etcd v3 endpoints (host:port) of the store, and the client identity when it uses mTLS. */
  etcd: { endpoints: string[]; tls?: TlsFiles };
  /** host:port to serve HTTPS (or HTTP when insecure) on; port 0 picks one. */
  listen: string;
  /** host:port of the component gRPC API (mTLS with tls); absent = not served. */
  grpcListen?: string;
  /** Serving certificate and the CA that signs client certificates; absent = insecure HTTP. */
  tls?: TlsFiles;
  tokens?: TokenEntry[];
  /** Service cluster IP range, loopback by default (ARCHITECTURE.md §6). */
  serviceCidr?: string;
  /** Compaction interval (kube-apiserver's --etcd-compaction-interval, default 5 min). */
  compactionIntervalMs?: number;
  /** kube-apiserver's --watch-cache-sizes over the default "events#0" (storage-flags.ts). */
  watchCacheSizes?: string;
  /** How long Events live (kube-apiserver's --event-ttl; default 1 h). */
  eventTtlSeconds?: number;
  clock: Clock;
  wallMs: () => number;
  seed: number;
  log: (line: string) => void;
  /** Client certificate (PEM) for kubelet connections: logs, exec, attach, port-forward. Absent =
   *  plain HTTP to kubelets (tests). */
  kubeletClientTls?: KubeletClientTls;
}

/** ApiServer runs until stop(). */
export class ApiServer {
  private http: HttpServer | undefined;
  private grpc: GrpcServer | undefined;
  private client: EtcdClient | undefined;
  private compactor: Compactor | undefined;
  private storage: EtcdStorage | undefined;
  private upgrades: UpgradeHandler | undefined;
  /** The registry, for the component gRPC face and tests (set once started). */
  registry: Registry | undefined;

  constructor(private readonly o: ApiServerOptions) {}

  /** start connects to the store, bootstraps, and listens; resolves with the bound ports. */
  async start(): Promise<{ port: number; grpcPort: number | undefined }> {
    const o = this.o;
    const client = new EtcdClient({ endpoints: o.etcd.endpoints, ...(o.etcd.tls ? { tls: o.etcd.tls } : {}) });
    this.client = client;
    const uncached = uncachedPrefixes(o.watchCacheSizes);
    const storage = new EtcdStorage({ client, clock: o.clock, uncached, log: o.log });
    this.storage = storage;
    const prng = new Prng(o.seed);
    const alloc = new Allocator(storage, parseCidr(o.serviceCidr ?? '127.96.0.0/16'));
    const registry = new Registry({
      storage,
      wallMs: o.wallMs,
      newUid,
      random: () => prng.float(),
      services: new ServiceAddresses(alloc),
      eventTtlSeconds: o.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS,
    });
    this.registry = registry;
    const auth = new Authenticator(o.tokens ?? [], o.tls === undefined);
    const [host = '127.0.0.1', portText = '0'] = splitHostPort(o.listen);
    const deps: RestDeps = {
      registry,
      auth,
      wallMs: o.wallMs,
      clock: o.clock,
      serverAddress: o.listen,
      health: () => storage.get('/registry/health').then(() => undefined),
      log: o.log,
      ...(o.kubeletClientTls ? { kubeletClientTls: o.kubeletClientTls } : {}),
    };
    const handler = createRestHandler(deps);
    this.http = o.tls
      ? createHttpsServer({
        cert: readFileSync(o.tls.certFile),
        key: readFileSync(o.tls.keyFile),
        ca: readFileSync(o.tls.caFile),
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
      }, handler)
      : createHttpServer(handler);
    const http = this.http;
    this.upgrades = createUpgradeHandler(deps);
    http.on('upgrade', this.upgrades);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(Number(portText), host, () => resolve());
    });
    const port = (http.address() as AddressInfo).port;
    // Start every resource's watch cache now: a cache started on first use would answer 410 to
    // watches from revisions before it existed (as upstream's would), costing informers a relist.
    // Uncached resources (events) read the store instead (upstream's DefaultWatchCacheSizes).
    for (const r of RESOURCES) {
      if (storage.isCached(storagePrefix(r))) storage.cacheFor(storagePrefix(r));
    }
    await alloc.claimKubernetesIp();
    await bootstrapCluster(registry, { host, port });
    this.compactor = new Compactor({ client, clock: o.clock, intervalMs: o.compactionIntervalMs ?? 5 * 60_000, log: o.log });
    this.compactor.start();
    let grpcPort: number | undefined;
    if (o.grpcListen !== undefined) {
      const grpc = newServer();
      this.grpc = grpc;
      addApiService(grpc, registry, { insecure: o.tls === undefined, clock: o.clock, log: o.log });
      grpcPort = await bind(grpc, o.grpcListen, serverCredentials(o.tls));
    }
    return { port, grpcPort };
  }

  /** stop closes the listener, watches and the store client. */
  async stop(): Promise<void> {
    this.compactor?.stop();
    this.grpc?.forceShutdown();
    const http = this.http;
    if (http) {
      this.upgrades?.closeAll();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    this.storage?.close();
    this.client?.close();
  }
}

function splitHostPort(hp: string): [string, string] {
  const i = hp.lastIndexOf(':');
  return i < 0 ? [hp, '0'] : [hp.slice(0, i).replace(/^\[|\]$/g, ''), hp.slice(i + 1)];
}
