/**
 * The ONE place k8ts reaches into grpc-js's private server internals, so the fast path
 * (fast-unary.ts: unary and server-streaming calls) can see each HTTP/2 stream before grpc-js
 * does. Written against grpc-js 1.14.7; it relies on exactly this:
 *  1. `Server#_setupHandlers(http2Server, extraInterceptors)` (private) runs once for every
 *     node:http2 server grpc-js creates in bindAsync, and adds exactly ONE 'stream' listener to
 *     it: the one that serves every call. The hook wraps that method, takes the listener back off
 *     and puts a router in front of it. `extraInterceptors` are the credentials' interceptors.
 *  2. `Server#onStreamOpened(stream)` (private) counts a stream for the connection idle timeout;
 *     the router calls it for the streams it takes, as grpc-js's listener would have.
 *  3. `Server#interceptors` (private) holds the server's own interceptors.
 *  4. `addService` registers each method through the public `Server#register`, which the hook
 *     observes. Sessions stay grpc-js's ('session' listener untouched), so tryShutdown and
 *     forceShutdown close fast-served connections like any other.
 * If an upgrade removes 1, routeStreams throws when the server is created; if it stops calling
 * it, no stream is routed and test/rpc/fast-unary-wire.test.ts fails on its served counter.
 */
import type { Http2Server, IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { RECEIVE_WINDOW_BYTES } from './defaults.js';

/** StreamRoute serves stream itself and returns true, or returns false to leave it to grpc-js. */
export type StreamRoute = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;

/** Registration is one method addService registered
 *  (type: unary | clientStream | serverStream | bidi). */
export interface Registration {
  name: string;
  handler: unknown;
  serialize: (value: unknown) => Buffer;
  deserialize: (bytes: Buffer) => unknown;
  type: string;
}

type StreamListener = (s: ServerHttp2Stream, h: IncomingHttpHeaders, ...rest: unknown[]) => void;

interface Internals {
  _setupHandlers?: (http2Server: Http2Server | null, extraInterceptors: unknown[]) => void;
  onStreamOpened?: (stream: ServerHttp2Stream) => void;
  interceptors?: unknown[];
}

/** routeStreams puts route in front of grpc-js's stream listener on every HTTP/2 server that
 *  server creates from now on, unless interceptors are configured (they must see every call). */
export function routeStreams(server: Server, route: StreamRoute): void {
  const internals = server as unknown as Internals;
  const setup = internals._setupHandlers;
  if (typeof setup !== 'function') {
    throw new Error('grpc-js internals changed: Server#_setupHandlers is gone (fast-unary-hook)');
  }
  internals._setupHandlers = function (http2Server, extraInterceptors) {
    const before = http2Server?.listeners('stream') ?? [];
    setup.call(this, http2Server, extraInterceptors);
    http2Server?.on('sessionError', noteSessionError);
    if (http2Server !== null) widenReceiveWindows(http2Server, RECEIVE_WINDOW_BYTES);
    if (http2Server === null || extraInterceptors.length > 0) return;
    if ((internals.interceptors?.length ?? 0) > 0) return;
    const added = http2Server.listeners('stream').filter((l) => !before.includes(l));
    const grpcListener = added[0] as StreamListener | undefined;
    if (added.length !== 1 || grpcListener === undefined) return;
    http2Server.removeListener('stream', grpcListener);
    http2Server.on('stream', (stream: ServerHttp2Stream, headers, ...rest: unknown[]) => {
      if (!route(stream, headers)) {
        grpcListener(stream, headers, ...rest);
        return;
      }
      internals.onStreamOpened?.call(server, stream);
    });
  };
}

/** widenReceiveWindows grants every client of http2Server a receive window of bytes for each
 *  stream (the SETTINGS it sends a new session) and for the connection (a WINDOW_UPDATE once the
 *  session exists): see RECEIVE_WINDOW_BYTES for why. grpc-js has no server option for
 *  either, and this is where k8ts sees the node:http2 server it creates. */
export function widenReceiveWindows(http2Server: Http2Server, bytes: number): void {
  http2Server.updateSettings({ initialWindowSize: bytes });
  // Guarded: setLocalWindowSize throws on a destroyed session, and a throw here would be an
  // uncaught exception in the server's 'session' event.
  http2Server.on('session', (session: ServerHttp2Session) => {
    if (!session.destroyed) session.setLocalWindowSize(bytes);
  });
}

/** onRegister calls observe for each method registered on server (after grpc-js accepted it),
 *  and forget for each one unregistered. */
export function onRegister(
  server: Server,
  observe: (r: Registration) => void,
  forget: (name: string) => void,
): void {
  const register = server.register.bind(server);
  const unregister = server.unregister.bind(server);
  server.register = (name, handler, serialize, deserialize, type) => {
    const ok = register(name, handler, serialize, deserialize, type);
    if (ok) {
      observe({
        name,
        handler,
        serialize: serialize as Registration['serialize'],
        deserialize: deserialize as Registration['deserialize'],
        type,
      });
    }
    return ok;
  };
  server.unregister = (name) => {
    forget(name);
    return unregister(name);
  };
}

/** Session errors by kind, for noteSessionError. */
const sessionErrors = new Map<string, number>();

/** A client that closes its channel sends GOAWAY CANCEL (8): node:http2 reports it as a session
 *  error, but it is the normal end of a connection, not a fault worth a log line. */
const CLIENT_CLOSED = /Session closed with error code 8$/;

/**
 * noteSessionError names, on stderr (the component's log), why node:http2 ended a server session
 * with an error (a peer's GOAWAY with an error code, a reset socket): every call on that
 * connection fails at once, and nothing else would say why. The first of each kind and every
 * 100th, so a storm cannot flood the log. Not logged by node:http2 at all, and so not here: the
 * GOAWAY INTERNAL_ERROR its rapid-reset protection sends a client that cancels ~1,000 streams in a
 * burst (what closed hundreds of hollow kubelets' sessions at once; src/kubelet/hollow).
 */
function noteSessionError(err: Error & { code?: string }): void {
  if (CLIENT_CLOSED.test(err.message)) return;
  const kind = `${err.code ?? err.name}: ${err.message}`;
  const n = (sessionErrors.get(kind) ?? 0) + 1;
  sessionErrors.set(kind, n);
  if (n === 1 || n % 100 === 0) process.stderr.write(`http2 session error #${n}: ${kind}\n`);
}
