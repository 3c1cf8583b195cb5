/**
 * RaftNode is the driver around the pure core: it feeds ticks, messages and proposals into the
 * RawNode and performs each Ready in the fixed order (persist, send, apply, advance). It does no
 * I/O of its own: storage, the transport's send and the state machine are injected, so the same
 * driver runs in a member process (src/raft/member.ts) and in the simulator (src/sim).
 *
 * Proposals carry a 16-byte envelope (proposer id, incarnation, sequence) so the member that
 * proposed recognises its entry when it applies it — also when a follower forwarded the proposal.
 * They wait in a ProposalQueue until the next process() (or the next read, membership change or
 * transfer, so the core sees requests in call order) and enter the core as one batch.
 */
import { assert } from '../base/assert.js';
import { ConfChange as ConfChangeCodec } from '../gen/k8ts/raft/v1/raft.js';
import { bootstrapEntries, bootstrapHardState } from './core/bootstrap.js';
import { RawNode, type RaftStatus } from './core/raw-node.js';
import { ENVELOPE_BYTES, ProposalQueue } from './proposal-queue.js';
import type { RaftStorage } from './core/memory-storage.js';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type ProposalRejection,
  type RaftConfig,
  type Ready,
  type SoftState,
} from './core/types.js';

/** StateMachine is what the log drives. apply() sees only payloads of normal entries. */
export interface StateMachine {
  /** apply applies one normal entry's payload. What it returns reaches the proposer as
   *  Committed.result (the store's response or error); other members ignore it. */
  apply(index: number, data: Buffer): unknown;
  /** applyConfChange sees every committed membership change after Raft applied it (optional:
   *  state machines that publish membership, as the store's MemberList does). */
  applyConfChange?(index: number, cc: ConfChange): void;
  /** snapshot returns the image of everything applied so far. */
  snapshot(): Buffer;
  /** restore replaces the state with a snapshot's image taken at index. */
  restore(data: Buffer, index: number): void;
  /** snapshotJob (optional) captures the state now and builds the same image as snapshot() a
   *  slice at a time: with storage that writes in the background, the member then snapshots a
   *  large state without stalling its event loop (and missing heartbeats). */
  snapshotJob?(): SnapshotJob;
}

/** SnapshotJob builds an image over several calls: step does about maxUnits of work and returns
 *  the image once complete. */
export interface SnapshotJob {
  step(maxUnits: number): Buffer | undefined;
}

/** Work units (state machine versions, the store counting large values as several) a background
 *  snapshot does per driver turn or tick:
 *  about a millisecond or two, so heartbeats and appends keep flowing. */
const SNAPSHOT_UNITS_PER_STEP = 4000;

/** SnapshotEvent: a background snapshot started (state captured at index), its image built
 *  (bytes, steps taken on the loop), written and recorded; or a leader's snapshot restored. */
export type SnapshotEvent =
  | { kind: 'started'; index: number }
  | { kind: 'built'; index: number; bytes: number; steps: number }
  | { kind: 'written'; index: number }
  | { kind: 'restored'; index: number; bytes: number };

export interface RaftNodeOptions {
  config: Omit<RaftConfig, 'applied'>;
  storage: RaftStorage;
  stateMachine: StateMachine;
  /** send hands messages to the transport; it must not block and may drop (Raft retries). */
  send(messages: Message[]): void;
  /** Voters of a brand-new cluster; ignored when storage already holds state. */
  bootstrapVoters: number[];
  /** The context of each voter's bootstrap conf change (its peer address), so the log itself
   *  tells every member, joiners included, where the initial members listen. */
  bootstrapContext?(id: number): Buffer;
  /** Take a snapshot every snapshotEveryEntries applied entries (0 = never). */
  snapshotEveryEntries: number;
  /** Entries kept behind a snapshot so a slightly slow follower needs no InstallSnapshot. */
  keepEntriesAfterSnapshot: number;
  /** onSnapshot (optional) hears each step of the member's snapshots, so the shell can log them
   *  with its clock: an SRE reading a leader change next to "snapshot … written" sees why. */
  onSnapshot?(e: SnapshotEvent): void;
  /** A proposal or read not answered within this many ticks fails with ProposalLostError (its
   *  fate unknown); waiters never pile up when messages are lost. */
  requestTimeoutTicks: number;
  /** Bound on proposals plus reads waiting for an answer; beyond, new ones are refused. */
  maxPendingRequests: number;
  /** Distinguishes this run of the member from earlier ones (restarts reuse sequence numbers). */
  incarnation: number;
  onSoftState?(soft: SoftState): void;
  /** defer runs fn on a later event-loop turn (setImmediate in a member, the virtual clock in
   *  the simulator). Given, a leader sends its appends before its own write (see process);
   *  omitted, every Ready is done in one go. */
  defer?(fn: () => void): void;
  /** Called once a deferred write is done and its Ready finished, when process() has work
   *  (inputs arrived meanwhile): call it again soon. */
  onPersisted?(): void;
  /** Called after each applied entry, with what the apply saw (for checkers and tests). */
  onApplied?(entry: Entry): void;
  /** nowMs (optional) times storage writes into DriverWork.persistMs (a member's clock). */
  nowMs?(): number;
  /** A leader's Ready with at least this many entries syncs off the event loop (needs
   *  storage.saveInBackground and onPersisted; undefined: only while the disk is slow). Why: a
   *  leader's synchronous fdatasync stops its loop — no request decoded, no ack counted, no
   *  answer sent — for the whole flush (p50 0.9, p90 3.8 ms on this VM's disk under load),
   *  where etcd's gRPC goroutines keep serving; the thread-pool hop (~50 µs) is worth it only
   *  when a large batch shares it. */
  backgroundSyncMinEntries?: number;
}

