/**
 * EndpointPool owns the connections to each member endpoint and the client's sticky choice of
 * member: requests go to the current endpoint until it fails, then to the next one in the list
 * (clientv3's balancer moves on the same way). Per member, unary calls and Watch streams go
 * over a lean HTTP/2 session (rpc/h2-client.ts: ~half grpc-js's CPU per call, and every API
 * write is one; rpc/h2-bidi-call.ts for Watch) and LeaseKeepAlive over one grpc-js channel all
 * five services share. Both are created on first use and closed with the pool.
 */
import { connectivityState, status, type ChannelCredentials } from '@grpc/grpc-js';
import { assert } from '../../base/assert.js';
import {
  ClusterClient,
  KVClient,
  LeaseClient,
  MaintenanceClient,
  WatchClient,
} from '../../gen/etcdserverpb/rpc.js';
import { channelCredentials, type TlsFiles } from '../../rpc/credentials.js';
import { channelOptions } from '../../rpc/defaults.js';
import { h2Unary, type H2Callback, type H2Method } from '../../rpc/h2-client-call.js';
import { H2Channel } from '../../rpc/h2-client.js';
import type { Metadata } from '@grpc/grpc-js';
import { EtcdClientError, NotSentError } from './errors.js';

/** Conn is one member's services: unary calls and watches over `h2`, the rest over grpc-js. */
export interface Conn {
  readonly endpoint: string;
  readonly h2: H2Channel;
  readonly kv: KVClient;
  readonly watch: WatchClient;
  readonly lease: LeaseClient;
  readonly cluster: ClusterClient;
  readonly maintenance: MaintenanceClient;
}

/** MAX_ENDPOINTS bounds the pool (a cluster has a handful of members). */
export const MAX_ENDPOINTS = 64;

/**
 * Keepalive as kube-apiserver configures its etcd client (30 s, 10 s timeout), and no pings
 * without calls: etcd enforces a 5 s minimum ping interval and forbids pings without streams,
 * answering violations with GOAWAY (ENHANCE_YOUR_CALM), which kills open watches. The k8ts
 * defaults (5 s, pings without calls) trip that policy.
 */
export const ETCD_KEEPALIVE = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 0,
} as const;

const HOST_PORT = /^[^\s/:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/;

export class EndpointPool {
  private readonly conns = new Map<string, Conn>();
  private currentIndex = 0;
  private closed = false;
  private readonly credentials: ChannelCredentials;

  constructor(
    readonly endpoints: readonly string[],
    private readonly tls: TlsFiles | undefined,
  ) {
    this.credentials = channelCredentials(tls);
    assert(endpoints.length > 0, 'EtcdClient: at least one endpoint');
    assert(endpoints.length <= MAX_ENDPOINTS, `EtcdClient: at most ${MAX_ENDPOINTS} endpoints`);
    for (const e of endpoints) assert(HOST_PORT.test(e), `EtcdClient: endpoint "${e}" is not host:port`);
    assert(new Set(endpoints).size === endpoints.length, 'EtcdClient: duplicate endpoint');
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** current is the member requests go to now. */
  current(): Conn {
    return this.at(this.endpoints[this.currentIndex]!);
  }

  /** at returns the connection to `endpoint`, one of the configured endpoints. */
  at(endpoint: string): Conn {
    if (this.closed) throw new EtcdClientError('closed', status.CANCELLED, 'EtcdClient is closed');
    assert(this.endpoints.includes(endpoint), `EtcdClient: ${endpoint} is not a configured endpoint`);
    let c = this.conns.get(endpoint);
    if (!c) {
      c = this.connect(endpoint);
      this.conns.set(endpoint, c);
    }
    return c;
  }

  /** failed moves on from `endpoint` if it is still the current one (several requests failing
   *  on the same member move the pool once, not once each). */
  failed(endpoint: string): void {
    if (this.endpoints[this.currentIndex] === endpoint) {
      this.currentIndex = (this.currentIndex + 1) % this.endpoints.length;
    }
  }

  /**
   * readyUnary resolves once the member's HTTP/2 session (unary calls, watches) is connected, and
   * throws NotSentError as `ready` does (connection failed, closed, not within timeoutMs).
   */
  async readyUnary(conn: Conn, timeoutMs: number): Promise<void> {
    if (conn.h2.isReady()) return;
    try {
      await conn.h2.ready(Math.max(0, timeoutMs));
    } catch (e) {
      throw new NotSentError(conn.endpoint, (e as Error).message);
    }
  }

  /**
   * ready resolves once the member's grpc-js channel (streams) is connected, and throws
   * NotSentError when it is
   * in transient failure (its last connection attempt failed: try another member now) or not
   * connected within timeoutMs. Either way nothing was sent.
   */
  async ready(conn: Conn, timeoutMs: number): Promise<void> {
    const channel = conn.kv.getChannel();
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) return;
      if (state === connectivityState.TRANSIENT_FAILURE) throw new NotSentError(conn.endpoint, 'connection failed');
      if (state === connectivityState.SHUTDOWN) throw new NotSentError(conn.endpoint, 'client closed');
      if (Date.now() >= deadline) throw new NotSentError(conn.endpoint, 'dial timeout');
      await new Promise<void>((resolve, reject) => {
        try {
          channel.watchConnectivityState(state, deadline, () => resolve());
        } catch (e) {
          reject(new NotSentError(conn.endpoint, `channel: ${String(e)}`));
        }
      });
    }
  }

  isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const c of this.conns.values()) {
      c.kv.close();
      c.h2.close();
    }
    this.conns.clear();
  }

  private connect(endpoint: string): Conn {
    const credentials = this.credentials;
    const kv = new KVClient(endpoint, credentials, channelOptions(ETCD_KEEPALIVE));
    const shared = { channelOverride: kv.getChannel() };
    return {
      endpoint,
      h2: new H2Channel({ target: endpoint, tls: this.tls, keepalive: ETCD_H2_KEEPALIVE }),
      kv,
      watch: new WatchClient(endpoint, credentials, shared),
      lease: new LeaseClient(endpoint, credentials, shared),
      cluster: new ClusterClient(endpoint, credentials, shared),
      maintenance: new MaintenanceClient(endpoint, credentials, shared),
    };
  }
}

/** ETCD_H2_KEEPALIVE is ETCD_KEEPALIVE for the unary session (no pings without calls). */
const ETCD_H2_KEEPALIVE = {
  timeMs: ETCD_KEEPALIVE['grpc.keepalive_time_ms'],
  timeoutMs: ETCD_KEEPALIVE['grpc.keepalive_timeout_ms'],
  withoutCalls: false,
};

/** unaryOn makes one unary call on a member's HTTP/2 session (call.ts's Invoke runs it). */
export function unaryOn<Req, Res>(
  conn: Conn,
  method: H2Method<Req, Res>,
  req: Req,
  metadata: Metadata,
  timeoutMs: number,
  cb: H2Callback<Res>,
): void {
  h2Unary(conn.h2, method, req, metadata, timeoutMs, cb);
}
