/**
 * ApiConn: the client's connections to one API server. Unary calls (every component write and
 * read) go over a lean HTTP/2 session (src/rpc/h2-client.ts: about half of grpc-js's CPU per
 * call); watch streams stay on a grpc-js channel. Each is created lazily by its first use, so a
 * component that never watches opens no grpc-js connection.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { ApiServiceClient } from '../gen/k8ts/api/v1/api.js';
import { awaitConnected } from '../rpc/connect.js';
import type { TlsFiles } from '../rpc/credentials.js';
import { channelOptions } from '../rpc/defaults.js';
import { H2Channel } from '../rpc/h2-client.js';

/** ApiConn is one API server's unary session and (on first watch) its grpc-js client. */
export class ApiConn {
  readonly h2: H2Channel;
  private client: ApiServiceClient | undefined;

  constructor(
    readonly endpoint: string,
    private readonly creds: ChannelCredentials,
    tls: TlsFiles | undefined,
  ) {
    this.h2 = new H2Channel({ target: endpoint, tls });
  }

  /** grpc is the grpc-js client watch streams are opened on. */
  get grpc(): ApiServiceClient {
    this.client ??= new ApiServiceClient(this.endpoint, this.creds, channelOptions());
    return this.client;
  }

  close(): void {
    this.h2.close();
    this.client?.close();
  }
}

/** readyUnary: Failover's readiness for unary calls (fails fast as awaitConnected does). */
export function readyUnary(c: ApiConn, timeoutMs: number): Promise<void> {
  return c.h2.ready(timeoutMs);
}

/** readyStream: Failover's readiness for watch streams (the grpc-js channel is READY). */
export function readyStream(c: ApiConn, timeoutMs: number): Promise<void> {
  return awaitConnected(c.grpc, timeoutMs);
}
