/**
 * The simulator's harness (TigerBeetle's VOPR, for Raft): 3 or 5 members in one thread on a
 * virtual clock, every random choice drawn from one seeded Prng, each member the production driver
 * (RaftNode over RawNode) on the production durable storage (DurableStorage) over its own SimDisk.
 *
 * A run has two phases. The safety phase injects faults — crashes (clean, torn, or in the middle of
 * a write), partitions (symmetric, one-way, isolation), message loss, duplication and reordering,
 * slow disks — under a client workload (proposals, ReadIndex reads, leadership transfers,
 * snapshots, membership changes); the checkers run after every event. The liveness phase heals
 * everything: a leader must be elected, a new proposal must commit, and every member must catch
 * up, each within a virtual-time bound. Any failure names the seed, which replays it exactly.
 */
import { assert } from '../base/assert.js';
import { Prng } from '../base/prng.js';
import { MemoryStorage, type RaftStorage, type SavePart } from '../raft/core/memory-storage.js';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  type ConfState,
  type Entry,
  type Message,
  type RaftConfig,
  type Snapshot,
} from '../raft/core/types.js';
import { ConfChange as ConfChangeCodec } from '../gen/k8ts/raft/v1/raft.js';
import { DurableStorage } from '../raft/io/durable-storage.js';
import { NotLeaderError, RaftNode, confChange } from '../raft/node.js';
import { SafetyChecker } from './checkers.js';
import { SimClock } from './clock.js';
import { SimCrashError, SimDisk } from './disk.js';
import { SimNetwork, calmNetwork, type NetworkFaults } from './network.js';
import { ListStateMachine } from './state-machine.js';

/** SimOptions chooses one run; everything not given is drawn from the seed. */
export interface SimOptions {
  seed: number;
  /** Initial voters, 3 or 5; drawn from the seed when undefined. */
  members?: number;
  /** Events processed in the safety phase. */
  steps: number;
  /** 'durable' runs DurableStorage over SimDisk; 'memory' runs MemoryStorage (no disk faults). */
  storage?: 'durable' | 'memory';
  /** Receives the verbose event log; when undefined no line is even formatted. */
  log?: (line: string) => void;
  /** Virtual time the healed cluster gets to elect, commit and catch up. */
  livenessBoundMs?: number;
  /** Membership changes in the workload (add learner → promote, remove). */
  membershipChanges?: boolean;
}

export interface SimResult {
  seed: number;
  members: number;
  virtualMs: number;
  events: number;
  acks: number;
  reads: number;
  leaders: number;
  crashes: number;
  committed: number;
}

/** LivenessViolation: a healed cluster failed to make progress within the bound. */
export class LivenessViolation extends Error {
  override name = 'LivenessViolation';
}

/** RunConfig is what the seed decided for a run; printed at the top of a verbose replay. */
interface RunConfig {
  voters: number[];
  spareIds: number[];
  preVote: boolean;
  checkQuorum: boolean;
  /** 10, or production's default 15 (src/cluster/default-config.ts). */
  electionTicks: number;
  heartbeatTicks: number;
  maxInflightMsgs: number;
  maxSizePerMsgBytes: number;
  forwarding: boolean;
  snapshotEveryEntries: number;
  keepEntriesAfterSnapshot: number;
  faultPeriodMsMax: number;
  clientPeriodMsMax: number;
}

const DATA_DIR = '/data';
const CLIENT_RETRIES_MAX = 3;
/** Bound on client operations in flight; beyond it the workload waits (a limit on everything). */
const CLIENT_IN_FLIGHT_MAX = 64;

/** SimMember is one member's process (node, state machine) and its disk, which outlives crashes. */
class SimMember {
  node: RaftNode | undefined;
  storage: RaftStorage | undefined;
  sm: ListStateMachine | undefined;
  tickTimer: { cancel(): void } | undefined;
  incarnation = 0;
  /** Disk time spent when the current input started: sends wait for the disk (slow disks). */
  diskMarkMs = 0;
  /** A member whose process is down stays down until restarted (by faults or by healing). */
  restartPending = false;
  /** The memory backend's storage, kept across "crashes" (it has no unsynced state to lose). */
  memory: MemoryStorage | undefined;

