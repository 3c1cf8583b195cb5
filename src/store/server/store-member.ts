/**
 * StoreMember is one member of the k8ts store: a Raft member whose state machine is the MVCC
 * store, serving etcd's v3 API on its peer port (where followers also reach the leader's internal
 * lease API) and, when configured, on a client port of its own (etcd's client URL). It wires the
 * pure parts to I/O: the lease expiry check and attribute publishing run on the injected clock.
 */
import type { Server } from '@grpc/grpc-js';
import type { Timer } from '../../base/clock.js';
import { Prng } from '../../base/prng.js';
import {
  ClusterService,
  LeaseService,
  MaintenanceService,
  type LeaseKeepAliveRequest,
  type LeaseKeepAliveResponse,
  type LeaseTimeToLiveRequest,
  type LeaseTimeToLiveResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { StoreInternalServiceClient, StoreInternalServiceService } from '../../gen/k8ts/store/v1/internal.js';
import type { SoftState } from '../../raft/core/types.js';
import { Member, type MemberOptions } from '../../raft/member.js';
import { channelCredentials, serverCredentials } from '../../rpc/credentials.js';
import { channelOptions } from '../../rpc/defaults.js';
import { bind, newServer } from '../../rpc/server.js';
import { unary } from '../../rpc/unary.js';
import { MvccState } from '../apply/state.js';
import { minLeaseTTLSeconds } from '../apply/validate.js';
import { ETCD_LIMITS } from '../errors.js';
import { driveWatchHub, watchNoLeader } from '../watch/driver.js';
import type { WatchHub } from '../watch/hub.js';
import { clusterService, PROMOTE_MAX_LAG_ENTRIES } from './cluster-service.js';
import { LEADER_CHANGED } from './errors.js';
import { IoThread } from './io-thread.js';
import { internalLeaseService, leaseService, type LeaderLeaseApi, type LeaseDeps } from './lease-service.js';
import { Lessor } from './lessor.js';
import { maintenanceService } from './maintenance-service.js';
import { StoreCore } from './store-core.js';
import { StoreLog } from './store-log.js';
import { ioPutProposal, KV_SERVICE, kvService } from './kv-service.js';
import { WATCH_SERVICE, watchService } from './watch-service.js';

export interface StoreMemberOptions extends Omit<MemberOptions, 'stateMachine' | 'addServices' | 'onSoftState'> {
  /** Where etcd clients connect (etcd's client URL); the peer port serves the same API too. */
  clientListen?: string;
  /** Writes that would grow the state past this raise NOSPACE (etcd's quota-backend-bytes). */
  quotaBytes?: number;
  maxRequestBytes?: number;
  /** How often watchers that asked for progress_notify get one (etcd 3.4: 10 min; kube-apiserver
   *  turns them into bookmarks, so the member default is 5 s). */
  progressNotifyMs?: number;
  /** Serve the client port from a second thread (io-thread.ts): HTTP/2 and gRPC framing beside
   *  Raft instead of between its turns. Default: the K8TS_STORE_IO_THREAD environment variable
   *  ("1"), so benchmarks can compare both on one build. */
  ioThread?: boolean;
}

/** backgroundSyncFromEnv reads K8TS_STORE_BG_SYNC_MIN (a leader's write of at least that many
 *  entries syncs off the event loop), so benchmarks can compare both on one build. */
function backgroundSyncFromEnv(): number | undefined {
  const v = process.env.K8TS_STORE_BG_SYNC_MIN;
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** How often the leader looks for expired leases (etcd checks every 500 ms). */
const LEASE_CHECK_MS = 500;
/** How often a member retries publishing its name and client URLs until they are in the log. */
const PUBLISH_RETRY_MS = 1_000;

export class StoreMember {
  readonly state = new MvccState();
  readonly member: Member;
  readonly core: StoreCore;
  readonly lessor: Lessor;
  readonly hub: WatchHub;
  private readonly stopHub: () => void;
  private readonly prng: Prng;
  private readonly timers: Timer[] = [];
  private clientServer: Server | undefined;
  private ioThread: IoThread | undefined;
  private clientPort = 0;
  private prevLeader = 0;
  private leaseSeq = 0n;
  private readonly leaderClients = new Map<string, StoreInternalServiceClient>();

  constructor(private readonly opts: StoreMemberOptions) {
    this.prng = new Prng(opts.id * 0x51ed27 + opts.incarnation);
    this.lessor = new Lessor(this.state);
    const watch = driveWatchHub(this.state, opts.clock, { progressIntervalMs: opts.progressNotifyMs ?? 5_000 });
    this.hub = watch.hub;
    this.stopHub = watch.stop;
    this.state.onRevision = (ev) => this.hub.publish(ev);
    this.member = new Member({
      ...opts,
      snapshotEveryEntries: opts.snapshotEveryEntries ?? ETCD_LIMITS.snapshotCount,
      backgroundSyncMinEntries: opts.backgroundSyncMinEntries ?? backgroundSyncFromEnv(),
      stateMachine: new StoreLog(this.state, () => this.hub.restored()),
      addServices: (server) => this.addServices(server, true),
      onSoftState: (s) => this.onSoftState(s),
    });
    this.core = new StoreCore({
      node: this.member.node,
      state: this.state,
      clusterId: BigInt(opts.clusterId),
      kick: () => this.member.kick(),
      maxRequestBytes: opts.maxRequestBytes ?? ETCD_LIMITS.maxRequestBytes,
      quotaBytes: opts.quotaBytes ?? ETCD_LIMITS.quotaBytes,
    });
  }

  /** start binds the peer port (and the client port, when configured) and starts the loops. */
  async start(): Promise<{ peerPort: number; clientPort: number }> {
    const peerPort = await this.member.start();
    const ioThread = this.opts.ioThread ?? process.env.K8TS_STORE_IO_THREAD === '1';
    if (this.opts.clientListen !== undefined && ioThread) {
      this.ioThread = new IoThread({
        listen: this.opts.clientListen,
        peerAddress: this.member.address.replace(/:\d+$/, `:${peerPort}`),
        tls: this.opts.tls,
        kv: kvService(this.core),
        putProposal: ioPutProposal(this.core),
        log: this.opts.log,
      });
      this.clientPort = await this.ioThread.start();
    } else if (this.opts.clientListen !== undefined) {
      this.clientServer = newServer();
      this.addServices(this.clientServer, false);
      this.clientPort = await bind(this.clientServer, this.opts.clientListen, serverCredentials(this.opts.tls));
    }
    const { clock } = this.opts;
    this.timers.push(clock.setInterval(() => this.expireLeases(), LEASE_CHECK_MS));
    this.timers.push(clock.setInterval(() => this.publishAttributes(), PUBLISH_RETRY_MS));
    this.publishAttributes(); // The leader may be known already (it was skipped while unbound).
    const t = this.opts.timing;
    this.timers.push(watchNoLeader(clock, t.electionTicks * t.tickMs, () => this.core.leader() !== 0, this.hub));
    return { peerPort, clientPort: this.clientPort };
  }

  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) t.cancel();
    this.stopHub();
    this.clientServer?.forceShutdown();
    await this.ioThread?.stop();
    for (const c of this.leaderClients.values()) c.close();
    this.leaderClients.clear();
    await this.member.stop();
  }

  /** servesClientsOnThread: the client port is served by the I/O thread (io-thread.ts). */
  servesClientsOnThread(): boolean {
    return this.ioThread !== undefined;
  }

  /** clientAddress is where etcd clients reach this member (the peer address when no client
   *  port is configured). */
  clientAddress(): string {
    if (this.opts.clientListen === undefined) return this.member.address;
    return this.opts.clientListen.replace(/:\d+$/, `:${this.clientPort}`);
  }

  private addServices(server: Server, peer: boolean): void {
    const core = this.core;
    const lease = this.leaseDeps();
    server.addService(KV_SERVICE, kvService(core));
    server.addService(WATCH_SERVICE, watchService({
      hub: this.hub,
      header: (rev) => core.header(rev),
      hasLeader: () => core.leader() !== 0,
    }));
    server.addService(LeaseService, leaseService(lease));
    server.addService(ClusterService, clusterService({
      core,
      newMemberId: () => this.newMemberId(),
      learnerCaughtUp: (id) => this.learnerCaughtUp(id),
    }));
    server.addService(MaintenanceService, maintenanceService({ core, waitForLeader: (id, ms) => this.waitForLeader(id, ms) }));
    if (peer) server.addService(StoreInternalServiceService, internalLeaseService(lease));
  }

  private leaseDeps(): LeaseDeps {
    const t = this.opts.timing;
    return {
      core: this.core,
      lessor: this.lessor,
      nowMs: () => this.opts.clock.nowMs(),
      minTTLSeconds: minLeaseTTLSeconds(t.electionTicks * t.tickMs),
      newLeaseId: () => this.newLeaseId(),
      leader: () => this.leaderApi(),
    };
  }

  /** onSoftState reacts to role and leader changes: requests forwarded to a leader that is gone
   *  fail now with "leader changed" instead of waiting out their deadline, and only the leader
   *  tracks lease deadlines. */
  private onSoftState(s: SoftState): void {
    if (this.prevLeader !== 0 && s.leader !== this.prevLeader) this.member.node.abandonPending(LEADER_CHANGED);
    this.prevLeader = s.leader;
    if (s.role === 'leader' && !this.lessor.isPrimary()) this.lessor.promote(this.opts.clock.nowMs());
    else if (s.role !== 'leader' && this.lessor.isPrimary()) this.lessor.demote();
    // Publish name and client URL as soon as there is a leader to take them (then retried).
    if (s.leader !== 0) this.opts.clock.setTimeout(() => this.publishAttributes(), 0);
  }

  private expireLeases(): void {
    for (const id of this.lessor.expired(this.opts.clock.nowMs())) {
      this.core.write({ $case: 'leaseRevoke', value: { ID: id } }).catch(() => undefined);
    }
  }

  /** publishAttributes puts this member's name and client URL into the log once (etcd publishes
   *  its attributes the same way), so MemberList on every member shows them. */
  private publishAttributes(): void {
    if (this.core.leader() === 0) return;
    // Not before the client port is bound (the I/O thread binds it after the peer port is up):
    // the URL would name port 0.
    if (this.opts.clientListen !== undefined && this.clientPort === 0) return;
    const id = BigInt(this.opts.id);
    const url = `${this.opts.tls ? 'https' : 'http'}://${this.clientAddress()}`;
    const rec = this.state.members().find((m) => m.id === id);
    if (rec === undefined || (rec.name === this.opts.name && rec.clientUrls.length === 1 && rec.clientUrls[0] === url)) return;
    this.core.write({ $case: 'memberAttributes', value: { id, name: this.opts.name, clientUrls: [url] } }).catch(() => undefined);
  }

  /** newLeaseId: member id, run (incarnation) and a counter, so ids never repeat across members
   *  or restarts (etcd mixes its member id and time the same way); positive int64 as etcd's. */
  private newLeaseId(): bigint {
    this.leaseSeq += 1n;
    const run = BigInt(this.opts.incarnation & 0xffff);
    return (BigInt(this.opts.id & 0x7fff) << 48n) | (run << 32n) | (this.leaseSeq & 0xffff_ffffn);
  }

  private newMemberId(): number {
    const used = new Set(this.state.members().map((m) => Number(m.id)));
    for (;;) {
      const id = this.prng.range(0x1000_0000, 0xffff_ffff);
      if (!used.has(id)) return id;
    }
  }

  private learnerCaughtUp(id: number): boolean | undefined {
    const st = this.member.node.status();
    if (st.role !== 'leader') return undefined;
    const pr = st.progress.get(id);
    return pr !== undefined && pr.match + PROMOTE_MAX_LAG_ENTRIES >= st.lastIndex;
  }

  private waitForLeader(id: number, timeoutMs: number): Promise<void> {
    const { clock } = this.opts;
    const until = clock.nowMs() + timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = clock.setInterval(() => {
        if (this.core.leader() === id) {
          timer.cancel();
          resolve();
        } else if (clock.nowMs() >= until) {
          timer.cancel();
          reject(new Error(`member ${id} did not become leader within ${timeoutMs} ms`));
        }
      }, this.opts.timing.tickMs);
    });
  }

  /** leaderApi reaches the leader's internal lease API over its peer port. */
  private leaderApi(): LeaderLeaseApi | undefined {
    const leader = this.core.leader();
    if (leader === 0) return undefined;
    const address = this.member.transport.peerAddress(leader);
    if (address === undefined) return undefined;
    let client = this.leaderClients.get(address);
    if (client === undefined) {
      client = new StoreInternalServiceClient(address, channelCredentials(this.opts.tls), channelOptions());
      this.leaderClients.set(address, client);
    }
    const c = client;
    return {
      renew: async (req: LeaseKeepAliveRequest): Promise<LeaseKeepAliveResponse> =>
        (await unary(c, c.leaseRenew, { request: req })).response!,
      remaining: async (req: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> =>
        (await unary(c, c.leaseRemaining, { request: req })).response!,
    };
  }
}
