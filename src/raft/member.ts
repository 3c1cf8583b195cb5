/**
 * Member runs one Raft member as a long-running service: a RaftNode over durable storage, the
 * peer transport and RaftMemberService on one gRPC port, a ticker on the clock, and the lifecycle
 * as the XState actor of member-machine.ts (this file provides its I/O actors).
 *
 * Group commit: inputs (ticks, peer messages, proposals, transport reports) never run the driver
 * themselves; they call kick(), which schedules one node.process() for the end of the current
 * event-loop turn. Every proposal that arrived in that turn shares the Ready, hence one fdatasync.
 */
import type { Server } from '@grpc/grpc-js';
import { createActor, fromCallback, fromPromise, type Actor } from 'xstate';
import { assert } from '../base/assert.js';
import type { Clock } from '../base/clock.js';
import { Prng } from '../base/prng.js';
import { RaftMemberServiceService } from '../gen/k8ts/raft/v1/member.js';
import { ConfChange as ConfChangeCodec } from '../gen/k8ts/raft/v1/raft.js';
import { channelCredentials, serverCredentials, type TlsFiles } from '../rpc/credentials.js';
import { bind, newServer } from '../rpc/server.js';
import { MemoryStorage, type RaftStorage } from './core/memory-storage.js';
import { ConfChangeType, EntryType, type Entry, type SoftState } from './core/types.js';
import { DigestStateMachine } from './digest-state-machine.js';
import { DurableStorage } from './io/durable-storage.js';
import { nodeFileSystem } from './io/fs.js';
import { replicateTransportService } from './io/replicate-codec.js';
import { processCpuMs, StallWatch, watchStalls, type TurnKind } from './io/stall-log.js';
import { RaftTransport, type TransportLimits } from './io/transport.js';
import { memberMachine } from './member-machine.js';
import { memberService, type MemberHandle } from './member-service.js';
import { RaftNode, type SnapshotEvent, type StateMachine } from './node.js';

/** MemberTiming: one tick is tickMs of real time; the core counts everything in ticks. */
export interface MemberTiming {
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
}

export interface MemberOptions {
  id: number;
  name: string;
  clusterId: number;
  /** host:port this member listens on (port 0 = ephemeral, for tests). */
  listen: string;
  /** Every member of the initial configuration, this one included. */
  members: readonly { id: number; address: string }[];
  /** True for a member joining a running group (added by ChangeMembership): it bootstraps with
   *  no voters and learns the membership from the leader's log. */
  join?: boolean;
  /** Storage directory; undefined runs on MemoryStorage (tests). */
  dataDir: string | undefined;
  timing: MemberTiming;
  /** When false, followers answer proposals NotLeader instead of forwarding them. */
  forwarding: boolean;
  tls: TlsFiles | undefined;
  clock: Clock;
  /** Distinguishes this run from earlier ones on the same data dir; also seeds randomness. */
  incarnation: number;
  /** defer runs fn once the current event-loop turn's I/O callbacks are done (setImmediate). */
  defer(fn: () => void): void;
  log(line: string): void;
  transportLimits?: Partial<TransportLimits>;
  snapshotEveryEntries?: number;
  /** Entries kept behind a snapshot (default 5000) so slow followers need no InstallSnapshot. */
  keepEntriesAfterSnapshot?: number;
  /** A leader's write of at least this many entries runs its fdatasync on the thread pool
   *  (RaftNodeOptions.backgroundSyncMinEntries); undefined: only while the disk is slow. */
  backgroundSyncMinEntries?: number;
  /** The replicated state machine; the DigestStateMachine placeholder when omitted. */
  stateMachine?: StateMachine & { summary(): string };
  /** addServices registers more gRPC services on the member's port (the store's etcd API). */
  addServices?(server: Server): void;
  /** onSoftState sees every role or leader change after the member logged it. */
  onSoftState?(soft: SoftState): void;
}

/** Bound on deferred inputs (transport reports) waiting for the next turn. */
const MAX_DEFERRED_INPUTS = 4096;

export class Member {
  readonly node: RaftNode;
  readonly transport: RaftTransport;
  readonly stateMachine: StateMachine & { summary(): string };
  private readonly storage: RaftStorage;
  private readonly actor: Actor<typeof memberMachine>;
  private readonly deferred: (() => void)[] = [];
  /** When the snapshot under way started (clock ms), for its log lines. */
  private snapshotStartMs = 0;
  private scheduled = false;
  private stopped = false;
  /** Event-loop stalls and long GC pauses, with the driver turn that ran long (stall-log.ts). */
  private readonly stalls: StallWatch;

