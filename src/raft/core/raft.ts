/**
 * Raft is one member's consensus state: term, vote, log, role and (on the leader) the progress of
 * every follower. It is pure: inputs are step(message) and tick(); outputs accumulate in `msgs` and
 * `readStates` and in the log's unstable tail, which RawNode turns into a Ready.
 *
 * Role-specific handling lives in step-leader.ts, step-candidate.ts and step-follower.ts; this file
 * holds what every role shares: term rules (§5.1), voting (§5.2, §5.4.1, PreVote §9.6), role
 * changes, and configuration.
 */
import { assert } from '../../base/assert.js';
import type { Prng } from '../../base/prng.js';
import { RoleTracker } from '../machine/roles.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { committedIndex, voteResult, type VoteResult } from './quorum.js';
import { ReadOnly } from './read-only.js';
import { stepCandidate } from './step-candidate.js';
import { stepFollower } from './step-follower.js';
import { bcastAppend, bcastHeartbeat, stepLeader } from './step-leader.js';
import {
  EMPTY,
  MessageType as T,
  NONE,
  entrySizeBytes,
  message,
  type ConfState,
  type Entry,
  type LogStorage,
  type Message,
  type ProposalRejection,
  type RaftConfig,
  type ReadState,
  type Role,
} from './types.js';

/** Context marking a vote request that leadership transfer started: it bypasses leases. */
export const CAMPAIGN_TRANSFER = Buffer.from('CampaignTransfer');

const MAX_PENDING_READS = 4096;
/** Election timeouts a leader waits for a sent snapshot to be answered. */
const SNAPSHOT_STALE_ROUNDS = 4;

export class Raft {
  readonly id: number;
  readonly cfg: RaftConfig;
  readonly log: RaftLog;
  term = 0;
  vote = NONE;
  lead = NONE;
  readonly roles = new RoleTracker();
  /** Progress of every member (voters and learners), including this one. */
  prs = new Map<number, Progress>();
  voters: number[] = [];
  learners: number[] = [];
  votes = new Map<number, boolean>();
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  readonly readOnly = new ReadOnly(MAX_PENDING_READS);
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  pendingReadIndex: Message[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee = NONE;
  /** Index of the last conf change appended; a new one waits until it is applied. */
  pendingConfIndex = 0;
  uncommittedBytes = 0;
  /**
   * As a follower: the highest index this member has acknowledged (queued an accepting append
   * response for) to the leader of the current term. That leader's log only grows within its
   * term, so what was acknowledged stays true; step-follower uses it to leave unanswered a
   * commit-only append whose answer would tell the leader nothing new.
   */
  ackedIndex = 0;
  private readonly prng: Prng;

  constructor(cfg: RaftConfig, storage: LogStorage) {
    assert(cfg.id !== NONE, 'member id must be > 0');
    assert(cfg.heartbeatTicks > 0 && cfg.electionTicks > cfg.heartbeatTicks, 'electionTicks must exceed heartbeatTicks');
    this.id = cfg.id;
    this.cfg = cfg;
    this.prng = cfg.prng;
    this.log = new RaftLog(storage, cfg.applied, cfg.maxSizePerMsgBytes * 4);
    const { hardState, confState } = storage.initialState();
    this.applyConfState(confState);
    if (hardState.term > 0 || hardState.commit > 0) {
      assert(hardState.commit <= this.log.lastIndex(), `commit ${hardState.commit} beyond last ${this.log.lastIndex()}`);
      this.term = hardState.term;
      this.vote = hardState.vote;
      this.log.commitTo(hardState.commit);
    }
    this.becomeFollower(this.term, NONE);
  }

  get role(): Role {
    return this.roles.role;
  }

  // ---------------------------------------------------------------- messages

  send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (t === T.MESSAGE_TYPE_VOTE || t === T.MESSAGE_TYPE_VOTE_RESP || t === T.MESSAGE_TYPE_PRE_VOTE || t === T.MESSAGE_TYPE_PRE_VOTE_RESP) {
      assert(m.term !== 0, `${T[t]} must carry a term`);
    } else if (t !== T.MESSAGE_TYPE_PROP && t !== T.MESSAGE_TYPE_READ_INDEX) {
      // Proposals and read requests are forwarded as local messages (term 0).
      m.term = this.term;
    }
    this.msgs.push(m);
  }

