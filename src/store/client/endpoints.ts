/**
 * EndpointPool owns the connection to each member endpoint and the client's sticky choice of
 * member: requests go to the current endpoint until it fails, then to the next one in the list
 * (clientv3's balancer moves on the same way). Per member, one lean HTTP/2 session
 * (rpc/h2-client.ts) carries every call: unary calls (~half grpc-js's CPU per call, and every
 * API write is one) and the Watch and LeaseKeepAlive streams (rpc/h2-bidi-call.ts). Sharing it
 * is safe for flow control: Node returns connection-level window as data arrives and holds back
 * only the window of a stream whose reader paused, so a slow watch never stalls the writes.
 * Created on first use and closed with the pool.
 */
import { status, type Metadata } from '@grpc/grpc-js';
import { assert } from '../../base/assert.js';
import type { TlsFiles } from '../../rpc/credentials.js';
import { h2Unary, type H2Callback, type H2Method } from '../../rpc/h2-client-call.js';
import { H2Channel, type H2Keepalive } from '../../rpc/h2-client.js';
import { EtcdClientError, NotSentError } from './errors.js';

/** Conn is one member: every call goes over its HTTP/2 session `h2`. */
export interface Conn {
  readonly endpoint: string;
  readonly h2: H2Channel;
}

/** MAX_ENDPOINTS bounds the pool (a cluster has a handful of members). */
export const MAX_ENDPOINTS = 64;

/**
 * Keepalive as kube-apiserver configures its etcd client (30 s, 10 s timeout), and no pings
 * without calls: etcd enforces a 5 s minimum ping interval and forbids pings without streams,
 * answering violations with GOAWAY (ENHANCE_YOUR_CALM), which kills open watches. The k8ts
 * defaults (5 s, pings without calls) trip that policy.
 */
export const ETCD_KEEPALIVE: H2Keepalive = { timeMs: 30_000, timeoutMs: 10_000, withoutCalls: false };

const HOST_PORT = /^[^\s/:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/;

export class EndpointPool {
  private readonly conns = new Map<string, Conn>();
  private currentIndex = 0;
  private closed = false;

  constructor(
    readonly endpoints: readonly string[],
    private readonly tls: TlsFiles | undefined,
  ) {
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
   * ready resolves once the member's HTTP/2 session is connected, and throws NotSentError when
   * it cannot connect (the last attempt failed: try another member now), is closed, or is not
   * connected within timeoutMs. Either way nothing was sent.
   */
  async ready(conn: Conn, timeoutMs: number): Promise<void> {
    if (conn.h2.isReady()) return;
    try {
      await conn.h2.ready(Math.max(0, timeoutMs));
    } catch (e) {
      throw new NotSentError(conn.endpoint, (e as Error).message);
    }
  }

  isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const c of this.conns.values()) c.h2.close();
    this.conns.clear();
  }

  private connect(endpoint: string): Conn {
    return { endpoint, h2: new H2Channel({ target: endpoint, tls: this.tls, keepalive: ETCD_KEEPALIVE }) };
  }
}

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