  constructor(private readonly opts: MemberOptions) {
    assert(opts.members.some((m) => m.id === opts.id), `member ${opts.id} is not in the member list`);
    this.stateMachine = opts.stateMachine ?? new DigestStateMachine();
    const prng = new Prng(opts.id * 0x9e3779b1 + opts.incarnation);
    this.storage = opts.dataDir === undefined ? new MemoryStorage() : DurableStorage.open(nodeFileSystem, opts.dataDir);
    this.transport = new RaftTransport({
      selfId: opts.id,
      clusterId: opts.clusterId,
      clock: opts.clock,
      prng: prng.fork(),
      credentials: channelCredentials(opts.tls),
      receive: (m) => {
        this.node.receive(m);
        if (this.node.hasWork()) this.kick();
      },
      reportUnreachable: (id) => this.later(() => this.node.raw.reportUnreachable(id)),
      reportSnapshot: (id, ok) => this.later(() => this.node.raw.reportSnapshot(id, ok)),
      limits: opts.transportLimits,
      log: (line) => opts.log(`transport: ${line}`),
    });
    for (const m of opts.members) if (m.id !== opts.id) this.transport.setPeer(m.id, m.address);
    this.stalls = new StallWatch(opts.clock, processCpuMs, (line) => opts.log(line));
    this.node = this.buildNode(prng);
    this.actor = createActor(this.provideActors(), { input: { name: opts.name } });
  }

  /** start binds the port and starts ticking; resolves with the bound port. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const now = this.actor.getSnapshot();
      if (now.value === 'running') return resolve(now.context.port);
      const sub = this.actor.subscribe((snap) => {
        if (snap.value === 'running') {
          sub.unsubscribe();
          resolve(snap.context.port);
        } else if (snap.status === 'done') {
          sub.unsubscribe();
          reject(new Error(`member ${this.opts.name} failed to start: ${snap.context.error ?? 'stopped'}`));
        }
      });
      this.actor.start();
    });
  }

  /** stop drains the member (fails pending requests, closes storage); resolves when stopped. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.actor.getSnapshot().status === 'done') return resolve();
      this.actor.subscribe({ complete: () => resolve() });
      this.actor.send({ type: 'STOP' });
    });
  }

  /** address is where this member listens (as configured; port 0 until bound in tests). */
  get address(): string {
    const port = this.actor.getSnapshot().context.port;
    return port > 0 ? this.opts.listen.replace(/:\d+$/, `:${port}`) : this.opts.listen;
  }

  /** state is the lifecycle state (starting, running, stopping, stopped, failed). */
  state(): string {
    return String(this.actor.getSnapshot().value);
  }

  /** kick schedules node.process() once for the end of this event-loop turn (group commit). */
  kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.opts.defer(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    if (this.stopped) return;
    this.timed('turn', () => {
      for (const input of this.deferred.splice(0)) input();
      this.node.process();
    });
  }

  /** timed runs one driver step and tells the stall log how long it took and what it did. */
  private timed<R>(kind: TurnKind, fn: () => R): R {
    const t0 = this.opts.clock.nowMs();
    try {
      return fn();
    } finally {
      this.stalls.noteTurn(kind, this.opts.clock.nowMs() - t0, this.node.work);
      this.node.resetWork();
    }
  }

  /** later queues an input that must not run inside process() (the transport's reports). */
  private later(input: () => void): void {
    if (this.deferred.length < MAX_DEFERRED_INPUTS) this.deferred.push(input);
    this.kick();
  }

  private buildNode(prng: Prng): RaftNode {
    const { opts } = this;
    const t = opts.timing;
    return new RaftNode({
      config: {
        id: opts.id,
        electionTicks: t.electionTicks,
        heartbeatTicks: t.heartbeatTicks,
        preVote: true,
        checkQuorum: true,
        maxInflightMsgs: 256,
        maxSizePerMsgBytes: 1024 * 1024,
        // One Ready's appends to a peer travel as one transport frame: this keeps it well
        // under gRPC's 16 MiB message bound (MAX_MESSAGE_BYTES) while a follower catches up.
        maxInflightBytes: 4 * 1024 * 1024,
        maxUncommittedBytes: 64 * 1024 * 1024,
        disableProposalForwarding: !opts.forwarding,
        prng,
      },
      storage: this.storage,
      stateMachine: this.stateMachine,
      send: (messages) => this.transport.send(messages),
      bootstrapVoters: opts.join === true ? [] : opts.members.map((m) => m.id),
      bootstrapContext: (id) => Buffer.from(opts.members.find((m) => m.id === id)?.address ?? ''),
      snapshotEveryEntries: opts.snapshotEveryEntries ?? 10_000,
      keepEntriesAfterSnapshot: opts.keepEntriesAfterSnapshot ?? 5_000,
      requestTimeoutTicks: Math.max(100, Math.ceil(10_000 / t.tickMs)),
      maxPendingRequests: 10_000,
      incarnation: opts.incarnation,
      onSoftState: (s) => this.onSoftState(s),
      onSnapshot: (e) => this.onSnapshot(e),
      defer: (fn) => opts.defer(() => this.timed('write', fn)),
      onPersisted: () => this.kick(),
      nowMs: () => opts.clock.nowMs(),
      onApplied: (e) => this.onApplied(e),
      backgroundSyncMinEntries: opts.backgroundSyncMinEntries,
    });
  }

