/**
 * The leader's half of Raft: replication with pipelining and flow control, commitment, heartbeats,
 * CheckQuorum, ReadIndex, leadership transfer and snapshots for followers that fell behind.
 */
import type { Progress } from './progress.js';
import { quorumSize } from './quorum.js';
import type { Raft } from './raft.js';
import {
  ConfChange as ConfChangeCodec,
} from '../../gen/k8ts/raft/v1/raft.js';
import {
  ConfChangeType,
  EMPTY,
  EntryType,
  MessageType as T,
  NONE,
  entrySizeBytes,
  message,
  type Message,
  type ProposalRejection,
} from './types.js';

export function stepLeader(r: Raft, m: Message): ProposalRejection | null {
  switch (m.type) {
    case T.MESSAGE_TYPE_BEAT:
      for (const pr of r.prs.values()) pr.ackedSinceBeat = false;
      bcastHeartbeat(r);
      return null;
    case T.MESSAGE_TYPE_CHECK_QUORUM:
      checkQuorum(r);
      return null;
    case T.MESSAGE_TYPE_PROP:
      return propose(r, m);
    case T.MESSAGE_TYPE_READ_INDEX:
      readIndex(r, m);
      return null;
    default:
      break;
  }
  const pr = r.prs.get(m.from);
  if (!pr) return null;
  switch (m.type) {
    case T.MESSAGE_TYPE_APP_RESP:
      pr.recentActive = true;
      if (m.reject) handleAppendReject(r, m);
      else {
        pr.ackedSinceBeat = true;
        handleAppendAck(r, m);
      }
      break;
    case T.MESSAGE_TYPE_HEARTBEAT_RESP:
      handleHeartbeatResp(r, m);
      break;
    case T.MESSAGE_TYPE_SNAP_STATUS:
      if (pr.state !== 'snapshot') break;
      if (m.reject) pr.pendingSnapshot = 0;
      pr.becomeProbe();
      // Wait for the follower's answer (or a heartbeat response) before probing again.
      pr.probeSent = true;
      break;
    case T.MESSAGE_TYPE_UNREACHABLE:
      if (pr.state === 'replicate') pr.becomeProbe();
      break;
    case T.MESSAGE_TYPE_TRANSFER_LEADER:
      transferLeader(r, m.from);
      break;
  }
  return null;
}

/** checkQuorum steps down a leader that has not heard from a quorum within an election timeout:
 *  it may be partitioned away, and clients must not be served by it. */
function checkQuorum(r: Raft): void {
  let active = 0;
  for (const id of r.voters) {
    const pr = r.prs.get(id)!;
    if (id === r.id || pr.recentActive) active++;
  }
  for (const [id, pr] of r.prs) if (id !== r.id) pr.recentActive = false;
  if (active < quorumSize(r.voters.length)) r.becomeFollower(r.term, NONE);
}

function propose(r: Raft, m: Message): ProposalRejection | null {
  if (m.entries.length === 0) return null;
  if (!r.prs.has(r.id)) return { reason: 'no-leader' }; // removed from the group
  if (r.leadTransferee !== NONE) return { reason: 'transferring', leader: r.id };
  for (const e of m.entries) {
    if (e.type !== EntryType.ENTRY_TYPE_CONF_CHANGE) continue;
    if (r.pendingConfIndex > r.log.applied) return { reason: 'conf-change-pending' };
    const cc = ConfChangeCodec.decode(e.data);
    if (cc.type === ConfChangeType.CONF_CHANGE_TYPE_REMOVE && r.voters.length === 1 && r.voters[0] === cc.nodeId) {
      return { reason: 'conf-change-pending' }; // never remove the last voter
    }
  }
  const entries = m.entries.map((e) => ({ ...e }));
  if (!r.appendEntries(entries)) return { reason: 'too-large' };
  for (const e of entries) if (e.type === EntryType.ENTRY_TYPE_CONF_CHANGE) r.pendingConfIndex = e.index;
  bcastAppend(r);
  return null;
}

function readIndex(r: Raft, m: Message): void {
  if (r.voters.length === 1) {
    respondRead(r, m, r.log.committed);
    return;
  }
  // Until an entry of this term commits, the leader's commit index may lag the true one (§6.4).
  if (!r.committedEntryInCurrentTerm()) {
    if (r.pendingReadIndex.length < 4096) r.pendingReadIndex.push(m);
    return;
  }
  startReadRound(r, m);
}

function startReadRound(r: Raft, m: Message): void {
  if (!r.readOnly.addRequest(r.log.committed, m)) return; // queue full: the client times out
  r.readOnly.recvAck(r.id, m.context);
  bcastHeartbeat(r, m.context);
}

/** releasePendingReads starts the rounds that waited for this term's first commit. */
export function releasePendingReads(r: Raft): void {
  if (r.pendingReadIndex.length === 0 || !r.committedEntryInCurrentTerm()) return;
  const pending = r.pendingReadIndex;
  r.pendingReadIndex = [];
  for (const m of pending) startReadRound(r, m);
}

