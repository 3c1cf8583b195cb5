/**
 * UnixH2Channel: the lean HTTP/2 client channel (src/rpc/h2-client.ts, used with h2Unary) over
 * a unix socket, for the CRI. grpc-js costs the kubelet ~250–330 µs of CPU per CRI call, the
 * lean path ~130–140 µs (measured against the process runtime, 2,000 calls, 8 at once); a pod
 * start is about seven calls, and in a burst the kubelet's CPU is what the pods wait for (in a
 * 50-pod start 42 % of the kubelet's main thread was in grpc-js stacks).
 *
 * H2Channel dials host:port; this channel keeps its call-facing surface (readySession, ready,
 * callStarted/callEnded, notConnectedReason) and replaces the connection with one to the
 * socket: one session, made on demand, dropped when it closes or errs (the next call makes a
 * new one), a connection attempt bounded in time, and after a failed one calls fail at once
 * for a doubling pause (bounded), as the base channel backs off. No keepalive pings: on a unix
 * socket a dead peer closes the connection (the CRI socket ran without them under grpc-js too).
 */
import http2, { type ClientHttp2Session } from 'node:http2';
import net from 'node:net';
import type { Clock } from '../../base/clock.js';
import {
  H2_BACKOFF_INITIAL_MS, H2_BACKOFF_MAX_MS, H2_CONNECT_ATTEMPT_MS, H2Channel, unrefClock,
} from '../../rpc/h2-client.js';
import { UnavailableRpcError } from '../../rpc/errors.js';

/** UnixH2Channel — see the file comment. */
export class UnixH2Channel extends H2Channel {
  private unixSession: ClientHttp2Session | undefined;
  private connecting: Promise<void> | undefined;
  private failedUntilMs = 0;
  private pauseMs = H2_BACKOFF_INITIAL_MS;
  private unixError = 'not connected yet';
  private calls = 0;
  private shut = false;

  constructor(readonly socketPath: string, clock: Clock = unrefClock) {
    super({ target: `unix:${socketPath}`, transport: 'local-socket', clock });
  }

  override readySession(): ClientHttp2Session | undefined {
    return this.unixSession;
  }

  override isReady(): boolean {
    return this.unixSession !== undefined;
  }

  override notConnectedReason(): string {
    return `No connection established. Last error: ${this.unixError}`;
  }

  /** ready connects when there is no session (one attempt shared by every caller). */
  override ready(timeoutMs: number): Promise<void> {
    if (this.unixSession !== undefined) return Promise.resolve();
    if (this.shut) return Promise.reject(new UnavailableRpcError('channel closed'));
    if (this.clock.nowMs() < this.failedUntilMs) {
      return Promise.reject(new UnavailableRpcError(this.unreachable()));
    }
    this.connecting ??= this.connectUnix(Math.min(timeoutMs, H2_CONNECT_ATTEMPT_MS))
      .finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  override callStarted(): void {
    if (this.calls++ === 0) this.unixSession?.ref();
  }

  override callEnded(): void {
    if (--this.calls === 0) this.unixSession?.unref();
  }

  override close(): void {
    this.shut = true;
    this.unixSession?.destroy();
    this.unixSession = undefined;
    super.close();
  }

  private unreachable(): string {
    return `cannot connect to ${this.target}: ${this.unixError}`;
  }

  private connectUnix(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = http2.connect('http://localhost', {
        createConnection: () => net.connect(this.socketPath),
        maxSessionMemory: Number.MAX_SAFE_INTEGER,
      });
      const attempt = this.clock.setTimeout(() => {
        s.destroy(new Error(`connect timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('remoteSettings', () => {
        attempt.cancel();
        if (this.shut) {
          s.destroy();
          reject(new UnavailableRpcError('channel closed'));
          return;
        }
        this.unixSession = s;
        this.pauseMs = H2_BACKOFF_INITIAL_MS;
        if (this.calls === 0) s.unref();
        resolve();
      });
      s.on('error', (e: Error) => {
        this.unixError = e.message;
      });
      s.on('goaway', () => this.forget(s));
      s.once('close', () => {
        attempt.cancel();
        if (this.unixSession === s) {
          this.forget(s);
          return;
        }
        // Closed before it was ready: a failed attempt.
        this.failedUntilMs = this.clock.nowMs() + this.pauseMs;
        this.pauseMs = Math.min(H2_BACKOFF_MAX_MS, this.pauseMs * 2);
        reject(new UnavailableRpcError(this.unreachable()));
      });
    });
  }

  private forget(s: ClientHttp2Session): void {
    if (this.unixSession === s) this.unixSession = undefined;
  }
}
