/**
 * RawNode is the core's public face: feed it ticks, messages and requests; collect a Ready; perform
 * it (persist, send, apply — see Ready in types.ts); call advance(). It never does I/O, never reads a
 * clock and draws randomness only from the Prng in its config, so the same inputs always produce the
 * same Readys: the simulator relies on that.
 */
import { assert } from '../../base/assert.js';
import { ConfChange as ConfChangeCodec } from '../../gen/k8ts/raft/v1/raft.js';
import type { RaftStorage } from './memory-storage.js';
import type { ProgressState } from './progress.js';
import { Raft } from './raft.js';
import { releasePendingReads } from './step-leader.js';
import {
  ConfChangeType,
  EntryType,
  MessageType as T,
  message,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type ProposalRejection,
  type RaftConfig,
  type Ready,
  type Role,
  type SoftState,
} from './types.js';

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  learner: boolean;
}

export interface RaftStatus {
  id: number;
  role: Role;
  term: number;
  vote: number;
  leader: number;
  commit: number;
  lastIndex: number;
  firstIndex: number;
  confState: ConfState;
  /** Only on the leader. */
  progress: Map<number, ProgressStatus>;
  leadTransferee: number;
}

/** Message types that only ever come from this member's own driver. */
const LOCAL_ONLY = new Set<T>([T.MESSAGE_TYPE_HUP, T.MESSAGE_TYPE_BEAT, T.MESSAGE_TYPE_CHECK_QUORUM, T.MESSAGE_TYPE_SNAP_STATUS, T.MESSAGE_TYPE_UNREACHABLE]);