  constructor(
    readonly id: number,
    readonly disk: SimDisk,
    readonly tickPeriodMs: number,
    readonly prng: Prng,
  ) {}

  get up(): boolean {
    return this.node !== undefined;
  }
}

/** CheckedStorage is the storage seam: it delegates to the real storage and tells the checker what
 *  each save persisted, so log matching is checked on exactly what reaches the disk. */
class CheckedStorage implements RaftStorage {
  constructor(
    private readonly inner: RaftStorage,
    private readonly id: number,
    private readonly checker: SafetyChecker,
  ) {}

  initialState(): ReturnType<RaftStorage['initialState']> {
    return this.inner.initialState();
  }
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.inner.entries(lo, hi, maxBytes);
  }
  term(index: number): number {
    return this.inner.term(index);
  }
  firstIndex(): number {
    return this.inner.firstIndex();
  }
  lastIndex(): number {
    return this.inner.lastIndex();
  }
  snapshot(): Snapshot {
    return this.inner.snapshot();
  }
  save(part: SavePart): void {
    this.inner.save(part);
    const meta = part.snapshot?.metadata;
    if (meta && this.inner.snapshot().metadata?.index === meta.index) {
      this.checker.resetLog(this.id, meta.index, meta.term);
    }
    this.checker.observeAppend(this.id, part.entries);
  }
  createSnapshot(index: number, confState: ConfState, data: Buffer): Snapshot {
    return this.inner.createSnapshot(index, confState, data);
  }
  compact(index: number): void {
    this.inner.compact(index);
  }
  close(): void {
    this.inner.close();
  }

  /** replayIntoChecker tells the checker the log a reopened storage recovered. */
  replayIntoChecker(): void {
    const first = this.inner.firstIndex();
    const last = this.inner.lastIndex();
    this.checker.resetLog(this.id, first - 1, first - 1 === 0 ? 0 : this.inner.term(first - 1));
    if (last >= first) this.checker.observeAppend(this.id, this.inner.entries(first, last + 1, Infinity));
  }
}

/** Simulation runs one seed; see the module doc. */
export class Simulation {
  readonly clock = new SimClock();
  readonly checker = new SafetyChecker();
  readonly net: SimNetwork;
  readonly members = new Map<number, SimMember>();
  readonly cfg: RunConfig;
  private readonly opts: SimOptions;
  private readonly prngWorkload: Prng;
  private readonly prngFaults: Prng;
  private readonly prngConfig: Prng;
  private payloadSeq = 0;
  private clientInFlight = 0;
  private faultsOn = true;
  private workloadOn = true;
  private knownLeader = 0;
  private crashes = 0;
  private events = 0;
  private membershipBusy = false;
  private readonly removed = new Set<number>();
  private failure: unknown = undefined;

  constructor(opts: SimOptions) {
    this.opts = opts;
    const root = new Prng(opts.seed);
    this.prngConfig = root.fork();
    this.prngWorkload = root.fork();
    this.prngFaults = root.fork();
    const prngNet = root.fork();
    const prngMembers = root.fork();
    this.cfg = drawConfig(this.prngConfig, opts.members);
    this.net = new SimNetwork(this.clock, prngNet, {
      deliver: (m) => this.deliver(m),
      snapshotFailed: (from, to) => this.reportSnapshot(from, to, false),
      snapshotDelivered: (from, to) => this.reportSnapshot(from, to, true),
    });
    for (const id of [...this.cfg.voters, ...this.cfg.spareIds]) {
      const mp = prngMembers.fork();
      const slow = mp.chance(0.3);
      const disk = new SimDisk(mp.fork(), {
        syncLatencyMsMin: slow ? 5 : 0,
        syncLatencyMsMax: slow ? mp.range(10, 40) : mp.range(0, 3),
      });
      this.members.set(id, new SimMember(id, disk, mp.range(8, 12), mp.fork()));
    }
    this.trace(() => `config ${JSON.stringify(this.cfg)}`);
  }

