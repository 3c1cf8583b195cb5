/**
 * StreamingServer: the CRI streaming server every in-house runtime uses. Exec/Attach/PortForward
 * RPCs only register the request and return a single-use URL; the kubelet then proxies kubectl's
 * upgraded connection to that URL, and this server speaks the wire protocols — WebSocket channel
 * protocols and SPDY/3.1 for exec/attach, SPDY (plain or WebSocket-tunnelled) for port-forward —
 * handing the runtime plain Node streams (types.ts).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import { criInvalid } from '../../kubelet/cri/errors.js';
import type {
  AttachRequest, AttachResponse, ExecRequest, ExecResponse, PortForwardRequest, PortForwardResponse,
} from '../../gen/cri/runtime/v1/api.js';
import { headerValues, refuseUpgrade, switchingProtocols } from './http-reply.js';
import { servePortForward } from './portforward.js';
import { SPDY_PROTOCOLS, spdyVersion, WS_PROTOCOLS, wsProtocol } from './remotecommand-protocol.js';
import type { RemoteCommand } from './session.js';
import { collectStreams, expectedStreams, serveSpdyRemoteCommand } from './spdy-remotecommand.js';
import { SpdySession, type SpdyStream } from './spdy-session.js';
import { TokenCache } from './tokens.js';
import type { StreamingRuntime } from './types.js';
import { WsConnection, wsByteStream } from './ws-connection.js';
import { isWebSocketUpgrade, wsHandshake } from './ws-handshake.js';
import { serveWsRemoteCommand } from './ws-remotecommand.js';

/** The subprotocols of port-forward: SPDY's header value, and the WebSocket tunnel's name. */
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
const PORT_FORWARD_TUNNEL = 'SPDY/3.1+portforward.k8s.io';

/** StreamingServerOptions configure one server. */
export interface StreamingServerOptions {
  /** Address to listen on (the kubelet reaches it there; loopback for in-house runtimes). */
  host: string;
  /** Port; 0 (default) picks one. */
  port?: number;
  runtime: StreamingRuntime;
  clock: Clock;
  /** Token source (tests); default 128 random bits. */
  newToken?: () => string;
  log?: (line: string) => void;
}

/** A pending request a token stands for. */
type Pending = RemoteCommand | { kind: 'portforward'; podSandboxId: string };

/** StreamingServer serves streaming URLs until close(). */
export class StreamingServer {
  private readonly tokens: TokenCache<Pending>;
  private readonly sockets = new Set<Duplex>();
  private http: Server | undefined;
  private baseUrl: string | undefined;

  constructor(private readonly o: StreamingServerOptions) {
    this.tokens = new TokenCache(o.clock, o.newToken);
  }

