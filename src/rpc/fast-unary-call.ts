/**
 * FastUnaryCall is the call object the fast unary path hands a grpc-js-shaped unary handler
 * `(call, callback)`: the same surface as grpc-js's ServerUnaryCallImpl (request, metadata,
 * cancelled + 'cancelled', getDeadline, getPeer, getAuthContext, sendMetadata), read straight
 * from the node:http2 stream instead of through grpc-js's call and interceptor objects.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { TLSSocket } from 'node:tls';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { CallStamps } from './stage-trace.js';

type AuthContext = ReturnType<ServerUnaryCall<unknown, unknown>['getAuthContext']>;
type MetricsRecorder = ReturnType<ServerUnaryCall<unknown, unknown>['getMetricsRecorder']>;

/** Request headers grpc-js strips before the handler sees call.metadata. */
const TRANSPORT_HEADERS = [
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'te',
  'content-type',
];

/** A recorder that drops what it is given: grpc-js sends per-call metrics only with the
 *  'grpc.server_call_metric_recording' option, which no k8ts server sets. */
const NO_METRICS = {
  recordRequestCostMetric: () => undefined,
  recordUtilizationMetric: () => undefined,
  recordNamedMetric: () => undefined,
  recordCPUUtilizationMetric: () => undefined,
  recordMemoryUtilizationMetric: () => undefined,
  recordApplicationUtilizationMetric: () => undefined,
  recordQpsMetric: () => undefined,
  recordEpsMetric: () => undefined,
  serialize: () => Buffer.alloc(0),
} as unknown as MetricsRecorder;

/** FastUnaryCall: see the file comment. `stream` stays public: authenticate.ts finds the TLS
 *  socket of a call through call.stream.session.socket, as it does on grpc-js's own calls. */
export class FastUnaryCall<Req> extends EventEmitter implements ServerUnaryCall<Req, unknown> {
  cancelled = false;
  /** Stage stamps of this call while stage tracing is on (stage-trace.ts), else undefined. */
  stamps: CallStamps | undefined;
  private md: Metadata | undefined;

  constructor(
    readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly path: string,
    readonly request: Req,
    private readonly deadline: number,
    private readonly onSendMetadata: (md: Metadata) => void,
  ) {
    super();
  }

  /** metadata is built on first read: most handlers never look, and building it walks every
   *  header (grpc-js builds it for every call). */
  get metadata(): Metadata {
    if (this.md === undefined) {
      const md = Metadata.fromHttp2Headers(this.headers);
      for (const key of TRANSPORT_HEADERS) md.remove(key);
      this.md = md;
    }
    return this.md;
  }

  /** getPeer is "address:port" of the client, as grpc-js reports it. */
  getPeer(): string {
    const socket = this.stream.session?.socket;
    if (!socket?.remoteAddress) return 'unknown';
    const { remoteAddress, remotePort } = socket;
    return remotePort ? `${remoteAddress}:${remotePort}` : remoteAddress;
  }

  /** sendMetadata sends the response headers now (with md), as grpc-js does. */
  sendMetadata(md: Metadata): void {
    this.onSendMetadata(md);
  }

  /** getDeadline is the wall-clock ms the client's grpc-timeout ends at (Infinity: none). */
  getDeadline(): number {
    return this.deadline;
  }

  getPath(): string {
    return this.path;
  }

  getHost(): string {
    const h = this.headers[':authority'] ?? this.headers.host;
    return typeof h === 'string' ? h : '';
  }

  /** getAuthContext reports the verified client certificate of a TLS connection, as grpc-js. */
  getAuthContext(): AuthContext {
    const socket = this.stream.session?.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return {};
    const cert = socket.getPeerCertificate();
    return { transportSecurityType: 'ssl', sslPeerCertificate: cert.raw ? cert : undefined };
  }

  getMetricsRecorder(): MetricsRecorder {
    return NO_METRICS;
  }

  /** headerValue is metadata.get(key)[0] for a text (non -bin) key, read from the request
   *  headers without building the Metadata (~2 µs per call, and most calls never need it). */
  headerValue(key: string): string | undefined {
    if (this.md !== undefined || key.endsWith('-bin')) {
      const v = this.metadata.get(key)[0];
      return v === undefined ? undefined : String(v);
    }
    if (key.startsWith(':') || TRANSPORT_HEADERS.includes(key)) return undefined;
    const v = this.headers[key];
    return Array.isArray(v) ? v[0] : v;
  }
}

/** metadataValue is call.metadata.get(key)[0] as text, from the request headers on the fast
 *  path (see headerValue), from grpc-js's Metadata otherwise. */
export function metadataValue(call: { metadata: Metadata }, key: string): string | undefined {
  if (call instanceof FastUnaryCall) return call.headerValue(key);
  const v = call.metadata.get(key)[0];
  return v === undefined ? undefined : String(v);
}
