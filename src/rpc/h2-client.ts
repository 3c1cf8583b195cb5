/**
 * H2Channel: one HTTP/2 session to one gRPC server, for calls made without grpc-js
 * (h2-client-call.ts, h2-stream-call.ts). grpc-js spends 150–180 µs of CPU per unary call in
 * its channel, resolver, load-balancer, filter and interceptor layers; node:http2 alone costs
 * ~60–70 µs (/work/briefs/grpc-microbench.mjs). Every API write is one store call and every
 * component write one API call, so the difference is paid on every write of the cluster.
 *
 * What it keeps from grpc-js: TLS from the same PEM files (ca/cert/key, ALPN h2), keepalive
 * pings (none on 'local-socket'), connect with a timeout, reconnect with bounded backoff after a
 * failed attempt, a fresh session after close/GOAWAY/error, and the "never reached a server"
 * guarantee: ready() fails with UnavailableRpcError when the session cannot connect, and a call
 * made without a connected session fails as grpc-js's pick failure ("No connection established")
 * before anything is written. Server-streaming calls (the component API's Watch) run on it too
 * (h2-stream-call.ts), and so do the store client's etcd Watch streams (h2-bidi-call.ts).
 */
import { readFileSync } from 'node:fs';
import http2, {
  type ClientHttp2Session, type Http2Session, type SecureClientSessionOptions,
} from 'node:http2';
import net, { isIP } from 'node:net';
import tls, { createSecureContext } from 'node:tls';
import { assert } from '../base/assert.js';
import type { Clock, Timer } from '../base/clock.js';
import type { TlsFiles } from './credentials.js';
import {
  KEEPALIVE_TIME_MS,
  KEEPALIVE_TIMEOUT_MS,
  MAX_MESSAGE_BYTES,
  RECEIVE_WINDOW_BYTES,
  type Transport,
} from './defaults.js';
import { DeadlineQueue } from './deadline-queue.js';
import { UnavailableRpcError } from './errors.js';

/** A ping timeout firing this late (or a quarter of the timeout) was delayed by our own stall. */
const STALL_LATENESS_MS = 50;
/** How many times a late ping timeout starts over before it counts anyway. */
const MAX_STALL_REARMS = 3;

/** Keepalive says how often to ping and whether to ping a session with no calls open. */
export interface H2Keepalive {
  timeMs: number;
  timeoutMs: number;
  withoutCalls: boolean;
}

/** H2ChannelOptions configure one channel. */
export interface H2ChannelOptions {
  /** host:port of the server, or unix:<path> for a unix socket. */
  target: string;
  /** Mutual TLS from PEM files (credentials.ts); insecure when absent. */
  tls?: TlsFiles | undefined;
  /** 'local-socket' sends no pings (defaults.ts explains why). */
  transport?: Transport;
  /** Overrides the k8ts keepalive (etcd's policy is stricter: store/client/endpoints.ts). */
  keepalive?: H2Keepalive;
  maxMessageBytes?: number;
  /** Timers; the default's are unref'd so an idle channel never keeps a process alive. */
  clock?: Clock;
  /** User-Agent of every call (h2-call.ts has the default); the API server names the
   *  manager of a write without a fieldManager after it, as kube-apiserver does. */
  userAgent?: string;
}

/** Reconnect backoff after a failed attempt, as channelOptions gives grpc-js (100 ms … 1 s). */
export const H2_BACKOFF_INITIAL_MS = 100;
export const H2_BACKOFF_MAX_MS = 1_000;
/** One connection attempt (TCP + TLS + SETTINGS) gets at most this long. */
export const H2_CONNECT_ATTEMPT_MS = 10_000;
/** MAX_READY_WAITERS bounds the callers waiting for one connection attempt. */
export const MAX_READY_WAITERS = 100_000;

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: Timer;
}

type State = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

/**
 * The last stream id each session's peer said, in a GOAWAY, it processed (RFC 9113 §6.8). A
 * stream above it was never processed, even if node:http2 then destroys the session under it (a
 * GOAWAY with an error code, as grpc-js's forceShutdown sends when a server stops): such a write
 * is safe to send elsewhere, as Go's http2 transport and grpc-js treat it.
 */
const goawayLastStream = new WeakMap<Http2Session, number>();

/** refusedByGoaway: did the peer's GOAWAY on session say stream id was never processed? */
export function refusedByGoaway(session: Http2Session | undefined, id: number | undefined):
  boolean {
  if (session === undefined || id === undefined) return false;
  const last = goawayLastStream.get(session);
  return last !== undefined && id > last;
}

/** unrefClock: real time whose timers do not hold the event loop open (grpc-js unrefs its own). */
export const unrefClock: Clock = {
  nowMs: () => performance.now(),
  setTimeout(fn, delayMs) {
    const h = setTimeout(fn, delayMs).unref();
    return { cancel: () => clearTimeout(h) };
  },
  setInterval(fn, periodMs) {
    const h = setInterval(fn, periodMs).unref();
    return { cancel: () => clearInterval(h) };
  },
};