  // ---------------------------------------------------------------- time

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: T.MESSAGE_TYPE_HUP, from: this.id }));
      return;
    }
    // A voter whose leader lease had a tick left ignored our request (its ticks run out of phase
    // with ours). Ask the voters that have not answered again on every tick instead of a whole
    // election timeout later: this keeps crash failover near the minimum election timeout, and
    // settles the election before a second member times out (which would split the vote).
    // Repeating a (pre-)vote request is harmless: a vote already given is given again, a
    // pre-vote changes nothing. Only campaigns send them, so steady state costs nothing.
    if (this.role === 'pre-candidate' || this.role === 'candidate') {
      this.requestVotes(this.role === 'pre-candidate' ? 'pre' : 'election', EMPTY);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step(message({ type: T.MESSAGE_TYPE_CHECK_QUORUM, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.role === 'leader' && this.leadTransferee !== NONE) this.leadTransferee = NONE;
      if (this.role === 'leader') this.expireStaleSnapshots();
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: T.MESSAGE_TYPE_BEAT, from: this.id }));
    }
  }

  /** expireStaleSnapshots is a backstop for a lost InstallSnapshot that the transport never
   *  reported: after SNAPSHOT_STALE_ROUNDS election timeouts without an answer the follower is
   *  probed again (which re-sends the snapshot if it is still needed). */
  private expireStaleSnapshots(): void {
    for (const pr of this.prs.values()) {
      if (pr.state !== 'snapshot') continue;
      if (++pr.snapshotStaleRounds >= SNAPSHOT_STALE_ROUNDS) pr.becomeProbe();
    }
  }

  // ---------------------------------------------------------------- step

  /** step handles one message. Returns a rejection when a proposal could not be accepted. */
  step(m: Message): ProposalRejection | null {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (!this.acceptHigherTerm(m)) return null;
    } else if (m.term < this.term) {
      this.answerStaleTerm(m);
      return null;
    }
    switch (m.type) {
      case T.MESSAGE_TYPE_HUP:
        this.hup(false);
        return null;
      case T.MESSAGE_TYPE_VOTE:
      case T.MESSAGE_TYPE_PRE_VOTE:
        this.handleVoteRequest(m);
        return null;
      default:
        switch (this.role) {
          case 'leader':
            return stepLeader(this, m);
          case 'candidate':
          case 'pre-candidate':
            return stepCandidate(this, m);
          case 'follower':
            return stepFollower(this, m);
        }
    }
  }

  /** acceptHigherTerm applies §5.1 (a higher term makes us a follower) with the exceptions that keep
   *  a stable leader from being disrupted. False when the message must be ignored. */
  private acceptHigherTerm(m: Message): boolean {
    const isVote = m.type === T.MESSAGE_TYPE_VOTE || m.type === T.MESSAGE_TYPE_PRE_VOTE;
    if (isVote) {
      const force = m.context.equals(CAMPAIGN_TRANSFER);
      const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTicks;
      // We heard from a leader within the minimum election timeout: do not let a member that
      // merely lost contact depose it (thesis §4.2.3).
      if (!force && inLease) return false;
    }
    if (m.type === T.MESSAGE_TYPE_PRE_VOTE) return true; // never changes our term
    if (m.type === T.MESSAGE_TYPE_PRE_VOTE_RESP && !m.reject) return true; // the term we would get
    const fromLeader = m.type === T.MESSAGE_TYPE_APP || m.type === T.MESSAGE_TYPE_HEARTBEAT || m.type === T.MESSAGE_TYPE_SNAP;
    this.becomeFollower(m.term, fromLeader ? m.from : NONE);
    return true;
  }

  private answerStaleTerm(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === T.MESSAGE_TYPE_HEARTBEAT || m.type === T.MESSAGE_TYPE_APP)) {
      // A deposed leader that missed the election: tell it the new term so it steps down. Without
      // this, with CheckQuorum/PreVote it could keep a follower from ever becoming candidate.
      this.send(message({ type: T.MESSAGE_TYPE_APP_RESP, to: m.from }));
    } else if (m.type === T.MESSAGE_TYPE_PRE_VOTE) {
      this.send(message({ type: T.MESSAGE_TYPE_PRE_VOTE_RESP, to: m.from, term: this.term, reject: true }));
    }
  }

  private handleVoteRequest(m: Message): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === T.MESSAGE_TYPE_PRE_VOTE && m.term > this.term);
    const respType = m.type === T.MESSAGE_TYPE_VOTE ? T.MESSAGE_TYPE_VOTE_RESP : T.MESSAGE_TYPE_PRE_VOTE_RESP;
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // Granted responses carry the candidate's term so a pre-candidate can count them.
      this.send(message({ type: respType, to: m.from, term: m.term }));
      if (m.type === T.MESSAGE_TYPE_VOTE) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(message({ type: respType, to: m.from, term: this.term, reject: true }));
    }
  }

  // ---------------------------------------------------------------- elections

  /** hup starts an election (a pre-election first, with PreVote), unless we cannot lead. */
  hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    if (this.cfg.preVote && !transfer) this.campaign('pre');
    else this.campaign(transfer ? 'transfer' : 'election');
  }

  campaign(kind: 'pre' | 'election' | 'transfer'): void {
    // A pre-election asks for term+1 without taking it: ours does not change yet.
    if (kind === 'pre') this.becomePreCandidate();
    else this.becomeCandidate();
    if (this.poll(this.id, true) === 'won') {
      if (kind === 'pre') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    this.requestVotes(kind === 'pre' ? 'pre' : 'election', kind === 'transfer' ? CAMPAIGN_TRANSFER : EMPTY);
  }

  /** requestVotes asks every voter that has not answered yet for its (pre-)vote. */
  private requestVotes(kind: 'pre' | 'election', ctx: Buffer): void {
    const voteType = kind === 'pre' ? T.MESSAGE_TYPE_PRE_VOTE : T.MESSAGE_TYPE_VOTE;
    const term = kind === 'pre' ? this.term + 1 : this.term;
    for (const id of this.voters) {
      if (id === this.id || this.votes.has(id)) continue;
      this.send(message({ type: voteType, to: id, term, index: this.log.lastIndex(), logTerm: this.log.lastTerm(), context: ctx }));
    }
  }

  poll(id: number, granted: boolean): VoteResult {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return voteResult(this.voters, this.votes);
  }

  promotable(): boolean {
    const pr = this.prs.get(this.id);
    return pr !== undefined && !pr.isLearner;
  }

  // ---------------------------------------------------------------- roles

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.roles.become('follower');
  }

  becomePreCandidate(): void {
    this.roles.become('pre-candidate');
    // Neither term nor vote change: a failed pre-election leaves no trace (§9.6).
    this.votes = new Map();
    this.lead = NONE;
  }

  becomeCandidate(): void {
    this.roles.become('candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
  }

  becomeLeader(): void {
    this.roles.become('leader');
    this.reset(this.term);
    this.lead = this.id;
    this.prs.get(this.id)!.becomeReplicate();
    // Conf changes wait until this term's first entry is applied: the fix to single-member
    // membership changes (Ongaro, raft-dev 2015).
    this.pendingConfIndex = this.log.lastIndex();
    const appended = this.appendEntries([{ term: 0, index: 0, type: 0, data: EMPTY }]);
    assert(appended, 'leader could not append its empty entry');
    bcastAppend(this);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.ackedIndex = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.prng.int(this.cfg.electionTicks);
    this.leadTransferee = NONE;
    this.votes = new Map();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.prs) {
      const fresh =
        new Progress(last + 1, this.cfg.maxInflightMsgs, pr.isLearner, this.cfg.maxInflightBytes);
      if (id === this.id) fresh.match = last;
      this.prs.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly.reset();
    this.pendingReadIndex = [];
  }

  // ---------------------------------------------------------------- log

  /** appendEntries appends proposals on the leader; false when the uncommitted budget is spent. */
  appendEntries(es: Entry[]): boolean {
    const size = es.reduce((n, e) => n + entrySizeBytes(e), 0);
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + size > this.cfg.maxUncommittedBytes) return false;
    this.uncommittedBytes += size;
    let li = this.log.lastIndex();
    for (const e of es) {
      e.term = this.term;
      e.index = ++li;
    }
    li = this.log.append(es);
    this.prs.get(this.id)!.maybeUpdate(li);
    this.maybeCommit();
    return true;
  }

  /** maybeCommit advances the commit index to what a majority stores (current term only). */
  maybeCommit(): boolean {
    const mci = committedIndex(this.voters, (id) => this.prs.get(id)?.match ?? 0);
    return this.log.maybeCommit(mci, this.term);
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  reduceUncommittedBytes(ents: readonly Entry[]): void {
    if (this.uncommittedBytes === 0) return;
    const size = ents.reduce((n, e) => n + entrySizeBytes(e), 0);
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes - size);
  }

  // ---------------------------------------------------------------- configuration

  /** applyConfState replaces the membership (at start, or from a snapshot). */
  applyConfState(cs: ConfState): void {
    const next = new Map<number, Progress>();
    const last = this.log.lastIndex();
    const mk = (id: number, learner: boolean): Progress => {
      const pr = this.prs.get(id) ??
        new Progress(last + 1, this.cfg.maxInflightMsgs, learner, this.cfg.maxInflightBytes);
      pr.isLearner = learner;
      if (id === this.id) pr.match = Math.max(pr.match, last);
      return pr;
    };
    for (const id of cs.voters) next.set(id, mk(id, false));
    for (const id of cs.learners) if (!next.has(id)) next.set(id, mk(id, true));
    this.prs = next;
    this.voters = [...cs.voters].sort((a, b) => a - b);
    this.learners = [...cs.learners].filter((id) => !cs.voters.includes(id)).sort((a, b) => a - b);
  }

  confState(): ConfState {
    return { voters: [...this.voters], learners: [...this.learners] };
  }

  /** afterConfChange re-evaluates commitment: removing a voter can shrink the quorum. */
  afterConfChange(): void {
    if (this.role !== 'leader') return;
    if (this.leadTransferee !== NONE && !this.prs.has(this.leadTransferee)) this.leadTransferee = NONE;
    if (!this.prs.has(this.id) || this.prs.get(this.id)!.isLearner) {
      // Removed (or demoted) leader: step down so the remaining voters elect a new one.
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.maybeCommit()) bcastAppend(this);
    else bcastHeartbeat(this);
  }
}