export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(config: RaftConfig, storage: RaftStorage) {
    this.raft = new Raft(config, storage);
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** campaign starts an election now (tests and `k8ts` experiments). */
  campaign(): void {
    this.raft.step(message({ type: T.MESSAGE_TYPE_HUP, from: this.raft.id }));
  }

  /** step delivers a message from a peer. Local-only types and messages for others are ignored:
   *  a peer cannot inject ticks or votes of ours. */
  step(m: Message): void {
    if (LOCAL_ONLY.has(m.type) || m.to !== this.raft.id) return;
    // A response from a member we do not know (removed, or not yet added) changes nothing.
    if (isResponse(m.type) && !this.raft.prs.has(m.from)) return;
    this.raft.step(m);
  }

  propose(data: Buffer): ProposalRejection | null {
    return this.proposeBatch([data]);
  }

  /** proposeBatch proposes several normal entries as ONE message: the leader appends them
   *  together and sends each follower one append for all of them (so one acknowledgement comes
   *  back), a follower forwards them in one message. All are accepted or all rejected. */
  proposeBatch(datas: readonly Buffer[]): ProposalRejection | null {
    const type = EntryType.ENTRY_TYPE_NORMAL;
    const entries = datas.map((data) => ({ term: 0, index: 0, type, data }));
    return this.raft.step(message({ type: T.MESSAGE_TYPE_PROP, from: this.raft.id, entries }));
  }

  proposeConfChange(cc: ConfChange): ProposalRejection | null {
    const data = Buffer.from(ConfChangeCodec.encode(cc).finish());
    return this.raft.step(message({ type: T.MESSAGE_TYPE_PROP, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.ENTRY_TYPE_CONF_CHANGE, data }] }));
  }

  /** readIndex asks for a linearizable read point; the answer arrives as a ReadState with ctx. */
  readIndex(ctx: Buffer): ProposalRejection | null {
    return this.raft.step(message({ type: T.MESSAGE_TYPE_READ_INDEX, context: ctx }));
  }

  transferLeader(to: number): void {
    this.raft.step(message({ type: T.MESSAGE_TYPE_TRANSFER_LEADER, from: to }));
  }

  /** applyConfChange is called by the driver when it applies a conf-change entry. */
  applyConfChange(cc: ConfChange): ConfState {
    const r = this.raft;
    const cs = r.confState();
    const voters = new Set(cs.voters);
    const learners = new Set(cs.learners);
    switch (cc.type) {
      case ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER:
        learners.delete(cc.nodeId);
        voters.add(cc.nodeId);
        break;
      case ConfChangeType.CONF_CHANGE_TYPE_ADD_LEARNER:
        // Demoting a voter needs joint consensus, which single-member changes do not do.
        if (!voters.has(cc.nodeId)) learners.add(cc.nodeId);
        break;
      case ConfChangeType.CONF_CHANGE_TYPE_REMOVE:
        voters.delete(cc.nodeId);
        learners.delete(cc.nodeId);
        break;
      default:
        return cs;
    }
    r.applyConfState({ voters: [...voters], learners: [...learners] });
    r.afterConfChange();
    return r.confState();
  }

  reportUnreachable(id: number): void {
    this.raft.step(message({ type: T.MESSAGE_TYPE_UNREACHABLE, from: id }));
  }

  reportSnapshot(id: number, ok: boolean): void {
    this.raft.step(message({ type: T.MESSAGE_TYPE_SNAP_STATUS, from: id, reject: !ok }));
  }

  /** takeHeartbeats removes the leader's heartbeats from the outbox and returns them, their
   *  commit capped at maxCommit: while its driver writes a Ready, a leader still heartbeats but
   *  tells no follower of a commit that may count its own entries not yet durable. */
  takeHeartbeats(maxCommit: number): Message[] {
    const r = this.raft;
    if (r.role !== 'leader' || r.msgs.length === 0) return [];
    const out: Message[] = [];
    const rest: Message[] = [];
    for (const m of r.msgs) {
      if (m.type !== T.MESSAGE_TYPE_HEARTBEAT) rest.push(m);
      else {
        m.commit = Math.min(m.commit, maxCommit);
        out.push(m);
      }
    }
    if (out.length > 0) r.msgs = rest;
    return out;
  }

  /** hasHeartbeats: a leader's heartbeats wait in the outbox (see takeHeartbeats). */
  hasHeartbeats(): boolean {
    const r = this.raft;
    return r.role === 'leader' && r.msgs.some((m) => m.type === T.MESSAGE_TYPE_HEARTBEAT);
  }

  hasReady(): boolean {
    const r = this.raft;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstable.entries.length > 0 || r.log.unstable.snapshot) return true;
    if (r.log.hasNextCommittedEnts()) return true;
    if (!softEqual(this.softState(), this.prevSoft)) return true;
    return !hardEqual(this.hardState(), this.prevHard);
  }

  ready(): Ready {
    const r = this.raft;
    const soft = this.softState();
    const hard = this.hardState();
    const rd: Ready = {
      entries: r.log.unstableEntries(),
      snapshot: r.log.unstable.snapshot,
      committedEntries: r.log.nextCommittedEnts(),
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: false,
    };
    if (!softEqual(soft, this.prevSoft)) rd.softState = soft;
    if (!hardEqual(hard, this.prevHard)) rd.hardState = hard;
    rd.mustSync = rd.entries.length > 0 || rd.snapshot !== undefined || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote;
    r.msgs = [];
    r.readStates = [];
    return rd;
  }

  /** advance tells the core that rd was performed: its entries are stable, its committed entries
   *  applied. */
  advance(rd: Ready): void {
    const r = this.raft;
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      const idx = rd.snapshot.metadata!.index;
      r.log.stableSnapTo(idx);
      if (idx > r.log.applied) r.log.appliedTo(idx);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) r.log.stableTo(last.index, last.term);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    // A leader may have taken some of rd's committed entries already (takeCommitted): only the
    // rest counts as applied now.
    if (lastApplied && lastApplied.index > r.log.applied) {
      assert(lastApplied.index <= r.log.committed, 'applied beyond commit');
      const skip = r.log.applied + 1 - rd.committedEntries[0]!.index;
      this.markApplied(skip > 0 ? rd.committedEntries.slice(skip) : rd.committedEntries);
    }
  }

  /**
   * takeCommitted hands a leader the committed entries up to maxIndex ahead of the next Ready,
   * and counts them applied: the driver applies them while its write of a later Ready is in
   * flight, as etcd's leader applies while it writes its WAL. maxIndex is the last index the
   * driver knows durable on this member, so every entry returned is on a quorum's disks, this
   * member's included. Stops before a membership change (that one waits for its Ready, where
   * the driver applies it in order with the core's configuration) and is empty for any other
   * role, so a follower still applies only what it wrote.
   */
  takeCommitted(maxIndex: number): Entry[] {
    const r = this.raft;
    if (!this.hasCommittedUpTo(maxIndex)) return [];
    const ents = r.log.committedEntsUpTo(maxIndex);
    let n = 0;
    while (n < ents.length && ents[n]!.type !== EntryType.ENTRY_TYPE_CONF_CHANGE) n++;
    const taken = n === ents.length ? ents : ents.slice(0, n);
    if (taken.length > 0) this.markApplied(taken);
    return taken;
  }

  /** hasCommittedUpTo: takeCommitted(maxIndex) has entries to return, or a membership change
   *  stops it (a leader, not restoring a snapshot, whose commit passed what it applied). */
  hasCommittedUpTo(maxIndex: number): boolean {
    const r = this.raft;
    if (r.role !== 'leader' || r.log.unstable.snapshot) return false;
    return Math.min(r.log.committed, maxIndex) > r.log.applied;
  }

  /** markApplied moves the apply cursor past ents (contiguous, starting at applied + 1). */
  private markApplied(ents: readonly Entry[]): void {
    const r = this.raft;
    assert(ents[0]!.index === r.log.applied + 1, `apply from ${ents[0]!.index} after ${r.log.applied}`);
    r.log.appliedTo(ents[ents.length - 1]!.index);
    if (r.role === 'leader') {
      r.reduceUncommittedBytes(ents);
      releasePendingReads(r);
    }
  }

  status(): RaftStatus {
    const r = this.raft;
    const progress = new Map<number, ProgressStatus>();
    if (r.role === 'leader') {
      for (const [id, pr] of r.prs) progress.set(id, { match: pr.match, next: pr.next, state: pr.state, learner: pr.isLearner });
    }
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      leader: r.lead,
      commit: r.log.committed,
      lastIndex: r.log.lastIndex(),
      firstIndex: r.log.firstIndex(),
      confState: r.confState(),
      progress,
      leadTransferee: r.leadTransferee,
    };
  }

  private softState(): SoftState {
    return { leader: this.raft.lead, role: this.raft.role };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }
}

function isResponse(t: T): boolean {
  return t === T.MESSAGE_TYPE_APP_RESP || t === T.MESSAGE_TYPE_HEARTBEAT_RESP || t === T.MESSAGE_TYPE_VOTE_RESP || t === T.MESSAGE_TYPE_PRE_VOTE_RESP;
}

function softEqual(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

function hardEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
