/**
 * EtcdClient: k8ts's etcd v3 client, in kube-apiserver's terms (reference/etcd-api.md §3). The
 * same client talks to real etcd and to the k8ts store; switching is one endpoints line.
 *
 * Failover and retries (call.ts): requests stick to one member and move to the next on
 * connection failure; reads and other idempotent calls are retried with jittered, bounded backoff
 * within the request deadline; writes are retried only when the failure proves they were not
 * applied, otherwise they fail with OutcomeUnknownError. Linearizable requests carry
 * `hasleader: true`, so a member in an election refuses at once ("no leader", provably not
 * applied: the next member is tried) instead of holding the request until its own timeout.
 */
import { status } from '@grpc/grpc-js';
import {
  AlarmRequest_AlarmAction,
  AlarmType,
  ClusterService,
  KVService,
  LeaseService,
  MaintenanceService,
  type CompactionResponse,
  type LeaseGrantResponse,
  type LeaseLeasesResponse,
  type LeaseRevokeResponse,
  type LeaseTimeToLiveResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { assert } from '../../base/assert.js';
import type { TlsFiles } from '../../rpc/credentials.js';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import type { Bytes } from './bytes.js';
import { callWithRetry, type CallSettings, type CallSpec, type Invoke } from './call.js';
import { EndpointPool, unaryOn } from './endpoints.js';
import { EtcdClientError } from './errors.js';
import {
  deleteRequest,
  deleteResult,
  getResult,
  header,
  num,
  putRequest,
  putResult,
  rangeRequest,
  type DeleteOptions,
  type DeleteResult,
  type GetOptions,
  type GetResult,
  type Header,
  type PutOptions,
  type PutResult,
} from './kv.js';
import { KeepAliver, type KeepAlive } from './lease.js';
import {
  alarmsResult,
  hashKVResult,
  memberListResult,
  statusResult,
  type Alarm,
  type HashKVResult,
  type MemberListResult,
  type StatusResult,
} from './maintenance.js';
import { TxnBuilder, txnResult } from './txn.js';
import { TXN } from './txn-encode.js';
import { Watcher, type WatchOptions } from './watch.js';

export interface EtcdClientOptions {
  /** Member client endpoints as host:port. */
  endpoints: string[];
  /** Mutual TLS; plaintext when absent. */
  tls?: TlsFiles;
  /** How long to wait for a member's connection before trying the next (default 5 s). */
  dialTimeoutMs?: number;
  /** Deadline of one request including retries and failover (default 10 s). */
  requestTimeoutMs?: number;
  /** Deadline of one attempt of an idempotent request (default 3 s, at most requestTimeoutMs). */
  attemptTimeoutMs?: number;
  /** Attempts of one request at most (default 16). */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  /** Randomness for backoff jitter (default Math.random; tests pass a seeded Prng). */
  random?: () => number;
}

export interface LeaseGrantResult {
  header: Header;
  id: bigint;
  /** Granted TTL in seconds (a store may raise a short request to its minimum). */
  ttl: number;
}

export interface LeaseTimeToLiveResult {
  header: Header;
  id: bigint;
  /** Remaining seconds; -1 when the lease does not exist (expired or revoked). */
  ttl: number;
  grantedTtl: number;
  keys: Buffer[];
}

/** MAX_WATCHES bounds the watches one client holds open. */
export const MAX_WATCHES = 10_000;

export class EtcdClient {
  private readonly pool: EndpointPool;
  private readonly settings: CallSettings;
  private readonly watchers = new Set<Watcher>();
  private readonly keepAliver: KeepAliver;
  private closed = false;

  constructor(o: EtcdClientOptions) {
    const requestTimeoutMs = o.requestTimeoutMs ?? 10_000;
    this.settings = {
      dialTimeoutMs: o.dialTimeoutMs ?? 5_000,
      requestTimeoutMs,
      attemptTimeoutMs: Math.min(o.attemptTimeoutMs ?? 3_000, requestTimeoutMs),
      maxAttempts: o.maxAttempts ?? 16,
      backoff: o.backoff ?? DEFAULT_BACKOFF,
      random: o.random ?? Math.random,
    };
    assert(this.settings.dialTimeoutMs > 0 && requestTimeoutMs > 0 && this.settings.maxAttempts >= 1, 'EtcdClient: bad timeouts');
    this.pool = new EndpointPool([...o.endpoints], o.tls);
    this.keepAliver = new KeepAliver(this.pool, this.settings);
  }

  /** endpoints as configured. */
  get endpoints(): readonly string[] {
    return this.pool.endpoints;
  }

  /** activeEndpoint is the member requests go to now. */
  activeEndpoint(): string {
    return this.pool.current().endpoint;
  }

  // ---- KV ----

  /** get reads a key or range; linearizable unless `serializable`. */
  async get(key: Bytes, o: GetOptions = {}): Promise<GetResult> {
    const req = rangeRequest(key, o);
    const serializable = o.serializable === true;
    const spec = { what: `Range ${show(key)}`, idempotent: true, requireLeader: !serializable };
    return getResult(await this.call(spec, (c, md, ms, cb) => unaryOn(c, KVService.range, req, md, ms, cb)));
  }

  async put(key: Bytes, value: Bytes, o: PutOptions = {}): Promise<PutResult> {
    const req = putRequest(key, value, o);
    const spec = { what: `Put ${show(key)}`, idempotent: false, requireLeader: true, traceparent: o.traceparent };
    return putResult(await this.call(spec, (c, md, ms, cb) => unaryOn(c, KVService.put, req, md, ms, cb)));
  }

  async delete(key: Bytes, o: DeleteOptions = {}): Promise<DeleteResult> {
    const req = deleteRequest(key, o);
    const spec = { what: `DeleteRange ${show(key)}`, idempotent: false, requireLeader: true, traceparent: o.traceparent };
    return deleteResult(await this.call(spec, (c, md, ms, cb) => unaryOn(c, KVService.deleteRange, req, md, ms, cb)));
  }

  /** txn starts a transaction: txn().if(...).success(...).failure(...).commit(). */
  txn(): TxnBuilder {
    return new TxnBuilder(async (req, readOnly, o) => {
      const spec = { what: 'Txn', idempotent: readOnly, requireLeader: true, traceparent: o.traceparent };
      return txnResult(await this.call(spec, (c, md, ms, cb) => unaryOn(c, TXN, req, md, ms, cb)));
    });
  }

  /** compact drops history before `revision`; `physical` waits until it is removed from disk. */
  async compact(revision: number, physical = false): Promise<{ header: Header }> {
    assert(Number.isSafeInteger(revision) && revision > 0, `compact: bad revision ${revision}`);
    const req = { revision: BigInt(revision), physical };
    const spec = { what: `Compact ${revision}`, idempotent: false, requireLeader: true };
    const r = await this.call<CompactionResponse>(spec, (c, md, ms, cb) => unaryOn(c, KVService.compact, req, md, ms, cb));
    return { header: header(r.header) };
  }

  // ---- Watch ----

  /** watch starts a watch; iterate it (for await) or subscribe(); cancel() ends it. */
  watch(key: Bytes, o: WatchOptions = {}): Watcher {
    this.open();
    assert(this.watchers.size < MAX_WATCHES, `watch: more than ${MAX_WATCHES} watches`);
    const w = new Watcher(this.pool, this.settings, key, o, (done) => this.watchers.delete(done));
    this.watchers.add(w);
    return w;
  }

  /** requestProgress asks every open watch's member for a progress notification. */
  requestProgress(): void {
    for (const w of this.watchers) w.requestProgress();
  }

  // ---- Lease ----

  async leaseGrant(ttlSeconds: number, id = 0n): Promise<LeaseGrantResult> {
    assert(Number.isSafeInteger(ttlSeconds) && ttlSeconds > 0, `leaseGrant: bad TTL ${ttlSeconds}`);
    const req = { TTL: BigInt(ttlSeconds), ID: id };
    const spec = { what: `LeaseGrant ${ttlSeconds}s`, idempotent: false, requireLeader: true };
    const r = await this.call<LeaseGrantResponse>(spec, (c, md, ms, cb) => unaryOn(c, LeaseService.leaseGrant, req, md, ms, cb));
    if (r.error !== '') throw new EtcdClientError('other', status.UNKNOWN, r.error);
    return { header: header(r.header), id: r.ID, ttl: num(r.TTL) };
  }

  /** leaseRevoke deletes the lease and every key attached to it, in one revision. */
  async leaseRevoke(id: bigint): Promise<{ header: Header }> {
    const spec = { what: `LeaseRevoke ${id}`, idempotent: false, requireLeader: true };
    const r = await this.call<LeaseRevokeResponse>(spec, (c, md, ms, cb) => unaryOn(c, LeaseService.leaseRevoke, { ID: id }, md, ms, cb));
    return { header: header(r.header) };
  }

  /** leaseKeepAlive renews the lease every TTL/3 until stopped or the lease is gone. */
  leaseKeepAlive(id: bigint, ttlSeconds?: number): KeepAlive {
    this.open();
    return this.keepAliver.keepAlive(id, ttlSeconds);
  }

  async leaseTimeToLive(id: bigint, o: { keys?: boolean } = {}): Promise<LeaseTimeToLiveResult> {
    const req = { ID: id, keys: o.keys === true };
    const spec = { what: `LeaseTimeToLive ${id}`, idempotent: true, requireLeader: true };
    const r = await this.call<LeaseTimeToLiveResponse>(spec, (c, md, ms, cb) => unaryOn(c, LeaseService.leaseTimeToLive, req, md, ms, cb));
    return { header: header(r.header), id: r.ID, ttl: num(r.TTL), grantedTtl: num(r.grantedTTL), keys: r.keys };
  }

  async leases(): Promise<bigint[]> {
    const spec = { what: 'LeaseLeases', idempotent: true, requireLeader: true };
    const r = await this.call<LeaseLeasesResponse>(spec, (c, md, ms, cb) => unaryOn(c, LeaseService.leaseLeases, {}, md, ms, cb));
    return r.leases.map((l) => l.ID);
  }

  // ---- Cluster and maintenance ----

  async memberList(): Promise<MemberListResult> {
    const spec = { what: 'MemberList', idempotent: true, requireLeader: false };
    return memberListResult(await this.call(spec, (c, md, ms, cb) => unaryOn(c, ClusterService.memberList, {}, md, ms, cb)));
  }

  /** status asks one member (no failover: the answer is about that member). */
  async status(endpoint: string): Promise<StatusResult> {
    const spec = { what: `Status ${endpoint}`, idempotent: true, requireLeader: false, endpoint };
    return statusResult(endpoint, await this.call(spec, (c, md, ms, cb) => unaryOn(c, MaintenanceService.status, {}, md, ms, cb)));
  }

  /** hashKV hashes one member's keys up to `revision` (0 = current). */
  async hashKV(endpoint: string, revision = 0): Promise<HashKVResult> {
    const req = { revision: BigInt(revision) };
    const spec = { what: `HashKV ${endpoint}@${revision}`, idempotent: true, requireLeader: false, endpoint };
    return hashKVResult(await this.call(spec, (c, md, ms, cb) => unaryOn(c, MaintenanceService.hashKv, req, md, ms, cb)));
  }

  /** alarms lists the cluster's active alarms (NOSPACE: writes refused). */
  async alarms(): Promise<Alarm[]> {
    const req = { action: AlarmRequest_AlarmAction.GET, memberID: 0n, alarm: AlarmType.NONE };
    const spec = { what: 'Alarm GET', idempotent: true, requireLeader: false };
    return alarmsResult(await this.call(spec, (c, md, ms, cb) => unaryOn(c, MaintenanceService.alarm, req, md, ms, cb)));
  }

  /** close ends every watch and keep-alive and closes the connections. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watchers]) w.cancel();
    this.keepAliver.close();
    this.pool.close();
  }

  private call<Res>(spec: CallSpec, invoke: Invoke<Res>): Promise<Res> {
    this.open();
    return callWithRetry(this.pool, this.settings, spec, invoke);
  }

  private open(): void {
    if (this.closed) throw new EtcdClientError('closed', status.CANCELLED, 'EtcdClient is closed');
  }
}

/** show renders a key for messages: printable keys as text, others as hex, long ones cut. */
function show(key: Bytes): string {
  const b = typeof key === 'string' ? Buffer.from(key) : key;
  const printable = b.every((c) => c >= 0x20 && c < 0x7f);
  const text = printable ? b.toString('latin1') : `0x${b.toString('hex')}`;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
