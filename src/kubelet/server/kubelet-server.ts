/**
 * KubeletServer: the kubelet's HTTPS API on the node address (port 10250 by default) that the API
 * server calls for pods/log, exec, attach and port-forward. Logs stream from a LogSource; exec,
 * attach and port-forward ask the CRI for the runtime's streaming URL and proxy the upgraded
 * connection there byte for byte. Clients must present a certificate signed by the cluster CA;
 * plain HTTP exists only for tests (no tls given).
 */
import {
  createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../../api/meta.js';
import { refuseUpgrade } from '../../runtime/streaming/http-reply.js';
import type { CriRuntime } from '../cri/types.js';
import { isCriNotFound } from '../cri/errors.js';
import { attachRequest, execRequest, logRequest, portForwardPorts, QueryError } from './queries.js';
import { kubeletRoute, type KubeletRoute } from './routes.js';
import { LogError, type ContainerResolver, type LogSource } from './types.js';
import { proxyUpgrade } from './upgrade-proxy.js';

/** The kubelet's default port (upstream's --port). */
export const DEFAULT_KUBELET_PORT = 10250;

/** PEM material for TLS: this server's key and certificate, and the CA clients must chain to. */
export interface TlsPem {
  key: string | Buffer;
  cert: string | Buffer;
  ca: string | Buffer;
}

/** KubeletServerOptions: where to listen and the collaborators behind each endpoint. */
export interface KubeletServerOptions {
  /** The node address to bind. */
  host: string;
  /** Default 10250; 0 picks a free port (tests). */
  port?: number;
  /** Absent = plain HTTP without client authentication (tests only). */
  tls?: TlsPem;
  cri: Pick<CriRuntime, 'exec' | 'attach' | 'portForward'>;
  resolve: ContainerResolver;
  logs: LogSource;
  /** The pods this kubelet runs (GET /pods). */
  pods: () => KubeObject[];
  /** Wall-clock milliseconds (sinceSeconds). */
  wallMs: () => number;
  log?: (line: string) => void;
}

/** HttpError is a failure answered with its code and a text body, as the kubelet answers. */
class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** KubeletServer runs until close(). */
export class KubeletServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly o: KubeletServerOptions) {}

  /** start listens; resolves with the bound port. */
  async start(): Promise<number> {
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      this.request(req, res).catch((err: unknown) => this.fail(res, err));
    };
    const tls = this.o.tls;
    const server = tls
      ? createHttpsServer({
        key: tls.key, cert: tls.cert, ca: tls.ca,
        requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
      }, onRequest)
      : createHttpServer(onRequest);
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      this.upgrade(req, socket, head).catch((err: unknown) => {
        const e = httpError(err);
        if (e.code >= 500) this.o.log?.(`kubelet server: ${req.url ?? ''}: ${e.message}`);
        if (!socket.destroyed) refuseUpgrade(socket, e.code, e.message);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? DEFAULT_KUBELET_PORT, this.o.host, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  /** close stops listening and drops open streams. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const r = routeOf(req, url);
    switch (r.kind) {
      case 'healthz':
        return sendText(res, 200, 'ok');
      case 'pods': {
        const list = { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: this.o.pods() };
        const body = JSON.stringify(list);
        res.writeHead(200, {
          'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
        });
        res.end(body);
        return;
      }
      case 'logs':
        return this.logs(res, url, r);
      default:
        throw new HttpError(400, 'Upgrade request required');
    }
  }

  private async logs(
    res: ServerResponse, url: URL, r: Extract<KubeletRoute, { kind: 'logs' }>,
  ): Promise<void> {
    const logReq = logRequest(url.searchParams, r, this.o.wallMs());
    const aborter = new AbortController();
    res.on('close', () => aborter.abort());
    res.setHeader('Content-Type', 'text/plain');
    await this.o.logs.streamLogs(logReq, res, aborter.signal);
    res.end();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const r = routeOf(req, url);
    const q = url.searchParams;
    let target: string;
    if (r.kind === 'exec' || r.kind === 'attach') {
      const ref = await this.o.resolve(r.namespace, r.pod, r.container);
      if (!ref) throw new HttpError(404, `container not found (${JSON.stringify(r.container)})`);
      const call = r.kind === 'exec'
        ? this.o.cri.exec(execRequest(q, ref.containerId))
        : this.o.cri.attach(attachRequest(q, ref.containerId));
      target = (await call).url;
    } else if (r.kind === 'portForward') {
      const ref = await this.o.resolve(r.namespace, r.pod);
      if (!ref) throw new HttpError(404, 'pod does not exist');
      const ports = portForwardPorts(q);
      const resp = await this.o.cri.portForward({ podSandboxId: ref.podSandboxId, port: ports });
      target = resp.url;
    } else {
      throw new HttpError(400, `cannot upgrade ${url.pathname}`);
    }
    proxyUpgrade(req, socket, head, new URL(target));
  }

  private fail(res: ServerResponse, err: unknown): void {
    const e = httpError(err);
    if (e.code >= 500) this.o.log?.(`kubelet server: ${e.message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendText(res, e.code, e.message);
  }
}

function routeOf(req: IncomingMessage, url: URL): KubeletRoute {
  const r = kubeletRoute(req.method ?? 'GET', url.pathname);
  if (r.kind === 'not-found') throw new HttpError(404, '404 page not found');
  if (r.kind === 'method-not-allowed') throw new HttpError(405, 'method not allowed');
  return r;
}

function httpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof LogError) return new HttpError(err.httpCode, err.message);
  if (err instanceof QueryError) return new HttpError(400, err.message);
  const message = err instanceof Error ? err.message : String(err);
  if (isCriNotFound(err)) return new HttpError(404, message);
  return new HttpError(500, message);
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
