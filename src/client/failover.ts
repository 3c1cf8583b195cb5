/**
 * Failover between API servers (one per master). Calls stick to the server that last answered
 * and move to the next one on a transport failure, never on an API answer: a Status from any
 * server (404, 409, even 503 when the store has no leader) is the answer, since every server
 * shares the same store.
 *
 * What may be retried elsewhere:
 * - reads (and watches): UNAVAILABLE or CANCELLED without a Status, i.e. no server answered;
 * - writes: only when provably not sent. Before a write the connection must be up (`ready`
 *   fails fast on a refused connection), a call failed at pick time ("No connection
 *   established", raised before a stream exists) never left this process, and a stream the
 *   server refused (REFUSED_STREAM, e.g. past its GOAWAY) was never processed.
 *   A write whose connection broke after it was sent may have been applied; it fails with the
 *   transport error and the caller decides (re-read, or retry knowing it may see AlreadyExists
 *   or a Conflict).
 *
 * Everything is bounded: at most MAX_ROUNDS passes over the endpoints, jittered exponential
 * backoff between passes, and the caller's deadline over the whole thing.
 */
import { assert } from '../base/assert.js';
import type { Clock } from '../base/clock.js';
import { NOT_SENT_DETAILS, RpcError, UnavailableRpcError } from '../rpc/errors.js';
import { status, type ServiceError } from '@grpc/grpc-js';

/** Passes over all endpoints before a call gives up (within its deadline). */
export const MAX_ROUNDS = 3;
/** Backoff after a pass in which no endpoint answered: base·2^pass, jittered, at most max. */
export const BACKOFF_MS_BASE = 100;
export const BACKOFF_MS_MAX = 1_000;
/** Longest one connection attempt may take before the next endpoint is tried. */
export const CONNECT_TIMEOUT_MS = 2_000;

/** Safety says whether a call may be sent again after an ambiguous failure. */
export type Safety = 'read' | 'write';

/** Closable is what Failover needs of a connection besides `ready`. */
export interface Closable {
  close(): void;
}

/** Ready resolves once c is connected, or rejects (UnavailableRpcError) when it cannot connect
 *  within timeoutMs or its last attempt failed: then nothing was sent (see above). */
export type Ready<C> = (c: C, timeoutMs: number) => Promise<void>;

/** FailoverOptions wire the failover to its edges. */
export interface FailoverOptions<C extends Closable> {
  endpoints: string[];
  connect: (endpoint: string) => C;
  /** Readiness of calls that name none (run's `ready` argument). */
  ready: Ready<C>;
  clock: Clock;
  /** Uniform [0, 1) for backoff jitter. */
  random: () => number;
  connectTimeoutMs?: number;
}

/** Failover owns one connection per endpoint and runs calls across them. */
export class Failover<C extends Closable> {
  private readonly clients: (C | undefined)[];
  private index = 0;
  private closed = false;

  constructor(private readonly o: FailoverOptions<C>) {
    assert(o.endpoints.length > 0, 'Failover: at least one endpoint');
    this.clients = o.endpoints.map(() => undefined);
  }

  /** endpoint is where calls go now (tests and logs). */
  get endpoint(): string {
    return this.o.endpoints[this.index] ?? '';
  }

  /**
   * run calls attempt on the current endpoint, moving on as the rules above allow, until it
   * answers, fails with an API answer, or timeoutMs passes. attempt gets the time left, and
   * runs only once `ready` says the connection it uses is up.
   */
  async run<T>(
    safety: Safety,
    timeoutMs: number,
    attempt: (c: C, leftMs: number) => Promise<T>,
    ready: Ready<C> = this.o.ready,
  ): Promise<T> {
    assert(timeoutMs > 0, `Failover.run: timeout must be > 0, got ${timeoutMs}`);
    // Closing a client races with its own reconnecting watches (a component shutting down):
    // they end with CANCELLED, as their streams did, instead of reaching a closed channel.
    if (this.closed) throw new RpcError(status.CANCELLED, 'the API client is closed');
    const deadline = this.o.clock.nowMs() + timeoutMs;
    const n = this.o.endpoints.length;
    let last: unknown;
    for (let tries = 0; tries < n * MAX_ROUNDS; tries++) {
      if (tries > 0 && tries % n === 0) await this.backoff(tries / n, deadline);
      const left = deadline - this.o.clock.nowMs();
      if (left <= 0) break;
      const i = this.index;
      const c = this.client(i);
      try {
        await ready(c, Math.min(left, this.o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS));
      } catch (err) {
        last = err;
        this.moveOn(i);
        continue;
      }
      try {
        return await attempt(c, Math.max(1, deadline - this.o.clock.nowMs()));
      } catch (err) {
        if (!retriable(err, safety)) throw err;
        last = err;
        this.moveOn(i);
      }
    }
    const tried = this.o.endpoints.join(', ');
    const msg = `no API server answered within ${timeoutMs} ms (${tried})`;
    throw new UnavailableRpcError(msg, { cause: last });
  }

  /** connected returns the current endpoint's connection once `ready` (watch starts). */
  async connected(timeoutMs: number, ready: Ready<C> = this.o.ready): Promise<C> {
    return this.run('read', timeoutMs, (c) => Promise.resolve(c), ready);
  }

  /** moveOn leaves endpoint i after a failure (unless another call already moved on). */
  moveOn(i: number): void {
    if (this.index === i) this.index = (i + 1) % this.o.endpoints.length;
  }

  /** indexOf tells which endpoint a client belongs to. */
  indexOf(c: C): number {
    return this.clients.indexOf(c);
  }

  /** close closes every channel; later calls fail. */
  close(): void {
    this.closed = true;
    for (const c of this.clients) c?.close();
  }

  private client(i: number): C {
    assert(!this.closed, 'Failover: used after close');
    let c = this.clients[i];
    if (!c) {
      c = this.o.connect(this.o.endpoints[i] ?? '');
      this.clients[i] = c;
    }
    return c;
  }

  private backoff(pass: number, deadline: number): Promise<void> {
    const capMs = Math.min(BACKOFF_MS_MAX, BACKOFF_MS_BASE * 2 ** (pass - 1));
    const leftMs = Math.max(0, deadline - this.o.clock.nowMs());
    const ms = Math.min(capMs * (0.5 + this.o.random() / 2), leftMs);
    return new Promise((resolve) => this.o.clock.setTimeout(resolve, ms));
  }
}

/**
 * retriable: may a call that failed with err be sent to another server? Only RpcErrors count (a
 * StatusError is an API answer). CANCELLED without a Status is what grpc-js reports when the
 * server cut the call (a master shutting down cancels its streams); the client cancels only
 * calls it abandons, which are never retried, so for reads it means "this server went away".
 */
export function retriable(err: unknown, safety: Safety): boolean {
  if (!(err instanceof RpcError)) return false;
  if (safety === 'read') return err.code === status.UNAVAILABLE || err.code === status.CANCELLED;
  if (err.code !== status.UNAVAILABLE) return false;
  const cause = err.cause as ServiceError | undefined;
  return NOT_SENT_DETAILS.test(cause?.details ?? err.message);
}