  /** run executes both phases and returns what happened; it throws on any violation. */
  async run(): Promise<SimResult> {
    for (const id of this.cfg.voters) this.start(this.members.get(id)!, this.cfg.voters);
    this.scheduleFaults();
    this.scheduleClient();
    for (let i = 0; i < this.opts.steps; i++) {
      if (!this.clock.step()) break;
      this.events++;
      await settle();
      this.rethrow();
    }
    await this.liveness();
    return {
      seed: this.opts.seed,
      members: this.cfg.voters.length,
      virtualMs: this.clock.nowMs(),
      events: this.events,
      acks: this.checker.counts.acks,
      reads: this.checker.counts.reads,
      leaders: this.checker.counts.leaders,
      crashes: this.crashes,
      committed: this.checker.committedMaxIndex(),
    };
  }

  // ------------------------------------------------------------------ members

  private raftConfig(m: SimMember): Omit<RaftConfig, 'applied'> {
    const c = this.cfg;
    return {
      id: m.id,
      electionTicks: c.electionTicks,
      heartbeatTicks: c.heartbeatTicks,
      preVote: c.preVote,
      checkQuorum: c.checkQuorum,
      maxInflightMsgs: c.maxInflightMsgs,
      maxSizePerMsgBytes: c.maxSizePerMsgBytes,
      maxUncommittedBytes: 1 << 16,
      disableProposalForwarding: !c.forwarding,
      prng: m.prng.fork(),
    };
  }

  /** start opens the member's storage from its disk (recovering after a crash) and starts its
   *  process. A crash armed on the disk may fire during recovery: the member then stays down. */
  private start(m: SimMember, bootstrapVoters: number[]): void {
    assert(!m.up, `member ${m.id} started twice`);
    m.incarnation++;
    try {
      const inner = this.openStorage(m);
      const storage = new CheckedStorage(inner, m.id, this.checker);
      storage.replayIntoChecker();
      const sm = new ListStateMachine((index, digest) => this.checker.observeRestore(m.id, index, digest));
      m.diskMarkMs = m.disk.elapsedMs();
      const node = new RaftNode({
        config: this.raftConfig(m),
        storage,
        stateMachine: sm,
        send: (msgs) => this.send(m, msgs),
        // As in a member: a leader's write waits one turn after its appends went out. A crash
        // in between (the member restarted meanwhile) drops it, as a real crash would.
        defer: (fn) => this.clock.setTimeout(() => m.node === node && this.input(m, fn), 0),
        bootstrapVoters,
        snapshotEveryEntries: this.cfg.snapshotEveryEntries,
        keepEntriesAfterSnapshot: this.cfg.keepEntriesAfterSnapshot,
        incarnation: m.incarnation,
        requestTimeoutTicks: 300,
        maxPendingRequests: 256,
        onApplied: (e) => this.applied(m, sm, e),
      });
      m.node = node;
      m.storage = storage;
      m.sm = sm;
    } catch (err) {
      if (!(err instanceof SimCrashError)) throw err;
      this.trace(() => `m${m.id} crashed while recovering`);
      this.crashes++;
      return;
    }
    m.tickTimer = this.clock.setInterval(() => this.input(m, () => m.node!.tick()), m.tickPeriodMs);
    this.trace(() => `m${m.id} start incarnation=${m.incarnation} ${describeLog(m.storage!)}`);
    this.input(m, () => undefined);
  }

  private openStorage(m: SimMember): RaftStorage {
    if (this.opts.storage === 'memory') {
      m.memory ??= new MemoryStorage();
      return m.memory;
    }
    return DurableStorage.open(m.disk, DATA_DIR);
  }