/** DriverWork counts what the driver did since the shell last reset it (resetWork): a member's
 *  stall log names the turn that ran long and what it did (persisted, sent, applied). */
export interface DriverWork {
  readies: number;
  proposed: number;
  persistedEntries: number;
  persistedBytes: number;
  /** Wall time in storage.save (WAL write and fdatasync), when the node was given nowMs. */
  persistMs: number;
  sentMessages: number;
  sentEntries: number;
  sentBytes: number;
  applied: number;
  appliedBytes: number;
  snapshotSteps: number;
}

/** emptyWork is a DriverWork with every count at zero. */
export function emptyWork(): DriverWork {
  return {
    readies: 0, proposed: 0, persistedEntries: 0, persistedBytes: 0, persistMs: 0, sentMessages: 0,
    sentEntries: 0, sentBytes: 0, applied: 0, appliedBytes: 0, snapshotSteps: 0,
  };
}

/** NotLeaderError is an operating error: retry against `leader` (0 when unknown). */
export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
  constructor(
    readonly rejection: ProposalRejection,
    readonly leader: number,
  ) {
    super(`not leader (${rejection.reason}); leader=${leader}`);
  }
}

/** ProposalLostError: the member lost track of a proposal (it stepped down or was removed). Its
 *  fate is unknown: it may still commit. */
export class ProposalLostError extends Error {
  override name = 'ProposalLostError';
}

export interface Committed {
  index: number;
  term: number;
  /** What the state machine's apply returned for this entry. */
  result: unknown;
}

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: Error): void;
  /** Tick at which the request gives up. */
  deadlineTick: number;
}

/** BusyError: too many requests are waiting; back off. */
export class BusyError extends Error {
  override name = 'BusyError';
}

/** A member whose applying lags its commit index by more than this refuses new proposals with
 *  BusyError ("etcdserver: too many requests"), as etcd does (maxGapBetweenApplyAndCommitIndex):
 *  a member catching up must not take on more while its backlog grows. */
export const MAX_COMMITTED_NOT_APPLIED = 5000;

/** Entry bytes one call of opts.send carries at most. Why: the transport sends one call's
 *  messages to a peer as ONE gRPC frame, and gRPC refuses frames over 16 MiB — a leader that
 *  re-probed a follower several times while its own write was in flight had piled more than that
 *  for it into one Ready, and the stream failed on every retry. */
const MAX_SEND_BYTES = 8 * 1024 * 1024;

/** A save whose fdatasync took at least this long (ms) makes the next ones run off the event loop,
 *  until one is faster. Why not always: handing the fdatasync to the thread pool costs CPU and a
 *  thread wakeup (raft-path, 3 members side by side with the synchronous version: +13-26 % CPU
 *  per put at 16 in flight when every save did, +6-8 % when only the leader's did), worth paying
 *  only while the disk is slow — on a loaded machine a WAL fdatasync on the loop measured
 *  150-1,300 ms, a member deaf for that long. */
const SLOW_SYNC_MS = 10;

/** Readys one process() call performs before it yields the event loop (see process). Each
 *  applies at most the core's apply budget (4 max-size messages). */
const MAX_READIES_PER_PROCESS = 4;