function respondRead(r: Raft, req: Message, index: number): void {
  if (req.from === NONE || req.from === r.id) {
    r.readStates.push({ index, context: req.context });
  } else {
    r.send(message({ type: T.MESSAGE_TYPE_READ_INDEX_RESP, to: req.from, index, context: req.context }));
  }
}

function handleAppendReject(r: Raft, m: Message): void {
  const pr = r.prs.get(m.from)!;
  // The follower told us where its log might match (rejectHint) and that entry's term (logTerm):
  // skip every entry of ours from a newer term in one step.
  let next = m.rejectHint;
  if (m.logTerm > 0) next = r.log.findConflictByTerm(m.rejectHint, m.logTerm);
  if (pr.maybeDecrTo(m.index, next)) {
    if (pr.state === 'replicate') pr.becomeProbe();
    sendAppend(r, m.from);
  }
}

function handleAppendAck(r: Raft, m: Message): void {
  const pr = r.prs.get(m.from)!;
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index)) return;
  if (pr.state === 'probe') pr.becomeReplicate();
  else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);

  if (r.maybeCommit()) {
    releasePendingReads(r);
    bcastAppend(r);
  } else if (wasPaused) {
    sendAppend(r, m.from);
  }
  // Fill the window: keep sending while entries remain and the window allows.
  for (let i = 0; i < r.cfg.maxInflightMsgs && maybeSendAppend(r, m.from, false); i++);
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResp(r: Raft, m: Message): void {
  const pr = r.prs.get(m.from)!;
  pr.recentActive = true;
  pr.probeSent = false;
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex() && !inFlow(r, pr)) sendAppend(r, m.from);
  if (m.context.length === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (!acks) return;
  let voterAcks = 0;
  for (const id of acks) if (r.voters.includes(id)) voterAcks++;
  if (voterAcks < quorumSize(r.voters.length)) return;
  for (const rs of r.readOnly.advance(m.context)) respondRead(r, rs.req, rs.index);
}

/**
 * inFlow: the follower is behind only by appends already on their way (replicate state, nothing
 * left unsent, an ack since the last heartbeat tick). A heartbeat response then needs no append:
 * the one it would send is empty — under load, one more message and ack per follower per tick.
 * A follower whose acks stopped (an append lost) is sent it at the next heartbeat's response.
 */
function inFlow(r: Raft, pr: Progress): boolean {
  return pr.state === 'replicate' && pr.next > r.log.lastIndex() && pr.ackedSinceBeat;
}

function transferLeader(r: Raft, to: number): void {
  const pr = r.prs.get(to);
  if (!pr || pr.isLearner || to === r.id) return;
  if (r.leadTransferee === to) return;
  r.leadTransferee = to;
  // The transfer must finish within an election timeout or it is abandoned (tickHeartbeat).
  r.electionElapsed = 0;
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, to);
  else sendAppend(r, to);
}

function sendTimeoutNow(r: Raft, to: number): void {
  r.send(message({ type: T.MESSAGE_TYPE_TIMEOUT_NOW, to }));
}

export function bcastAppend(r: Raft): void {
  for (const id of r.prs.keys()) if (id !== r.id) sendAppend(r, id);
}

export function bcastHeartbeat(r: Raft, ctx?: Buffer): void {
  const context = ctx ?? r.readOnly.lastPendingContext();
  for (const [id, pr] of r.prs) {
    if (id === r.id) continue;
    // Never tell a follower to commit beyond what it is known to store.
    const commit = Math.min(pr.match, r.log.committed);
    r.send(message({ type: T.MESSAGE_TYPE_HEARTBEAT, to: id, commit, context: context ?? EMPTY }));
  }
}

export function sendAppend(r: Raft, to: number): void {
  maybeSendAppend(r, to, true);
}

/** maybeSendAppend sends the next batch of entries to `to` (or a snapshot when they are compacted
 *  away). Returns whether a message was sent. */
export function maybeSendAppend(r: Raft, to: number, sendIfEmpty: boolean): boolean {
  const pr = r.prs.get(to)!;
  if (pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  const ents = r.log.entries(pr.next, r.cfg.maxSizePerMsgBytes);
  if (prevTerm === undefined || ents === undefined) return sendSnapshot(r, to);
  if (ents.length === 0 && !sendIfEmpty) return false;
  r.send(message({ type: T.MESSAGE_TYPE_APP, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: r.log.committed }));
  if (pr.state === 'replicate' && ents.length > 0) {
    const last = ents[ents.length - 1]!.index;
    pr.optimisticUpdate(last);
    pr.inflights.add(last, ents.reduce((n, e) => n + entrySizeBytes(e), 0));
  } else if (pr.state === 'probe') {
    pr.probeSent = true;
  }
  return true;
}

function sendSnapshot(r: Raft, to: number): boolean {
  const pr = r.prs.get(to)!;
  if (!pr.recentActive) return false; // do not ship a snapshot to a member that may be down
  const snap = r.log.snapshot();
  const index = snap.metadata?.index ?? 0;
  if (index === 0) return false; // the state machine has not taken one yet
  r.send(message({ type: T.MESSAGE_TYPE_SNAP, to, snapshot: snap }));
  pr.becomeSnapshot(index);
  return true;
}