  /** crash kills the member's process; with the disk it loses unsynced writes (torn or not). */
  private crash(m: SimMember, how: 'clean' | 'torn' | 'disk-already' | 'removed'): void {
    if (!m.up) return;
    m.node!.stop();
    m.tickTimer?.cancel();
    m.node = undefined;
    m.storage = undefined;
    m.sm = undefined;
    m.tickTimer = undefined;
    if ((how === 'clean' || how === 'torn') && this.opts.storage !== 'memory') {
      m.disk.crash({ tornWrites: how === 'torn' });
    }
    if (this.knownLeader === m.id) this.knownLeader = 0;
    if (how !== 'removed') this.crashes++;
    this.trace(() => `m${m.id} crash ${how}`);
  }

  /** input runs one input into a member and performs its Readys, then checks what changed. */
  private input(m: SimMember, fn: () => void): void {
    const node = m.node;
    if (node === undefined) return;
    m.diskMarkMs = m.disk.elapsedMs();
    try {
      fn();
      node.process();
    } catch (err) {
      if (!(err instanceof SimCrashError)) throw err;
      this.crash(m, 'disk-already');
      if (this.faultsOn) this.scheduleRestart(m);
      return;
    }
    const raft = node.raw.raft;
    if (raft.role === 'leader') {
      this.checker.observeLeader(m.id, raft.term);
      if (this.knownLeader !== m.id) {
        this.knownLeader = m.id;
        this.trace(() => {
          const log = raft.log;
          return `m${m.id} leads term ${raft.term} last=${log.lastIndex()} commit=${log.committed}`;
        });
      }
    }
  }

  private applied(m: SimMember, sm: ListStateMachine, e: Entry): void {
    if (sm.through < e.index) sm.advanceTo(e.index);
    const payload = sm.payloadAt(e.index);
    this.checker.observeApplied(m.id, e, sm.digest, payload);
    if (e.type === EntryType.ENTRY_TYPE_CONF_CHANGE && e.index > this.cfg.voters.length) {
      const cc = ConfChangeCodec.decode(e.data);
      // Act after this input is done: the applying member is in the middle of its Ready.
      this.clock.setTimeout(() => this.afterMembership(cc.type, cc.nodeId), 0);
    }
  }

  // ------------------------------------------------------------------ network

  private send(m: SimMember, msgs: Message[]): void {
    // Whole ms keep the event log readable; the disk's cost model is fractional.
    const diskDelayMs = Math.ceil(m.disk.elapsedMs() - m.diskMarkMs);
    if (this.opts.log) for (const msg of msgs) this.trace(() => `send ${describeMessage(msg)}`);
    this.net.send(m.id, msgs, diskDelayMs);
  }

  private deliver(msg: Message): void {
    const m = this.members.get(msg.to);
    if (m === undefined || !m.up) return;
    this.trace(() => `recv ${describeMessage(msg)}`);
    this.input(m, () => m.node!.receive(msg));
  }

  private reportSnapshot(from: number, to: number, ok: boolean): void {
    const m = this.members.get(from);
    if (m === undefined || !m.up) return;
    this.input(m, () => m.node!.raw.reportSnapshot(to, ok));
  }

  // ------------------------------------------------------------------ faults

  private scheduleFaults(): void {
    const delayMs = this.prngFaults.range(10, this.cfg.faultPeriodMsMax);
    this.clock.setTimeout(() => {
      if (!this.faultsOn) return;
      this.injectFault();
      this.scheduleFaults();
    }, delayMs);
  }