export class RaftNode {
  readonly id: number;
  readonly raw: RawNode;
  private readonly opts: RaftNodeOptions;
  private seq = 0;
  private readSeq = 0;
  private applied: number;
  private lastSnapshotIndex: number;
  /** Waiters of this node's proposals by sequence number (a number key: no string is built per
   *  proposal and per applied entry). The envelope's member id and incarnation are checked before
   *  the lookup, so a sequence number of an earlier incarnation never finds a waiter here. */
  private readonly proposals = new Map<number, Waiter<Committed>>();
  /** Proposals not yet given to the core (see flushProposals). */
  private readonly queued = new ProposalQueue();
  private readonly reads = new Map<string, Waiter<number>>();
  /** ReadIndex answers waiting for the state machine to reach their index. */
  private readonly readyReads: { index: number; waiter: Waiter<number> }[] = [];
  private confWaiter: { cc: ConfChange; waiter: Waiter<ConfState> } | undefined;
  private stopped = false;
  private ticks = 0;
  /** A background snapshot under way: its index and membership, the job building the image,
   *  and whether the image is being written. */
  private snapshotWork: {
    index: number; confState: ConfState; job: SnapshotJob; writing: boolean; steps: number;
  } | undefined;
  /** A Ready waits for its write (a leader's whose messages went out first, or any written in
   *  the background): no other Ready is taken meanwhile (see process). */
  private persistPending = false;
  /** The commit index when the Ready being written was taken: what early heartbeats may carry. */
  private safeCommit = 0;
  /** Wall time of the last save that synced (needs opts.nowMs): see SLOW_SYNC_MS. */
  private lastSyncMs = 0;
  /** The last index this member wrote durably while it led in durableTerm (see applyDurable). */
  private durableIndex = 0;
  private durableTerm = -1;
  /** Storage changes (a background snapshot's record and compaction) that wait for that write. */
  private readonly afterPersist: (() => void)[] = [];
  /** What the driver did since the last resetWork (read by the member's stall log). */
  readonly work: DriverWork = emptyWork();
  /** Peers this leader handed an append to, and peers that acknowledged one, since the last
   *  heartbeat due to them (see skipFlowingHeartbeats). */
  private readonly appendedSinceBeat = new Set<number>();
  private readonly ackedSinceBeat = new Set<number>();

  constructor(opts: RaftNodeOptions) {
    this.opts = opts;
    this.id = opts.config.id;
    const storage = opts.storage;
    if (storage.lastIndex() === 0 && storage.initialState().hardState.term === 0) {
      bootstrap(storage, opts.bootstrapVoters, opts.bootstrapContext);
    }
    const snap = storage.snapshot();
    this.applied = snap.metadata?.index ?? 0;
    this.lastSnapshotIndex = this.applied;
    if (snap.data.length > 0) opts.stateMachine.restore(snap.data, this.applied);
    this.raw = new RawNode({ ...opts.config, applied: this.applied }, storage);
  }

  /** tick advances the core's clock; returns whether process() has work (most ticks of an
   *  idle member change nothing, and then need no driver turn). */
  tick(): boolean {
    if (this.stopped) return false;
    this.ticks++;
    this.raw.tick();
    if (this.snapshotWork) this.continueSnapshot();
    if (this.ticks % 16 === 0) this.expireWaiters();
    return this.hasWork();
  }

  /** hasWork: process() would do something (an input left a Ready or queued proposals). Many
   *  inputs change nothing — a tick, the ack of an empty append — and need no driver turn. */
  hasWork(): boolean {
    if (this.stopped) return false;
    if (this.queued.length > 0) return true;
    // While a write is in flight, process() can only send a leader's heartbeats (see
    // sendEarlyHeartbeats): an ack or a tick that left anything else needs no turn yet.
    if (this.persistPending) return this.raw.hasHeartbeats() || this.hasDurableCommitted();
    return this.raw.hasReady();
  }

  receive(m: Message): void {
    if (this.stopped) return;
    if (m.type === MessageType.MESSAGE_TYPE_APP_RESP && !m.reject) this.ackedSinceBeat.add(m.from);
    this.raw.step(m);
  }

  /** propose appends data to the log; resolves once it is committed and applied here. */
  propose(data: Buffer): Promise<Committed> {
    const envelope = Buffer.allocUnsafe(ENVELOPE_BYTES + data.length);
    data.copy(envelope, ENVELOPE_BYTES);
    return this.proposeEnveloped(envelope);
  }

