/**
 * Lease keep-alive: one LeaseKeepAlive stream per client carries the renewals of every lease the
 * client keeps alive (clientv3's lessor does the same). Each lease is renewed every TTL/3 after
 * its last renewal; a lease the server reports gone (TTL 0) or that was not renewed within its
 * TTL is reported expired and dropped. A broken stream is re-opened on the next member, and every
 * lease is renewed at once on the new stream. Stopping a keep-alive does not revoke the lease:
 * it expires on the server when its TTL runs out.
 */
import { status } from '@grpc/grpc-js';
import {
  LeaseService, type LeaseKeepAliveRequest, type LeaseKeepAliveResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { h2Bidi, type H2BidiCall } from '../../rpc/h2-bidi-call.js';
import { assert } from '../../base/assert.js';
import { backoffMs } from './backoff.js';
import { asClientError, metadataFor, streamEndError, type CallSettings } from './call.js';
import type { Conn, EndpointPool } from './endpoints.js';
import { EtcdClientError } from './errors.js';
import { num } from './kv.js';

/** Why a keep-alive ended. */
export type KeepAliveEnd = 'stopped' | 'expired' | 'closed';

/** KeepAlive is the handle of one lease being kept alive. */
export interface KeepAlive {
  readonly id: bigint;
  /** The TTL in seconds the server granted at the last renewal (0 before the first). */
  ttl(): number;
  /** Renewals acknowledged so far. */
  renewals(): number;
  /** Resolves once keep-alive ends, with the reason. */
  readonly done: Promise<KeepAliveEnd>;
  /** stop ends keep-alive (the lease then expires on the server after its TTL). */
  stop(): void;
}

/** MAX_KEEPALIVES bounds the leases one client keeps alive. */
export const MAX_KEEPALIVES = 10_000;

interface Entry {
  id: bigint;
  ttlSeconds: number;
  renewals: number;
  sendTimer: NodeJS.Timeout | undefined;
  expireTimer: NodeJS.Timeout | undefined;
  end: (why: KeepAliveEnd) => void;
}

type KeepAliveStream = H2BidiCall<LeaseKeepAliveRequest>;

export class KeepAliver {
  private readonly entries = new Map<bigint, Entry>();
  private stream: KeepAliveStream | undefined;
  private conn: Conn | undefined;
  private opening = false;
  private failures = 0;
  private reopenTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly pool: EndpointPool,
    private readonly settings: CallSettings,
  ) {}

  /** keepAlive starts renewing lease `id`. `ttlSeconds` (the granted TTL, if known) bounds how
   *  long to wait for the first renewal before reporting the lease expired. */
  keepAlive(id: bigint, ttlSeconds?: number): KeepAlive {
    assert(id > 0n, `keepAlive: bad lease id ${id}`);
    if (this.closed) throw new EtcdClientError('closed', status.CANCELLED, 'client closed');
    assert(!this.entries.has(id), `keepAlive: lease ${id} is already kept alive`);
    assert(this.entries.size < MAX_KEEPALIVES, `keepAlive: more than ${MAX_KEEPALIVES} leases`);
    let end!: (why: KeepAliveEnd) => void;
    const done = new Promise<KeepAliveEnd>((resolve) => (end = resolve));
    const e: Entry = { id, ttlSeconds: 0, renewals: 0, sendTimer: undefined, expireTimer: undefined, end };
    e.end = (why) => {
      if (this.entries.get(id) !== e) return;
      clearTimeout(e.sendTimer);
      clearTimeout(e.expireTimer);
      this.entries.delete(id);
      if (this.entries.size === 0) this.closeStream();
      end(why);
    };
    this.entries.set(id, e);
    this.armExpiry(e, ttlSeconds !== undefined ? ttlSeconds * 1000 : this.settings.requestTimeoutMs);
    this.send(e);
    return { id, ttl: () => e.ttlSeconds, renewals: () => e.renewals, done, stop: () => e.end('stopped') };
  }

  close(): void {
    this.closed = true;
    for (const e of [...this.entries.values()]) e.end('closed');
    this.closeStream();
  }

  private send(e: Entry): void {
    clearTimeout(e.sendTimer);
    e.sendTimer = undefined;
    if (this.stream) this.stream.write({ ID: e.id });
    else this.open();
  }

  private onResponse(r: LeaseKeepAliveResponse): void {
    const e = this.entries.get(r.ID);
    if (!e) return;
    const ttl = num(r.TTL);
    if (ttl <= 0) return e.end('expired');
    e.ttlSeconds = ttl;
    e.renewals++;
    this.failures = 0;
    this.armExpiry(e, ttl * 1000);
    clearTimeout(e.sendTimer);
    e.sendTimer = setTimeout(() => this.send(e), Math.max(100, (ttl * 1000) / 3));
  }

  private armExpiry(e: Entry, inMs: number): void {
    clearTimeout(e.expireTimer);
    e.expireTimer = setTimeout(() => e.end('expired'), inMs);
  }

  private open(): void {
    if (this.stream || this.opening || this.reopenTimer || this.closed || this.entries.size === 0) return;
    this.opening = true;
    let conn: Conn;
    try {
      conn = this.pool.current();
    } catch {
      this.opening = false;
      return; // the pool is closed
    }
    void this.openOn(conn).finally(() => (this.opening = false));
  }

  private async openOn(conn: Conn): Promise<void> {
    try {
      await this.pool.ready(conn, this.settings.dialTimeoutMs);
    } catch (e) {
      return this.broken(conn, asClientError(e));
    }
    if (this.closed || this.entries.size === 0) return;
    const ended = (): EtcdClientError => new EtcdClientError('unavailable', status.UNAVAILABLE, 'keep-alive stream ended');
    const stream: KeepAliveStream = h2Bidi(conn.h2, LeaseService.leaseKeepAlive, metadataFor({ requireLeader: true }), {
      message: (r: LeaseKeepAliveResponse) => this.stream === stream && this.onResponse(r),
      end: (s) => this.stream === stream && this.broken(conn, streamEndError(s, ended)),
    });
    this.stream = stream;
    this.conn = conn;
    for (const e of this.entries.values()) this.send(e);
  }

  private broken(conn: Conn, _err: EtcdClientError): void {
    this.closeStream();
    if (this.closed || this.entries.size === 0) return;
    this.pool.failed(conn.endpoint);
    this.failures++;
    const retry = this.failures - this.pool.size;
    const waitMs = retry <= 0 ? 0 : backoffMs(retry - 1, this.settings.backoff, this.settings.random);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.open();
    }, waitMs);
  }

  private closeStream(): void {
    const s = this.stream;
    this.stream = undefined;
    this.conn = undefined;
    s?.cancel();
    if (this.closed && this.reopenTimer) clearTimeout(this.reopenTimer);
  }
}