  private injectFault(): void {
    const p = this.prngFaults;
    const ids = this.currentIds();
    const r = p.float();
    if (r < 0.2) {
      const up = ids.map((id) => this.members.get(id)!).filter((m) => m.up);
      if (up.length === 0) return;
      const m = p.pick(up);
      const kind = p.int(3);
      if (kind === 2 && this.opts.storage !== 'memory') {
        // Crash inside the member's next few disk operations: mid-save, mid-snapshot.
        const n = p.range(1, 12);
        m.disk.armCrash(n, { tornWrites: p.chance(0.5) });
        this.trace(() => `m${m.id} crash armed after ${n} disk ops`);
        return;
      }
      this.crash(m, kind === 0 ? 'clean' : 'torn');
      this.scheduleRestart(m);
    } else if (r < 0.35) {
      const shuffled = shuffle(p, ids);
      const cut = p.range(1, shuffled.length - 1);
      this.net.heal();
      this.net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      this.trace(() => `partition ${shuffled.slice(0, cut).join(',')} / ${shuffled.slice(cut).join(',')}`);
    } else if (r < 0.45) {
      const [a, b] = shuffle(p, ids);
      this.net.blockOneWay(a!, b!);
      this.trace(() => `block ${a} -> ${b}`);
    } else if (r < 0.55) {
      const id = p.pick(ids);
      this.net.isolate(id, ids);
      this.trace(() => `isolate ${id}`);
    } else if (r < 0.8) {
      this.net.heal();
      this.trace(() => 'heal partitions');
    } else {
      this.net.faults = drawNetworkFaults(p);
      this.trace(() => `network faults ${JSON.stringify(this.net.faults)}`);
    }
  }

  private scheduleRestart(m: SimMember): void {
    if (m.restartPending) return;
    m.restartPending = true;
    this.clock.setTimeout(() => {
      m.restartPending = false;
      if (!m.up && this.isMember(m.id)) this.start(m, []);
    }, this.prngFaults.range(20, 1500));
  }

  // ------------------------------------------------------------------ workload

  private scheduleClient(): void {
    this.clock.setTimeout(() => {
      if (!this.workloadOn) return;
      this.clientOp();
      this.scheduleClient();
    }, this.prngWorkload.range(1, this.cfg.clientPeriodMsMax));
  }

  private clientOp(): void {
    if (this.clientInFlight >= CLIENT_IN_FLIGHT_MAX) return;
    const p = this.prngWorkload;
    const r = p.float();
    if (r < 0.6) this.propose(this.pickTarget(), `p${++this.payloadSeq}`, CLIENT_RETRIES_MAX);
    else if (r < 0.9) this.read(this.pickTarget());
    else if (r < 0.93) this.transfer();
    else if (r < 0.96 && this.opts.membershipChanges) this.changeMembership();
  }

  /** pickTarget prefers the member the client believes leads, as a real client would. */
  private pickTarget(): number {
    const p = this.prngWorkload;
    if (this.knownLeader !== 0 && p.chance(0.7)) return this.knownLeader;
    return p.pick(this.currentIds());
  }

  private propose(id: number, payload: string, retriesLeft: number): void {
    const m = this.members.get(id);
    if (m === undefined || !m.up) return;
    this.clientInFlight++;
    this.trace(() => `client propose ${payload} at m${id}`);
    m.node!.propose(Buffer.from(payload, 'latin1')).then(
      (c) => {
        this.clientInFlight--;
        this.trace(() => `client ack ${payload} index=${c.index} term=${c.term}`);
        this.guard(() => this.checker.observeAck({ payload, index: c.index, term: c.term }));
      },
      (err: unknown) => {
        this.clientInFlight--;
        this.trace(() => `client propose ${payload} at m${id}: ${(err as Error).message}`);
        if (!(err instanceof NotLeaderError) || retriesLeft === 0 || !this.workloadOn) return;
        // A rejected proposal was never appended: retrying the same payload cannot duplicate it.
        const next = err.leader !== 0 ? err.leader : this.pickTarget();
        const delayMs = this.prngWorkload.range(1, 30);
        this.clock.setTimeout(() => this.propose(next, payload, retriesLeft - 1), delayMs);
      },
    );
  }

