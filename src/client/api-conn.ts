/**
 * ApiConn: the client's connections to one API server. Unary calls (every component write and
 * read) and watch streams go over lean HTTP/2 sessions (src/rpc/h2-client.ts: about half of
 * grpc-js's CPU per call; h2-stream-call.ts for streams), each created lazily by its first use.
 * Watches get their own session, as they had their own grpc-js channel. Flow control would not
 * need it: node:http2 returns connection-level window as data arrives and holds back only a
 * paused stream's own window (the store client shares one session for unary calls and watches;
 * test/store/client suite-watch shows a paused watch not stalling unary calls). Merging the two
 * would save a session per API server; not done yet.
 */
import type { ChannelCredentials, Metadata, CallOptions } from '@grpc/grpc-js';
import {
  ApiServiceService, type WatchRequest, type WatchResponse,
} from '../gen/k8ts/api/v1/api.js';
import type { TlsFiles } from '../rpc/credentials.js';
import { remainingMs } from '../rpc/defaults.js';
import { H2Channel, type H2ChannelOptions } from '../rpc/h2-client.js';
import { h2ServerStream } from '../rpc/h2-stream-call.js';
import type { ServerStreamMethod } from '../rpc/server-stream.js';

/** WatchClient is the component API's Watch method, shaped as the grpc-js client's. */
export interface WatchClient {
  watch: ServerStreamMethod<WatchRequest, WatchResponse>;
}

/** ApiConn is one API server's unary session and (on first watch) its watch session. */
export class ApiConn {
  readonly h2: H2Channel;
  private watchChannel: H2Channel | undefined;
  private watchClient: WatchClient | undefined;

  /** creds is kept for callers that build it; the lean sessions take TLS from tls. userAgent
   *  names the component (the manager of its writes without a fieldManager). */
  constructor(
    readonly endpoint: string,
    _creds: ChannelCredentials,
    private readonly tls: TlsFiles | undefined,
    private readonly userAgent?: string,
  ) {
    this.h2 = new H2Channel(this.channelOptions());
  }

  /** watchH2 is the session watch streams are opened on. */
  get watchH2(): H2Channel {
    this.watchChannel ??= new H2Channel(this.channelOptions());
    return this.watchChannel;
  }

  private channelOptions(): H2ChannelOptions {
    return {
      target: this.endpoint,
      tls: this.tls,
      ...(this.userAgent !== undefined ? { userAgent: this.userAgent } : {}),
    };
  }

  /** grpc is the client watch streams are opened with (the name of its grpc-js past). */
  get grpc(): WatchClient {
    this.watchClient ??= { watch: (req, md, options) => this.watch(req, md, options) };
    return this.watchClient;
  }

  close(): void {
    this.h2.close();
    this.watchChannel?.close();
  }

  private watch(request: WatchRequest, metadata: Metadata, options?: Partial<CallOptions>) {
    const deadline = options?.deadline;
    const left = deadline === undefined ? Infinity : remainingMs(deadline, Infinity);
    const timeoutMs = Number.isFinite(left) ? left : undefined;
    return h2ServerStream(this.watchH2, ApiServiceService.watch, request, metadata, timeoutMs);
  }
}

/** readyUnary: Failover's readiness for unary calls (fails fast as awaitConnected does). */
export function readyUnary(c: ApiConn, timeoutMs: number): Promise<void> {
  return c.h2.ready(timeoutMs);
}

/** readyStream: Failover's readiness for watch streams (the watch session is connected). */
export function readyStream(c: ApiConn, timeoutMs: number): Promise<void> {
  return c.watchH2.ready(timeoutMs);
}