  /** proposeEnveloped is propose for a payload already written after ENVELOPE_BYTES of room
   *  (encodePutProposal): the node fills in the envelope, no copy of the payload is made. The
   *  buffer becomes the node's; the caller must not change it afterwards. */
  proposeEnveloped(envelope: Buffer): Promise<Committed> {
    if (this.stopped) return Promise.reject(new ProposalLostError('member stopped'));
    if (this.pendingCount() >= this.opts.maxPendingRequests) return Promise.reject(new BusyError('too many pending requests'));
    if (this.raw.raft.log.committed - this.applied > MAX_COMMITTED_NOT_APPLIED) {
      return Promise.reject(new BusyError('too many requests: committed entries wait to apply'));
    }
    assert(envelope.length >= ENVELOPE_BYTES, 'proposeEnveloped: no room for the envelope');
    const key = ++this.seq;
    envelope.writeUInt32BE(this.id, 0);
    envelope.writeUInt32BE(this.opts.incarnation >>> 0, 4);
    envelope.writeDoubleBE(key, 8);
    this.queued.push({ key, data: envelope });
    return new Promise((resolve, reject) => this.proposals.set(key, { resolve, reject, deadlineTick: this.deadline() }));
  }

  /** flushProposals gives the queued proposals to the core, a batch per step. A rejected batch
   *  was not appended at all: its proposals fail with NotLeaderError (safe to retry). */
  private flushProposals(): void {
    if (this.queued.length === 0) return;
    this.work.proposed += this.queued.length;
    for (const batch of this.queued.drain()) {
      const rejection = this.raw.proposeBatch(batch.map((p) => p.data));
      if (!rejection) continue;
      const err = new NotLeaderError(rejection, this.leader());
      for (const p of batch) {
        const w = this.proposals.get(p.key);
        this.proposals.delete(p.key);
        w?.reject(err);
      }
    }
  }

  /** readIndex resolves with an index such that reading the state machine now is linearizable. */
  readIndex(): Promise<number> {
    if (this.stopped) return Promise.reject(new ProposalLostError('member stopped'));
    if (this.pendingCount() >= this.opts.maxPendingRequests) return Promise.reject(new BusyError('too many pending requests'));
    this.flushProposals();
    const ctx = Buffer.from(`${this.id}:${this.opts.incarnation}:${++this.readSeq}`);
    const rejection = this.raw.readIndex(ctx);
    if (rejection) return Promise.reject(new NotLeaderError(rejection, this.raw.status().leader));
    return new Promise((resolve, reject) => this.reads.set(ctx.toString(), { resolve, reject, deadlineTick: this.deadline() }));
  }

  transferLeader(to: number): void {
    this.flushProposals();
    this.raw.transferLeader(to);
  }

  /** changeMembership proposes one membership change; resolves when it is applied. */
  changeMembership(cc: ConfChange): Promise<ConfState> {
    if (this.confWaiter) return Promise.reject(new NotLeaderError({ reason: 'conf-change-pending' }, 0));
    this.flushProposals();
    const rejection = this.raw.proposeConfChange(cc);
    if (rejection) return Promise.reject(new NotLeaderError(rejection, this.raw.status().leader));
    return new Promise((resolve, reject) => {
      this.confWaiter = { cc, waiter: { resolve, reject, deadlineTick: this.deadline() } };
    });
  }

  status(): RaftStatus & { applied: number } {
    return { ...this.raw.status(), applied: this.applied };
  }

  appliedIndex(): number {
    return this.applied;
  }

  /** term is the current term (cheap: status() builds a whole report; this is per request). */
  term(): number {
    return this.raw.raft.term;
  }

  /** leader is the member this one follows or is (0 while none is known); cheap, per request. */
  leader(): number {
    return this.raw.raft.lead;
  }