  private read(id: number): void {
    const m = this.members.get(id);
    if (m === undefined || !m.up) return;
    const sm = m.sm!;
    const token = this.checker.readStarted();
    this.clientInFlight++;
    this.trace(() => `client read at m${id} after acked index ${token.ackedIndex}`);
    m.node!.readIndex().then(
      (index) => {
        this.clientInFlight--;
        this.trace(() => `client read at m${id} -> index ${index}`);
        this.guard(() => this.checker.readCompleted(token, id, index, sm));
      },
      (err: unknown) => {
        this.clientInFlight--;
        this.trace(() => `client read at m${id}: ${(err as Error).message}`);
      },
    );
  }

  private transfer(): void {
    const leader = this.members.get(this.knownLeader);
    if (leader === undefined || !leader.up) return;
    const voters = leader.node!.raw.raft.voters.filter((v) => v !== leader.id);
    if (voters.length === 0) return;
    const to = this.prngWorkload.pick(voters);
    this.trace(() => `client transfer leadership m${leader.id} -> m${to}`);
    this.input(leader, () => leader.node!.transferLeader(to));
  }

  /** changeMembership makes one change at a time: a spare joins as a learner and is promoted
   *  once applied; otherwise a voter (never below 3) or a learner is removed. */
  private changeMembership(): void {
    if (this.membershipBusy) return;
    const leader = this.members.get(this.knownLeader);
    if (leader === undefined || !leader.up) return;
    const cs = leader.node!.raw.raft.confState();
    const p = this.prngWorkload;
    const known = new Set([...cs.voters, ...cs.learners]);
    let cc;
    if (cs.learners.length > 0) {
      cc = confChange(ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER, p.pick(cs.learners));
    } else {
      // Only ids never used join: a removed member's id is retired for good (as etcd requires), and
      // the harness may not yet know of a removal that already committed.
      const fresh = (id: number): boolean => this.members.get(id)!.incarnation === 0;
      const spares = this.cfg.spareIds.filter((id) => !known.has(id) && fresh(id));
      if (spares.length > 0 && (cs.voters.length < 5 || p.chance(0.3))) {
        cc = confChange(ConfChangeType.CONF_CHANGE_TYPE_ADD_LEARNER, p.pick(spares));
      } else if (cs.voters.length > 3) {
        cc = confChange(ConfChangeType.CONF_CHANGE_TYPE_REMOVE, p.pick(cs.voters));
      } else return;
    }
    this.membershipBusy = true;
    this.trace(() => `client conf change ${ConfChangeType[cc.type]} m${cc.nodeId} via m${leader.id}`);
    leader.node!.changeMembership(cc).then(
      (after) => {
        this.membershipBusy = false;
        this.trace(() => `conf change applied: voters=${after.voters} learners=${after.learners}`);
      },
      () => void (this.membershipBusy = false),
    );
    this.input(leader, () => undefined);
  }

  /** afterMembership reacts to a committed change, the first time any member applies it, as an
   *  operator would: it starts a freshly added member (empty disk: it learns everything from the
   *  leader) or shuts down a removed one for good (its id is never reused). */
  private afterMembership(type: ConfChangeType, id: number): void {
    const m = this.members.get(id)!;
    if (this.removed.has(id)) return;
    if (type === ConfChangeType.CONF_CHANGE_TYPE_ADD_LEARNER && !m.up && m.incarnation === 0) {
      this.start(m, []);
    } else if (type === ConfChangeType.CONF_CHANGE_TYPE_REMOVE) {
      // A removed member keeps its disk; it is simply never restarted.
      this.removed.add(id);
      this.crash(m, 'removed');
    }
  }

  /** currentIds are the members of the current configuration as the harness knows it. */
  private currentIds(): number[] {
    const leader = this.members.get(this.knownLeader);
    const cs = leader?.node?.raw.raft.confState();
    if (cs === undefined) return [...this.cfg.voters];
    return [...cs.voters, ...cs.learners].sort((a, b) => a - b);
  }