/** unixPathOf: the socket path of a `unix:<path>` or `unix://<path>` target, else undefined. */
function unixPathOf(target: string): string | undefined {
  return target.startsWith('unix:') ? target.replace(/^unix:(\/\/)?/, '') : undefined;
}

/** H2Channel owns the session to one target; see the file comment. */
export class H2Channel {
  readonly target: string;
  readonly maxMessageBytes: number;
  readonly clock: Clock;
  readonly userAgent: string | undefined;
  /** The calls' deadlines (h2-call.ts): two queues, for a client's two usual timeouts. */
  readonly deadlines: readonly DeadlineQueue[];
  private state: State = 'idle';
  private session: ClientHttp2Session | undefined;
  private readonly waiters = new Set<Waiter>();
  private lastError = 'not connected yet';
  private backoffMs = H2_BACKOFF_INITIAL_MS;
  private backoffTimer: Timer | undefined;
  private pinger: Timer | undefined;
  private readonly tlsOptions: SecureClientSessionOptions | undefined;
  /** Calls open (keepalive without calls skips idle sessions; open calls hold the loop). */
  private activeCalls = 0;

  constructor(private readonly o: H2ChannelOptions) {
    this.target = o.target;
    this.maxMessageBytes = o.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.clock = o.clock ?? unrefClock;
    this.userAgent = o.userAgent;
    this.deadlines = [new DeadlineQueue(this.clock), new DeadlineQueue(this.clock)];
    this.tlsOptions = o.tls ? tlsOptionsOf(o.tls) : undefined;
  }

  /** readySession is the connected session, or undefined (a call then fails as not sent). */
  readySession(): ClientHttp2Session | undefined {
    return this.state === 'ready' ? this.session : undefined;
  }

  /** notConnectedReason is the pick-failure text grpc-js uses: retry rules key on it. */
  notConnectedReason(): string {
    return `No connection established. Last error: ${this.lastError}`;
  }

  /** isReady: connected now (no connection attempt is started by asking). */
  isReady(): boolean {
    return this.state === 'ready';
  }