  /** process performs every pending Ready; call it after any input (batched by the caller, so one
   *  fdatasync covers every proposal that arrived meanwhile: group commit). With onPersisted, one
   *  call performs at most MAX_READIES_PER_PROCESS Readys and asks for another turn for the rest:
   *  a follower catching up applies its backlog a bounded slice per event-loop turn, with ticks,
   *  heartbeats and requests served in between. */
  process(): void {
    if (!this.stopped) this.flushProposals();
    if (this.persistPending) {
      this.applyDurable();
      return this.sendEarlyHeartbeats();
    }
    for (let n = 0; !this.stopped && !this.persistPending && this.raw.hasReady(); n++) {
      if (n === MAX_READIES_PER_PROCESS && this.opts.onPersisted) return this.opts.onPersisted();
      const rd = this.raw.ready();
      this.work.readies++;
      if (this.canSendFirst(rd)) {
        // Raft thesis §10.2.1, as etcd does: the leader's appends go out before its own write,
        // so the followers' fdatasync runs while the leader's does. The write waits one turn —
        // long enough for the messages to reach the socket — and nothing else of this Ready
        // (apply, answers) happens before it is durable. Safe: the leader counts its own entries
        // toward a commit only in memory, and every effect of that commit is in a later Ready,
        // not taken until this one is durable (heartbeats meanwhile carry no newer commit: see
        // sendEarlyHeartbeats). The simulator runs this path, crashes between send and write
        // included.
        this.send(rd.messages);
        this.persistPending = true;
        this.safeCommit = this.raw.raft.log.committed;
        // A write whose fdatasync runs off the loop starts now: the loop stays free to flush
        // the messages, and the flush starts a turn (a batch of decoded requests) earlier.
        if (this.canPersistInBackground(rd)) this.persistThen(rd, { ...rd, messages: [] });
        else this.opts.defer!(() => this.persistThen(rd, { ...rd, messages: [] }));
        // rd's committed entries are durable here already: apply them now, not after the write.
        this.applyDurable();
        return;
      }
      if (this.canPersistInBackground(rd)) {
        this.persistPending = true;
        this.safeCommit = this.raw.raft.log.committed;
        return this.persistThen(rd, rd);
      }
      this.persist(rd);
      this.handle(rd);
      this.raw.advance(rd);
    }
  }

  /** persistThen makes rd durable — its fdatasync off the event loop when storage can — then
   *  performs `rest` of it (messages not sent yet, applies, answers) and advances. */
  private persistThen(rd: Ready, rest: Ready): void {
    const finish = (): void => {
      this.persistPending = false;
      if (this.stopped) return;
      this.handle(rest);
      this.raw.advance(rd);
      for (const f of this.afterPersist.splice(0)) f();
      // Inputs that came meanwhile left work for process(); otherwise no turn is needed.
      if (this.hasWork()) this.opts.onPersisted?.();
    };
    if (this.stopped) {
      this.persistPending = false;
      return;
    }
    if (!this.canPersistInBackground(rd)) {
      this.persist(rd);
      return finish();
    }
    const t0 = this.opts.nowMs?.() ?? 0;
    this.countPersisted(rd);
    const part = { hardState: rd.hardState, entries: rd.entries, sync: true };
    const term = this.raw.raft.term;
    this.opts.storage.saveInBackground!(part).then(
      () => {
        if (this.opts.nowMs) this.noteSave(this.opts.nowMs() - t0, true);
        this.noteDurable(rd, term);
        finish();
      },
      (err: unknown) => {
        if (this.stopped) return; // Storage closed under a write at shutdown.
        // A WAL that cannot be written is a storage failure: crash (outside any promise chain,
        // so nothing swallows it) and let the supervisor restart the member.
        queueMicrotask(() => {
          throw err instanceof Error ? err : new Error(String(err));
        });
      },
    );
  }

  /** canSendFirst: only a leader's Ready that must sync and has messages, never a snapshot. */
  private canSendFirst(rd: Ready): boolean {
    return this.opts.defer !== undefined && this.raw.raft.role === 'leader' && rd.snapshot === undefined &&
      rd.mustSync && rd.messages.length > 0;
  }

  /** canPersistInBackground: a Ready that must sync, without a snapshot, on storage that can,
   *  while the disk is slow (the last sync took SLOW_SYNC_MS or more). */
  private canPersistInBackground(rd: Ready): boolean {
    const { storage, onPersisted } = this.opts;
    if (storage.saveInBackground === undefined || onPersisted === undefined || rd.snapshot !== undefined || !rd.mustSync) return false;
    if (this.lastSyncMs >= SLOW_SYNC_MS) return true;
    const min = this.opts.backgroundSyncMinEntries;
    return min !== undefined && this.raw.raft.role === 'leader' && rd.entries.length >= min;
  }

  /**
   * sendEarlyHeartbeats: while a leader's write is in flight, its heartbeats still go out (a
   * follower must not time out and start an election because the leader's disk is slow), with
   * their commit capped at safeCommit — the commit when the Ready being written was taken. A
   * newer commit may count this leader's own entries that are not durable yet; no follower may
   * apply it before they are. Everything else waits for the write.
   */
  private sendEarlyHeartbeats(): void {
    const hb = this.raw.takeHeartbeats(this.safeCommit);
    if (hb.length > 0) this.send(hb);
  }