  /** start listens; resolves with the base URL (http://host:port). */
  async start(): Promise<string> {
    const http = createServer((req, res) => {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end('Upgrade request required\n');
    });
    http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.track(socket);
      if (head.length > 0) socket.unshift(head);
      try {
        this.upgrade(req, socket);
      } catch (err) {
        this.o.log?.(`streaming: ${err instanceof Error ? err.message : String(err)}`);
        refuseUpgrade(socket, 500, 'internal error');
      }
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.o.port ?? 0, this.o.host, () => resolve());
    });
    this.http = http;
    const { port } = http.address() as AddressInfo;
    const host = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    this.baseUrl = `http://${host}:${port}`;
    return this.baseUrl;
  }

  /** close stops listening and drops every open session. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const http = this.http;
    this.http = undefined;
    if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
  }

  /** getExec registers an exec and returns its URL (validated as upstream validates it). */
  getExec(req: ExecRequest): ExecResponse {
    if (req.containerId === '') throw criInvalid('missing required container_id');
    if (req.cmd.length === 0) throw criInvalid('missing required cmd');
    checkStreams(req);
    return { url: this.url('exec', { kind: 'exec', ...pick(req), cmd: [...req.cmd] }) };
  }

  /** getAttach registers an attach and returns its URL. */
  getAttach(req: AttachRequest): AttachResponse {
    if (req.containerId === '') throw criInvalid('missing required container_id');
    checkStreams(req);
    return { url: this.url('attach', { kind: 'attach', ...pick(req), cmd: [] }) };
  }

  /** getPortForward registers a port-forward into a sandbox and returns its URL. */
  getPortForward(req: PortForwardRequest): PortForwardResponse {
    if (req.podSandboxId === '') throw criInvalid('missing required pod_sandbox_id');
    const pending: Pending = { kind: 'portforward', podSandboxId: req.podSandboxId };
    return { url: this.url('portforward', pending) };
  }

  private url(path: string, pending: Pending): string {
    assert(this.baseUrl !== undefined, 'StreamingServer: start() before issuing URLs');
    return `${this.baseUrl}/${path}/${this.tokens.insert(pending)}`;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private upgrade(req: IncomingMessage, socket: Socket): void {
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)(?:\?|$)/.exec(req.url ?? '');
    const pending = m ? this.tokens.consume(m[2] ?? '') : undefined;
    if (!m || !pending || pending.kind !== m[1]) {
      refuseUpgrade(socket, 404, 'unknown or expired streaming request');
      return;
    }
    const websocket = isWebSocketUpgrade(req.headers);
    const spdy = (req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1';
    if (!websocket && !spdy) {
      refuseUpgrade(socket, 400, 'unsupported upgrade: want websocket or SPDY/3.1');
      return;
    }
    if (pending.kind === 'portforward') {
      if (websocket) this.portForwardWs(req, socket, pending.podSandboxId);
      else this.portForwardSpdy(req, socket, pending.podSandboxId);
    } else if (websocket) {
      this.remoteCommandWs(req, socket, pending);
    } else {
      this.remoteCommandSpdy(req, socket, pending);
    }
  }

  private remoteCommandWs(req: IncomingMessage, socket: Socket, cmd: RemoteCommand): void {
    const hs = wsHandshake(req.headers, WS_PROTOCOLS.map((p) => p.name));
    if (!hs.ok) return refuseUpgrade(socket, hs.code, hs.message);
    socket.write(hs.response);
    const conn = new WsConnection(socket);
    this.run(serveWsRemoteCommand(conn, wsProtocol(hs.protocol), cmd, this.o.runtime));
  }

  private remoteCommandSpdy(req: IncomingMessage, socket: Socket, cmd: RemoteCommand): void {
    const offered = headerValues(req.headers['x-stream-protocol-version']);
    const protocol = offered.length === 0
      ? 'channel.k8s.io'
      : offered.find((p) => (SPDY_PROTOCOLS as readonly string[]).includes(p));
    if (protocol === undefined) {
      return refuseUpgrade(socket, 403, `unable to upgrade: unable to negotiate protocol: client ` +
        `supports ${JSON.stringify(offered)}, server supports ${JSON.stringify(SPDY_PROTOCOLS)}`);
    }
    socket.write(switchingProtocols('SPDY/3.1', { 'X-Stream-Protocol-Version': protocol }));
    const { session, onStream } = openSpdy(socket);
    const version = spdyVersion(protocol);
    const expected = expectedStreams(cmd, version);
    this.run(collectStreams(session, onStream, expected, this.o.clock).then((streams) => {
      if (!streams) {
        session.close();
        return;
      }
      return serveSpdyRemoteCommand(session, streams, version, cmd, this.o.runtime);
    }));
  }

  private portForwardSpdy(req: IncomingMessage, socket: Socket, sandbox: string): void {
    const offered = headerValues(req.headers['x-stream-protocol-version']);
    if (offered.length > 0 && !offered.includes(PORT_FORWARD_PROTOCOL)) {
      return refuseUpgrade(socket, 403, `unable to upgrade: unable to negotiate protocol: client ` +
        `supports ${JSON.stringify(offered)}, server supports ["${PORT_FORWARD_PROTOCOL}"]`);
    }
    const version = { 'X-Stream-Protocol-Version': PORT_FORWARD_PROTOCOL };
    socket.write(switchingProtocols('SPDY/3.1', version));
    const { session, onStream } = openSpdy(socket);
    servePortForward(session, onStream, sandbox, this.o.runtime);
  }

  private portForwardWs(req: IncomingMessage, socket: Socket, sandbox: string): void {
    const hs = wsHandshake(req.headers, [PORT_FORWARD_TUNNEL]);
    if (!hs.ok || hs.protocol !== PORT_FORWARD_TUNNEL) {
      const why = hs.ok ? `subprotocol ${PORT_FORWARD_TUNNEL} required` : hs.message;
      return refuseUpgrade(socket, 400, why);
    }
    socket.write(hs.response);
    const { session, onStream } = openSpdy(wsByteStream(new WsConnection(socket)));
    servePortForward(session, onStream, sandbox, this.o.runtime);
  }

  private run(p: Promise<void>): void {
    p.catch((err: unknown) => {
      this.o.log?.(`streaming session: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
}

interface StreamChoice {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function pick(r: StreamChoice & { containerId: string }): StreamChoice & { containerId: string } {
  const { containerId, stdin, stdout, stderr, tty } = r;
  return { containerId, stdin, stdout, stderr, tty };
}

/** checkStreams rejects requests upstream's streaming server rejects. */
function checkStreams(r: StreamChoice): void {
  if (r.tty && r.stderr) throw criInvalid('tty and stderr cannot both be true');
  if (!r.stdin && !r.stdout && !r.stderr) {
    throw criInvalid('one of stdin, stdout, or stderr must be set');
  }
}

/** openSpdy starts a session whose streams go to a handler registered later (none are lost). */
interface OpenSpdy {
  session: SpdySession;
  onStream: (h: (s: SpdyStream) => void) => void;
}

function openSpdy(transport: Duplex): OpenSpdy {
  let handler: ((s: SpdyStream) => void) | undefined;
  const early: SpdyStream[] = [];
  const session = new SpdySession(transport, {
    onStream: (s) => (handler ? handler(s) : early.push(s)),
  });
  return {
    session,
    onStream: (h) => {
      handler = h;
      for (const s of early.splice(0)) h(s);
    },
  };
}
