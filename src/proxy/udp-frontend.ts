/**
 * A UDP frontend: one socket bound on a Service address. Each client (address:port) gets a
 * session — its own socket connected to the backend the picker chose — so replies find their way
 * back, as kube-proxy's userspace UDP proxy and conntrack do. Sessions idle for
 * UDP_IDLE_TIMEOUT_MS are closed; at most MAX_SESSIONS live at once (the least recently used
 * goes first). A datagram for a Service without backends is dropped (UDP has no refusal).
 */
import dgram from 'node:dgram';
import type { Clock, Timer } from '../base/clock.js';
import { BackendPicker, keyOf } from './backend-picker.js';
import type { Backend, Frontend } from './frontends.js';
import type { RunningFrontend } from './running-frontend.js';

/** UDP_IDLE_TIMEOUT_MS: a session without traffic this long is closed (conntrack's UDP
 *  stream timeout is 120 s; DNS needs far less). */
export const UDP_IDLE_TIMEOUT_MS = 30_000;
/** MAX_SESSIONS bounds one frontend's sessions. */
export const MAX_SESSIONS = 1_024;

interface Session {
  socket: dgram.Socket;
  backend: Backend;
  backendKey: string;
  lastUsedMs: number;
}

/** openUdpFrontend binds f's address; rejects with the bind error (EADDRINUSE...). */
export async function openUdpFrontend(f: Frontend, clock: Clock): Promise<RunningFrontend> {
  const picker = new BackendPicker(f.affinityMs);
  picker.update(f.backends, f.affinityMs);
  const sessions = new Map<string, Session>();
  const server = dgram.createSocket({ type: 'udp4' });
  const closeSession = (client: string): void => {
    const s = sessions.get(client);
    if (s === undefined) return;
    sessions.delete(client);
    s.socket.close();
  };
  server.on('message', (msg, from) => {
    const client = `${from.address}:${from.port}`;
    let s = sessions.get(client);
    if (s === undefined) {
      const b = picker.pick(from.address, clock.nowMs());
      if (b === undefined) return;
      const socket = dgram.createSocket({ type: 'udp4' });
      // Unconnected (connect() is asynchronous and would drop the first datagram), so
      // replies are checked to come from the backend.
      socket.on('message', (reply, rinfo) => {
        if (rinfo.address === b.ip && rinfo.port === b.port) server.send(reply, from.port, from.address);
      });
      socket.on('error', () => closeSession(client));
      s = { socket, backend: b, backendKey: keyOf(b), lastUsedMs: 0 };
      sessions.set(client, s);
      while (sessions.size > MAX_SESSIONS) {
        const oldest = sessions.keys().next().value;
        if (oldest === undefined) break;
        closeSession(oldest);
      }
    }
    s.lastUsedMs = clock.nowMs();
    sessions.delete(client);
    sessions.set(client, s); // least recently used first
    s.socket.send(msg, s.backend.port, s.backend.ip, (err) => {
      if (err) closeSession(client);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.bind({ address: f.ip, port: f.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const sweep: Timer = clock.setInterval(() => {
    const now = clock.nowMs();
    for (const [client, s] of sessions) {
      if (now - s.lastUsedMs > UDP_IDLE_TIMEOUT_MS) closeSession(client);
    }
  }, UDP_IDLE_TIMEOUT_MS / 3);
  return {
    key: f.key,
    update: (next) => {
      picker.update(next.backends, next.affinityMs);
      const live = new Set(next.backends.map(keyOf));
      for (const [client, s] of sessions) if (!live.has(s.backendKey)) closeSession(client);
    },
    close: () => new Promise<void>((resolve) => {
      sweep.cancel();
      for (const client of [...sessions.keys()]) closeSession(client);
      server.close(() => resolve());
    }),
  };
}