  /** persist writes a Ready's snapshot, entries and hard state (durable when it must sync). */
  private persist(rd: Ready): void {
    const t0 = this.opts.nowMs?.() ?? 0;
    this.opts.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, sync: rd.mustSync });
    if (this.opts.nowMs) this.noteSave(this.opts.nowMs() - t0, rd.mustSync);
    if (rd.mustSync) this.noteDurable(rd, this.raw.raft.term);
    this.countPersisted(rd);
  }

  /** noteDurable records that rd's entries are on disk (synced), written as a leader in term. */
  private noteDurable(rd: Ready, term: number): void {
    const last = rd.entries[rd.entries.length - 1];
    if (last === undefined || this.raw.raft.role !== 'leader' || this.raw.raft.term !== term) return;
    if (term !== this.durableTerm) this.durableIndex = 0;
    this.durableTerm = term;
    this.durableIndex = Math.max(this.durableIndex, last.index);
  }

  /** hasDurableCommitted: applyDurable would apply something. */
  private hasDurableCommitted(): boolean {
    return this.durableTerm === this.raw.raft.term && this.raw.hasCommittedUpTo(this.durableIndex);
  }

  /**
   * applyDurable applies, while a leader's write is in flight, the committed entries that this
   * member has already written: they are on a quorum's disks, its own included, so their effects
   * (answers, watch events) need not wait for the write of newer entries, as etcd's leader
   * applies while it writes its WAL. Why: the acks that commit a batch arrive while the next
   * batch's write is pending; waiting for that write and the turn after it put both between a
   * commit and its answers. Only what this leader wrote in its current term counts as durable
   * (a leader never truncates its log, so nothing below durableIndex can have been replaced).
   */
  private applyDurable(): void {
    if (this.stopped || !this.hasDurableCommitted()) return;
    const ents = this.raw.takeCommitted(this.durableIndex);
    for (const e of ents) this.applyEntry(e);
    if (ents.length > 0) this.releaseReads();
  }

  /** noteSave counts a save's wall time; a synced one's decides how the next sync runs. */
  private noteSave(ms: number, synced: boolean): void {
    this.work.persistMs += ms;
    if (synced) this.lastSyncMs = ms;
  }

  private countPersisted(rd: Ready): void {
    this.work.persistedEntries += rd.entries.length;
    for (const e of rd.entries) this.work.persistedBytes += e.data.length;
  }

  /**
   * skipFlowingHeartbeats leaves out a leader's periodic heartbeat to a follower that, since its
   * last heartbeat was due, was handed an append AND acknowledged one: the append already reset
   * its election timer and carried the commit, and the ack told the leader it is alive (as the
   * heartbeat's answer would); the heartbeat and its answer would cost a frame each way. Counted
   * in the store benchmark at 256 in flight on a loaded machine (831 puts/s): 718 of the leader's
   * 1,210 messages were heartbeats; at 9,500 puts/s, 66 a second beside ~680 appends (at 30 ms
   * heartbeats, two followers). A follower whose acks stop, or that was sent nothing, gets
   * every heartbeat as before (its answer is what retransmits a lost append), so at most one
   * heartbeat interval passes without a message to a live follower; heartbeats of a ReadIndex
   * round (a context) always go, and so do all of them while the leader's own write is in
   * flight (sendEarlyHeartbeats: a slow disk must never leave the followers without word).
   * Raft's safety does not depend on any message arriving.
   */
  private skipFlowingHeartbeats(messages: Message[]): Message[] {
    if (this.raw.raft.role !== 'leader') {
      // What a past term's appends and acks showed says nothing about the next one.
      this.appendedSinceBeat.clear();
      this.ackedSinceBeat.clear();
      return messages;
    }
    let kept: Message[] | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.type === MessageType.MESSAGE_TYPE_APP) this.appendedSinceBeat.add(m.to);
      if (m.type !== MessageType.MESSAGE_TYPE_HEARTBEAT) {
        kept?.push(m);
        continue;
      }
      const flowing = m.context.length === 0 && !this.persistPending &&
        this.appendedSinceBeat.has(m.to) && this.ackedSinceBeat.has(m.to);
      this.appendedSinceBeat.delete(m.to);
      this.ackedSinceBeat.delete(m.to);
      if (!flowing) {
        kept?.push(m);
        continue;
      }
      kept ??= messages.slice(0, i);
    }
    return kept ?? messages;
  }

  /** send hands messages to the transport, counting them (DriverWork), in calls of at most
   *  MAX_SEND_BYTES of entries (the transport sends one call's messages to a peer as one frame). */
  private send(messages: Message[]): void {
    messages = this.skipFlowingHeartbeats(messages);
    if (messages.length === 0) return;
    const w = this.work;
    w.sentMessages += messages.length;
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      let b = 0;
      for (const e of m.entries) b += e.data.length;
      if (bytes + b > MAX_SEND_BYTES && i > from) {
        this.opts.send(messages.slice(from, i));
        from = i;
        bytes = 0;
      }
      bytes += b;
      w.sentEntries += m.entries.length;
      w.sentBytes += b;
    }
    if (from < messages.length) this.opts.send(from === 0 ? messages : messages.slice(from));
  }

  /** resetWork zeroes the DriverWork counters (the shell calls it after reading them). */
  resetWork(): void {
    Object.assign(this.work, emptyWork());
  }

  /** abandonPending fails every proposal and read still waiting, with ProposalLostError(message).
   *  The store calls it when the leader changes: a request forwarded to a dead leader would
   *  otherwise wait out its deadline. A proposal's outcome stays unknown (it may still commit). */
  abandonPending(message: string): void {
    const err = new ProposalLostError(message);
    this.queued.clear(); // Never given to the core: they cannot commit now.
    for (const w of this.proposals.values()) w.reject(err);
    for (const w of this.reads.values()) w.reject(err);
    this.proposals.clear();
    this.reads.clear();
  }

  /** stop fails every waiter; the member is gone (crash or shutdown). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queued.clear();
    const err = new ProposalLostError('member stopped');
    for (const w of this.proposals.values()) w.reject(err);
    for (const w of this.reads.values()) w.reject(err);
    for (const r of this.readyReads) r.waiter.reject(err);
    this.confWaiter?.waiter.reject(err);
    this.proposals.clear();
    this.reads.clear();
    this.readyReads.length = 0;
    this.confWaiter = undefined;
  }

  /** handle performs a persisted Ready: send, install a snapshot, apply, answer reads. */
  private handle(rd: Ready): void {
    if (rd.messages.length > 0) this.send(rd.messages);
    if (rd.snapshot && rd.snapshot.metadata!.index > this.applied) {
      const meta = rd.snapshot.metadata!;
      this.opts.stateMachine.restore(rd.snapshot.data, meta.index);
      this.applied = meta.index;
      this.lastSnapshotIndex = meta.index;
      this.opts.onSnapshot?.({ kind: 'restored', index: meta.index, bytes: rd.snapshot.data.length });
    }
    for (const e of rd.committedEntries) this.applyEntry(e);
    for (const rs of rd.readStates) {
      const w = this.reads.get(rs.context.toString());
      if (!w) continue;
      this.reads.delete(rs.context.toString());
      this.readyReads.push({ index: rs.index, waiter: w });
    }
    this.releaseReads();
    if (rd.softState) {
      if (rd.softState.role !== 'leader') this.failPendingReads();
      this.opts.onSoftState?.(rd.softState);
    }
    this.maybeSnapshot();
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    assert(e.index === this.applied + 1, `apply gap: ${e.index} after ${this.applied}`);
    this.applied = e.index;
    this.work.applied++;
    this.work.appliedBytes += e.data.length;
    if (e.type === EntryType.ENTRY_TYPE_CONF_CHANGE) {
      const cc = ConfChangeCodec.decode(e.data);
      const confState = this.raw.applyConfChange(cc);
      this.opts.stateMachine.applyConfChange?.(e.index, cc);
      const w = this.confWaiter;
      if (w && w.cc.nodeId === cc.nodeId && w.cc.type === cc.type) {
        this.confWaiter = undefined;
        w.waiter.resolve(confState);
      }
    } else if (e.data.length >= ENVELOPE_BYTES) {
      const result = this.opts.stateMachine.apply(e.index, e.data.subarray(ENVELOPE_BYTES));
      if (e.data.readUInt32BE(0) === this.id && e.data.readUInt32BE(4) === this.opts.incarnation >>> 0) {
        const key = e.data.readDoubleBE(8);
        const w = this.proposals.get(key);
        if (w) {
          this.proposals.delete(key);
          w.resolve({ index: e.index, term: e.term, result });
        }
      }
    }
    this.opts.onApplied?.(e);
  }

  private deadline(): number {
    return this.ticks + this.opts.requestTimeoutTicks;
  }

  private pendingCount(): number {
    return this.proposals.size + this.reads.size + this.readyReads.length;
  }

  /** expireWaiters fails requests whose answer was lost (a dropped forward, a leader change). */
  private expireWaiters(): void {
    const now = this.ticks;
    const err = (): ProposalLostError => new ProposalLostError('request timed out; its outcome is unknown');
    for (const [k, w] of this.proposals) if (w.deadlineTick <= now) { this.proposals.delete(k); w.reject(err()); }
    for (const [k, w] of this.reads) if (w.deadlineTick <= now) { this.reads.delete(k); w.reject(err()); }
    for (let i = this.readyReads.length - 1; i >= 0; i--) {
      const r = this.readyReads[i]!;
      if (r.waiter.deadlineTick <= now) { this.readyReads.splice(i, 1); r.waiter.reject(err()); }
    }
    const cw = this.confWaiter;
    if (cw && cw.waiter.deadlineTick <= now) { this.confWaiter = undefined; cw.waiter.reject(err()); }
  }

  private releaseReads(): void {
    for (let i = 0; i < this.readyReads.length; ) {
      const r = this.readyReads[i]!;
      if (r.index <= this.applied) {
        this.readyReads.splice(i, 1);
        r.waiter.resolve(r.index);
      } else i++;
    }
  }

  /** A member that lost leadership cannot finish the read rounds it started. */
  private failPendingReads(): void {
    const err = new ProposalLostError('leadership lost during read');
    for (const w of this.reads.values()) w.reject(err);
    this.reads.clear();
  }

  private maybeSnapshot(): void {
    if (this.snapshotWork) return this.continueSnapshot();
    const every = this.opts.snapshotEveryEntries;
    if (every <= 0 || this.applied - this.lastSnapshotIndex < every) return;
    const { storage, stateMachine } = this.opts;
    if (stateMachine.snapshotJob && storage.createSnapshotInBackground) {
      const job = stateMachine.snapshotJob();
      const index = this.applied;
      this.snapshotWork = { index, confState: this.raw.raft.confState(), job, writing: false, steps: 0 };
      this.lastSnapshotIndex = index;
      this.opts.onSnapshot?.({ kind: 'started', index });
      return this.continueSnapshot();
    }
    // Conf changes take effect when applied, so the core's membership is the one at `applied`.
    const index = this.applied;
    this.opts.onSnapshot?.({ kind: 'started', index });
    const image = this.opts.stateMachine.snapshot();
    this.opts.onSnapshot?.({ kind: 'built', index, bytes: image.length, steps: 1 });
    storage.createSnapshot(index, this.raw.raft.confState(), image);
    this.lastSnapshotIndex = index;
    this.opts.onSnapshot?.({ kind: 'written', index });
    const keep = this.opts.keepEntriesAfterSnapshot;
    if (this.applied - keep > storage.firstIndex()) storage.compact(this.applied - keep);
  }

  /** continueSnapshot advances a background snapshot: a slice of the image per call; once built,
   *  the file is written off the event loop, then recorded and the log compacted in a later turn.
   *  Entries stay in the log until then, so stopping or crashing midway loses nothing. */
  private continueSnapshot(): void {
    const w = this.snapshotWork!;
    if (w.writing || this.stopped) return;
    const image = w.job.step(SNAPSHOT_UNITS_PER_STEP);
    w.steps++;
    this.work.snapshotSteps++;
    if (image === undefined) return;
    w.writing = true;
    this.opts.onSnapshot?.({ kind: 'built', index: w.index, bytes: image.length, steps: w.steps });
    const { storage } = this.opts;
    storage.createSnapshotInBackground!(w.index, w.confState, image).then(
      (commit) => {
        const record = (): void => {
          this.snapshotWork = undefined;
          if (this.stopped) return;
          commit();
          this.opts.onSnapshot?.({ kind: 'written', index: w.index });
          const keep = this.opts.keepEntriesAfterSnapshot;
          if (w.index - keep > storage.firstIndex()) storage.compact(w.index - keep);
        };
        if (this.persistPending) this.afterPersist.push(record);
        else record();
      },
      (err: unknown) => {
        // A snapshot that cannot be written is a storage failure like a failed WAL write: crash
        // (outside any promise chain, so nothing swallows it) and let the supervisor restart.
        queueMicrotask(() => {
          throw err instanceof Error ? err : new Error(String(err));
        });
      },
    );
  }
}

/** bootstrap writes a brand-new member's initial membership (see core/bootstrap.ts). A member
 *  joining an existing group bootstraps with no voters and learns everything from the leader. */
function bootstrap(storage: RaftStorage, voters: readonly number[], context?: (id: number) => Buffer): void {
  if (voters.length === 0) return;
  storage.save({ entries: bootstrapEntries(voters, context), hardState: bootstrapHardState(voters), sync: true });
}

/** confChange builds a ConfChange message (helper for CLI and tests). */
export function confChange(type: ConfChangeType, nodeId: number, context = ''): ConfChange {
  return { type, nodeId, context: Buffer.from(context) };
}
