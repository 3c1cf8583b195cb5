/**
 * ApiClient is the API benchmark's only way to talk to API servers: plain Node http(s) requests
 * through one keep-alive agent per server, so both systems under test get byte-identical requests
 * from the same code and the client's cost is the same on both sides of every ratio. Requests are
 * spread round-robin over the servers, as a client-side load balancer over three masters would.
 *
 * Nothing here retries: a benchmark counts every failure itself.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Client identity and CA for HTTPS API servers (the cluster PKI); absent = plain HTTP. */
export interface ApiTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface ApiClientOptions {
  /** host:port of each API server. */
  servers: readonly string[];
  tls?: ApiTls;
  /** Connections kept per server; requests beyond it queue in the agent (and that wait counts
   *  in their latency, which runs from the scheduled send time). */
  socketsPerServer: number;
}

export interface ApiResponse {
  status: number;
  body: Buffer;
}

/** Every request fails after this long without a complete answer. */
export const API_REQUEST_TIMEOUT_MS = 10_000;
/** Bodies larger than this are cut off and the request fails: nothing reads unbounded memory. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** ApiRequestError carries a short code for reports: "timeout", "ECONNRESET", ... */
export class ApiRequestError extends Error {
  constructor(readonly code: string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export class ApiClient {
  readonly servers: readonly string[];
  private readonly agents: (HttpAgent | HttpsAgent)[];
  private nextServer = 0;

  constructor(private readonly o: ApiClientOptions) {
    if (o.servers.length === 0) throw new Error('ApiClient: no servers');
    this.servers = o.servers;
    const agentOpts = {
      keepAlive: true,
      maxSockets: o.socketsPerServer,
      maxFreeSockets: o.socketsPerServer,
    };
    this.agents = o.servers.map(() =>
      (o.tls ? new HttpsAgent({ ...agentOpts, ...o.tls }) : new HttpAgent(agentOpts)));
  }

  /** pick returns the next server index, round-robin. */
  pick(): number {
    const i = this.nextServer;
    this.nextServer = (i + 1) % this.servers.length;
    return i;
  }

  /** request sends one request to server i (default: round-robin) and reads the whole answer. */
  request(
    method: string,
    path: string,
    body?: unknown,
    server = this.pick(),
  ): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<ApiResponse>((resolve, reject) => {
      const req = this.open(server, method, path, { agent: this.agents[server]! }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes <= MAX_BODY_BYTES) chunks.push(c);
          else req.destroy(new ApiRequestError('too-large', `${path}: over ${MAX_BODY_BYTES} B`));
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.setTimeout(API_REQUEST_TIMEOUT_MS, () => {
        const msg = `${method} ${path}: no answer in ${API_REQUEST_TIMEOUT_MS} ms`;
        req.destroy(new ApiRequestError('timeout', msg));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof ApiRequestError) reject(err);
        else reject(new ApiRequestError(err.code ?? 'error', err.message, { cause: err }));
      });
      if (payload) {
        req.setHeader('Content-Type', 'application/json');
        req.setHeader('Content-Length', payload.length);
      }
      req.end(payload);
    });
  }

  /** stream opens a long-lived GET (a watch) on its own connection, outside the pooled agents,
   *  so watches never take sockets from the measured requests. */
  stream(
    path: string,
    server: number,
    onResponse: (res: IncomingMessage) => void,
  ): { close(): void } {
    const agentOpts = { agent: false as const, ...this.o.tls };
    const req = this.open(server, 'GET', path, agentOpts, onResponse);
    req.on('error', () => { /* reported through the response's end or the caller's deadline */ });
    req.end();
    return { close: () => req.destroy() };
  }

  close(): void {
    for (const a of this.agents) a.destroy();
  }

  private open(
    server: number,
    method: string,
    path: string,
    extra: object,
    onResponse: (res: IncomingMessage) => void,
  ): ReturnType<typeof httpRequest> {
    const [host, port] = splitHostPort(this.servers[server]!);
    const opts = { host, port, method, path, headers: { Accept: 'application/json' }, ...extra };
    return this.o.tls ? httpsRequest(opts, onResponse) : httpRequest(opts, onResponse);
  }
}

function splitHostPort(hp: string): [string, number] {
  const i = hp.lastIndexOf(':');
  if (i < 0) throw new Error(`${hp}: expected host:port`);
  return [hp.slice(0, i), Number(hp.slice(i + 1))];
}

/** errorCode names a failed request for the error columns: its HTTP status or its error code. */
export function errorCode(err: unknown): string {
  if (err instanceof ApiRequestError) return err.code;
  return err instanceof Error ? err.name : 'error';
}