  /** isMember: a member is restarted after a crash unless it was removed from the group. */
  private isMember(id: number): boolean {
    return !this.removed.has(id) && this.members.get(id)!.incarnation > 0;
  }

  // ------------------------------------------------------------------ liveness

  /** liveness heals everything, then requires a leader, a new committed proposal and every
   *  member caught up, within the bound. */
  private async liveness(): Promise<void> {
    this.faultsOn = false;
    this.workloadOn = false;
    this.net.heal();
    this.net.faults = { ...calmNetwork };
    for (const m of this.members.values()) m.disk.disarm();
    // Membership may still change (a change in flight commits): keep every current member up.
    const restartAll = (): void => {
      for (const id of this.livenessIds()) {
        const m = this.members.get(id)!;
        if (!m.up && !this.removed.has(id)) this.start(m, []);
      }
    };
    restartAll();
    const healTimer = this.clock.setInterval(restartAll, 50);
    this.trace(() => `liveness: healed; members ${this.livenessIds().join(',')}`);
    const boundMs = this.opts.livenessBoundMs ?? 10_000;
    const deadlineMs = this.clock.nowMs() + boundMs;
    let acked: { index: number } | undefined;
    let pending = false;
    const poke = (): void => {
      if (acked || pending) return;
      const leader = [...this.members.values()].find((m) => m.node?.raw.raft.role === 'leader');
      if (leader === undefined) return;
      pending = true;
      const payload = `live${this.opts.seed}`;
      leader.node!.propose(Buffer.from(payload, 'latin1')).then(
        (c) => {
          acked = { index: c.index };
          this.guard(() => this.checker.observeAck({ payload, index: c.index, term: c.term }));
          this.trace(() => `liveness: ack index=${c.index}`);
        },
        () => void (pending = false),
      );
      this.input(leader, () => undefined);
    };
    const pokeTimer = this.clock.setInterval(poke, 50);
    await this.runUntil(deadlineMs, () => acked !== undefined);
    pokeTimer.cancel();
    if (acked === undefined) {
      throw new LivenessViolation(
        `no proposal committed within ${boundMs} virtual ms after healing: ${this.describeMembers()}`,
      );
    }
    const target = acked.index;
    const caughtUp = (): boolean =>
      this.livenessIds().every((id) => (this.members.get(id)!.node?.appliedIndex() ?? 0) >= target);
    await this.runUntil(this.clock.nowMs() + boundMs, caughtUp);
    healTimer.cancel();
    if (!caughtUp()) {
      throw new LivenessViolation(
        `members did not apply index ${target} within ${boundMs} virtual ms after healing: ` +
          this.describeMembers(),
      );
    }
    for (const id of this.livenessIds()) this.checker.checkAcksIn(id, this.members.get(id)!.sm!);
  }

  /** livenessIds are the members that must be up and caught up: every member ever started and
   *  not removed, plus any member the most advanced configuration names. */
  private livenessIds(): number[] {
    const ids = new Set<number>();
    for (const m of this.members.values()) if (m.incarnation > 0) ids.add(m.id);
    let bestIndex = -1;
    let best: ConfState | undefined;
    for (const m of this.members.values()) {
      const r = m.node?.raw.raft;
      if (r && r.log.committed > bestIndex) {
        bestIndex = r.log.committed;
        best = r.confState();
      }
    }
    for (const id of [...(best?.voters ?? []), ...(best?.learners ?? [])]) ids.add(id);
    return [...ids].filter((id) => !this.removed.has(id)).sort((a, b) => a - b);
  }

  private async runUntil(deadlineMs: number, done: () => boolean): Promise<void> {
    for (let i = 0; i < 10_000_000 && !done(); i++) {
      const next = this.clock.nextAtMs();
      if (next === undefined || next > deadlineMs) break;
      this.clock.step();
      this.events++;
      await settle();
      this.rethrow();
    }
  }