  /** onSnapshot logs each snapshot with its wall time since it started (a member's pause next to
   *  a leader change is the first thing to look for in a failover experiment). */
  private onSnapshot(e: SnapshotEvent): void {
    const now = this.opts.clock.nowMs();
    if (e.kind === 'started') this.snapshotStartMs = now;
    const since = `${Math.round(now - this.snapshotStartMs)} ms after it started`;
    const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
    switch (e.kind) {
      case 'started': return this.opts.log(`snapshot at index ${e.index}: state captured`);
      case 'built':
        return this.opts.log(`snapshot at index ${e.index}: image of ${mib(e.bytes)} packed in ` +
          `${e.steps} steps, ${since}`);
      case 'written': return this.opts.log(`snapshot at index ${e.index}: written and recorded, ${since}`);
      case 'restored':
        return this.opts.log(`restored the leader's snapshot at index ${e.index} (${mib(e.bytes)})`);
    }
  }

  private onSoftState(s: SoftState): void {
    const st = this.node.status();
    this.opts.log(`role=${s.role} leader=${s.leader} term=${st.term} commit=${st.commit}`);
    this.opts.onSoftState?.(s);
  }

  /** A committed membership change carries the member's address: keep the transport in step. */
  private onApplied(e: Entry): void {
    if (e.type !== EntryType.ENTRY_TYPE_CONF_CHANGE) return;
    const cc = ConfChangeCodec.decode(e.data);
    const address = Buffer.from(cc.context).toString();
    this.opts.log(`applied membership change ${ConfChangeType[cc.type]} node=${cc.nodeId} ${address}`.trimEnd());
    if (cc.nodeId === this.opts.id) return;
    if (cc.type === ConfChangeType.CONF_CHANGE_TYPE_REMOVE) this.transport.removePeer(cc.nodeId);
    else if (address !== '') this.transport.setPeer(cc.nodeId, address);
  }

  private handle(): MemberHandle {
    const { opts } = this;
    return {
      node: this.node,
      name: opts.name,
      clock: opts.clock,
      tickMs: opts.timing.tickMs,
      maxRequestMs: 30_000,
      kick: () => this.kick(),
      addressOf: (id) => (id === opts.id ? opts.listen : (this.transport.peerAddress(id) ?? '')),
      stateDigest: () => this.stateMachine.summary(),
    };
  }

  /** provideActors gives the machine its I/O: the gRPC server, the ticker and the drain. */
  private provideActors(): typeof memberMachine {
    const { opts } = this;
    return memberMachine.provide({
      actors: {
        server: fromCallback(({ sendBack }) => {
          const server = newServer();
          server.addService(replicateTransportService, this.transport.service());
          server.addService(RaftMemberServiceService, memberService(this.handle()));
          opts.addServices?.(server);
          bind(server, opts.listen, serverCredentials(opts.tls)).then(
            (port) => sendBack({ type: 'LISTENING', port }),
            (err: unknown) => sendBack({ type: 'FAILED', error: `cannot listen on ${opts.listen}: ${String(err)}` }),
          );
          return () => server.forceShutdown();
        }),
        ticker: fromCallback(() => {
          const timer = opts.clock.setInterval(() => {
            if (this.timed('tick', () => this.node.tick())) this.kick();
          }, opts.timing.tickMs);
          const stopStalls = watchStalls(this.stalls, opts.clock);
          return () => {
            timer.cancel();
            stopStalls();
          };
        }),
        drain: fromPromise(async () => {
          this.stopped = true;
          this.node.stop();
          this.transport.close();
          this.storage.close();
        }),
      },
    });
  }
}
