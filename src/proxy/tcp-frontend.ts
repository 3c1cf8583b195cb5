/**
 * A TCP frontend: one listening socket on a Service address, each accepted connection spliced to
 * a backend chosen by the BackendPicker. A Service without ready backends resets new connections
 * at once (kube-proxy's REJECT rule gives clients "connection refused" the same way); a backend
 * that refuses or does not answer within CONNECT_TIMEOUT_MS is skipped for the next one, as
 * kube-proxy's userspace proxier retried. Half-closes are passed through (allowHalfOpen).
 */
import net from 'node:net';
import type { Clock } from '../base/clock.js';
import { BackendPicker } from './backend-picker.js';
import type { Backend, Frontend } from './frontends.js';
import type { RunningFrontend } from './running-frontend.js';

/** CONNECT_TIMEOUT_MS: how long one backend may take to accept before the next is tried. */
export const CONNECT_TIMEOUT_MS = 2_000;
/** MAX_CONNECTIONS: connections one frontend carries at once; more are refused by the kernel
 *  backlog / closed by Node. */
export const MAX_CONNECTIONS = 4_096;

/** openTcpFrontend listens on f's address; rejects with the listen error (EADDRINUSE...). */
export async function openTcpFrontend(f: Frontend, clock: Clock): Promise<RunningFrontend> {
  const picker = new BackendPicker(f.affinityMs);
  picker.update(f.backends, f.affinityMs);
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    const first = picker.pick(client.remoteAddress ?? '', clock.nowMs());
    if (first === undefined) {
      client.resetAndDestroy();
      return;
    }
    connectUpstream(client, first, picker, Math.min(picker.size, 3), sockets);
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: f.ip, port: f.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined); // After listening, errors are per connection.
  return {
    key: f.key,
    update: (next) => picker.update(next.backends, next.affinityMs),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

/** connectUpstream dials backend b; on failure tries the next backend, up to `tries` in all. */
function connectUpstream(
  client: net.Socket, b: Backend, picker: BackendPicker, tries: number, sockets: Set<net.Socket>,
): void {
  const upstream = net.connect({ host: b.ip, port: b.port, allowHalfOpen: true });
  sockets.add(upstream);
  upstream.once('close', () => sockets.delete(upstream));
  upstream.setTimeout(CONNECT_TIMEOUT_MS);
  const failed = (): void => {
    upstream.destroy();
    const next = tries > 1 ? picker.after(b) : undefined;
    if (next === undefined || client.destroyed) client.resetAndDestroy();
    else connectUpstream(client, next, picker, tries - 1, sockets);
  };
  upstream.once('timeout', failed);
  upstream.once('error', failed);
  upstream.once('connect', () => {
    upstream.setTimeout(0);
    upstream.off('timeout', failed);
    upstream.off('error', failed);
    splice(client, upstream);
  });
}

/** splice pipes both directions; an error on either side tears both down. */
function splice(a: net.Socket, b: net.Socket): void {
  const teardown = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', teardown);
  b.on('error', teardown);
  a.once('close', () => b.end());
  b.once('close', () => a.end());
  a.pipe(b);
  b.pipe(a);
  a.resume();
}