  describeMembers(): string {
    const parts: string[] = [];
    for (const m of this.members.values()) {
      const r = m.node?.raw.raft;
      if (!r) parts.push(`m${m.id}=down`);
      else {
        const applied = m.node!.appliedIndex();
        parts.push(`m${m.id}=${r.role}/t${r.term}/c${r.log.committed}/l${r.log.lastIndex()}/a${applied}`);
      }
    }
    return parts.join(' ');
  }

  /** guard runs a check inside a promise callback. A throw there would become an unhandled
   *  rejection that surfaces long after the seed ended (or never): keep it for rethrow(). */
  private guard(check: () => void): void {
    try {
      check();
    } catch (err) {
      this.failure ??= err;
    }
  }

  /** rethrow fails the run, after the event that exposed it, with a violation a callback saw. */
  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private trace(line: () => string): void {
    const log = this.opts.log;
    if (log) log(`${String(this.clock.nowMs()).padStart(7)} ${line()}`);
  }
}

/** settle lets promise callbacks of the event just run (acks, read answers) run before the next
 *  event, so "acknowledged before the read began" means what it says in virtual time. */
function settle(): Promise<void> {
  return Promise.resolve();
}

function drawConfig(p: Prng, members: number | undefined): RunConfig {
  const n = members ?? (p.chance(0.5) ? 3 : 5);
  assert(n === 3 || n === 5 || n === 1, `members must be 1, 3 or 5, got ${n}`);
  const voters = Array.from({ length: n }, (_, i) => i + 1);
  return {
    voters,
    spareIds: [n + 1, n + 2, n + 3, n + 4],
    preVote: p.chance(0.7),
    checkQuorum: p.chance(0.7),
    electionTicks: p.pick([10, 15]),
    heartbeatTicks: p.range(1, 3),
    maxInflightMsgs: p.range(1, 16),
    maxSizePerMsgBytes: p.pick([64, 512, 4096]),
    forwarding: p.chance(0.8),
    snapshotEveryEntries: p.pick([0, 5, 10, 40]),
    keepEntriesAfterSnapshot: p.range(0, 5),
    faultPeriodMsMax: p.pick([100, 300, 1000]),
    clientPeriodMsMax: p.pick([5, 20, 60]),
  };
}

function drawNetworkFaults(p: Prng): NetworkFaults {
  const delayMsMin = p.range(0, 5);
  return {
    lossProbability: p.pick([0, 0.01, 0.05, 0.2, 0.4]),
    duplicateProbability: p.pick([0, 0.01, 0.1]),
    delayMsMin,
    delayMsMax: delayMsMin + p.pick([1, 10, 50, 150]),
  };
}

function shuffle<T>(p: Prng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = p.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** describeMessage is one message in the event log's fixed format. */
export function describeMessage(m: Message): string {
  const type = MessageType[m.type].replace('MESSAGE_TYPE_', '');
  let s = `${m.from}->${m.to} ${type} t${m.term}`;
  if (m.index || m.logTerm) s += ` i${m.index}/lt${m.logTerm}`;
  if (m.entries.length > 0) s += ` ents=${m.entries[0]!.index}..${m.entries[m.entries.length - 1]!.index}`;
  if (m.commit) s += ` c${m.commit}`;
  if (m.reject) s += ` reject hint=${m.rejectHint}`;
  if (m.snapshot?.metadata) s += ` snap=${m.snapshot.metadata.index}/t${m.snapshot.metadata.term}`;
  return s;
}

function describeLog(s: RaftStorage): string {
  const hs = s.initialState().hardState;
  return `first=${s.firstIndex()} last=${s.lastIndex()} term=${hs.term} vote=${hs.vote} commit=${hs.commit}`;
}

/** runSeed runs one seed with the given options (the entry point main.ts and tests use). */
export function runSeed(opts: SimOptions): Promise<SimResult> {
  return new Simulation(opts).run();
}