  /**
   * ready resolves once the session is connected, starting a connection when idle. It rejects
   * with UnavailableRpcError at once while the last attempt's backoff runs (another server is
   * likely fine), when the attempt fails, or after timeoutMs.
   */
  ready(timeoutMs: number): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new UnavailableRpcError('channel closed'));
    if (this.state === 'backoff') {
      const why = `cannot connect to ${this.target}: ${this.lastError}`;
      return Promise.reject(new UnavailableRpcError(why));
    }
    if (this.waiters.size >= MAX_READY_WAITERS) {
      return Promise.reject(new UnavailableRpcError(`too many callers waiting for ${this.target}`));
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.waiters.delete(w);
          reject(new UnavailableRpcError(`not connected to ${this.target} within ${timeoutMs} ms`));
        }, Math.max(0, timeoutMs)),
      };
      this.waiters.add(w);
      if (this.state === 'idle') this.connect();
    });
  }

  /** callStarted/callEnded count open calls: while any is open the session keeps the process
   *  alive, as grpc-js refs its session (timers here are unref'd). */
  callStarted(): void {
    if (this.activeCalls++ === 0) this.session?.ref();
  }

  callEnded(): void {
    if (--this.activeCalls === 0) this.session?.unref();
  }

  /** close ends the session (calls in flight fail) and refuses later calls. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.backoffTimer?.cancel();
    this.stopPings();
    this.settle(new UnavailableRpcError('channel closed'));
    this.session?.destroy();
    this.session = undefined;
  }

  private connect(): void {
    this.state = 'connecting';
    const scheme = this.tlsOptions ? 'https' : 'http';
    const tlsOptions = this.tlsOptions;
    const unixPath = unixPathOf(this.target);
    const authority = unixPath !== undefined ? 'http://localhost' : `${scheme}://${this.target}`;
    const s = http2.connect(authority, {
      ...tlsOptions,
      // A unix:<path> target (the CRI socket) is dialled as a unix socket, in plaintext.
      ...(unixPath !== undefined ? { createConnection: () => net.connect(unixPath) } : {}),
      // Our own TLS socket: http2.connect would send an IP target as SNI server name, which
      // RFC 6066 forbids (Node warns, DEP0123). The certificate is still checked against the
      // target (its IP SAN), as grpc-js does.
      ...(tlsOptions !== undefined && unixPath === undefined ? {
        createConnection: (url: URL) => {
          const host = url.hostname.replace(/^\[|\]$/g, '');
          const sni = isIP(host) === 0 ? { servername: host } : {};
          return tls.connect({ ...tlsOptions, host, port: Number(url.port), ...sni });
        },
      } : {}),
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
      // As grpc-js: Node degrades badly at its session memory limit, so it is not enforced.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      // Each stream's receive window (the connection's is widened on connect): RECEIVE_WINDOW_BYTES.
      settings: { initialWindowSize: RECEIVE_WINDOW_BYTES },
    });
    this.session = s;
    s.once('connect', () => {
      if (!s.destroyed) s.setLocalWindowSize(RECEIVE_WINDOW_BYTES);
    });
    // Held open while anyone waits for it or calls on it (callStarted), else unref'd.
    if (this.activeCalls === 0 && this.waiters.size === 0) s.unref();
    const attempt = this.clock.setTimeout(() => {
      s.destroy(new Error(`connect timeout after ${H2_CONNECT_ATTEMPT_MS} ms`));
    }, H2_CONNECT_ATTEMPT_MS);
    s.once('remoteSettings', () => {
      attempt.cancel();
      if (this.session !== s || this.state !== 'connecting') return;
      this.state = 'ready';
      this.backoffMs = H2_BACKOFF_INITIAL_MS;
      if (this.activeCalls === 0) s.unref();
      this.startPings(s);
      this.settle(undefined);
    });
    s.on('error', (e: Error) => {
      this.lastError = e.message;
    });
    // GOAWAY: Node closes the session itself; calls in flight finish, new ones need a new one.
    s.on('goaway', (_code: number, lastStreamId: number) => {
      goawayLastStream.set(s, lastStreamId);
      this.detach(s);
    });
    s.on('close', () => {
      attempt.cancel();
      this.detach(s);
    });
  }

  /** detach forgets session s once it can take no new calls. */
  private detach(s: ClientHttp2Session): void {
    if (this.session !== s) return;
    this.session = undefined;
    this.stopPings();
    if (this.state === 'ready') {
      this.state = 'idle';
      return;
    }
    if (this.state !== 'connecting') return;
    this.state = 'backoff';
    this.settle(new UnavailableRpcError(`cannot connect to ${this.target}: ${this.lastError}`));
    const wait = this.backoffMs;
    this.backoffMs = Math.min(H2_BACKOFF_MAX_MS, this.backoffMs * 2);
    this.backoffTimer = this.clock.setTimeout(() => {
      if (this.state === 'backoff') this.state = 'idle';
    }, wait);
  }

  private settle(err: Error | undefined): void {
    for (const w of this.waiters) {
      w.timer.cancel();
      if (err) w.reject(err);
      else w.resolve();
    }
    this.waiters.clear();
  }

  private startPings(s: ClientHttp2Session): void {
    if (this.o.transport === 'local-socket') return;
    const k = this.o.keepalive ?? {
      timeMs: KEEPALIVE_TIME_MS,
      timeoutMs: KEEPALIVE_TIMEOUT_MS,
      withoutCalls: true,
    };
    this.pinger = this.clock.setInterval(() => {
      if (!k.withoutCalls && this.activeCalls === 0) return;
      if (s.destroyed || s.closed) return; // its 'close' is on the way
      let answered = false;
      const timeout = this.armPingTimeout(s, k.timeoutMs, () => answered);
      const sent = s.ping((err) => {
        answered = true;
        timeout.cancel();
        if (err && !s.destroyed) s.destroy(err);
      });
      if (!sent) timeout.cancel();
    }, k.timeMs);
  }

  /**
   * armPingTimeout destroys the session when a ping stays unanswered for timeoutMs of the
   * process's own running time. A timer that fires late means this process was stalled (starved
   * of CPU, a long GC): the answer may be sitting unread in the socket, so the timeout starts
   * over instead, at most MAX_STALL_REARMS times (a peer that is really gone is still found).
   */
  private armPingTimeout(
    s: ClientHttp2Session, timeoutMs: number, answered: () => boolean, rearms = 0,
  ): { cancel(): void } {
    const due = this.clock.nowMs() + timeoutMs;
    let current = this.clock.setTimeout(() => {
      if (answered() || s.destroyed) return;
      const late = this.clock.nowMs() - due;
      if (late > Math.max(STALL_LATENESS_MS, timeoutMs / 4) && rearms < MAX_STALL_REARMS) {
        current = this.armPingTimeout(s, timeoutMs, answered, rearms + 1);
        return;
      }
      this.lastError = `keepalive ping not answered within ${timeoutMs} ms`;
      s.destroy(new Error(this.lastError));
    }, timeoutMs);
    return { cancel: () => current.cancel() };
  }

  private stopPings(): void {
    this.pinger?.cancel();
    this.pinger = undefined;
  }
}

function tlsOptionsOf(tls: TlsFiles): SecureClientSessionOptions {
  const named = tls.caFile !== '' && tls.certFile !== '' && tls.keyFile !== '';
  assert(named, 'H2Channel: empty TLS path');
  // One secure context per channel: handing tls.connect the PEMs instead would parse them into a
  // fresh context on every (re)connect — ~15 % of a kubelet's CPU while it retries during `up`.
  const secureContext = createSecureContext({
    ca: readFileSync(tls.caFile),
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
  });
  return { secureContext, ALPNProtocols: ['h2'] };
}
