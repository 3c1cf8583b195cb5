/**
 * Followers: accept the leader's log, forward proposals and reads to it, campaign on TimeoutNow.
 */
import type { Raft } from './raft.js';
import { MessageType as T, NONE, message, type Message, type ProposalRejection } from './types.js';

export function stepFollower(r: Raft, m: Message): ProposalRejection | null {
  switch (m.type) {
    case T.MESSAGE_TYPE_PROP:
      if (r.lead === NONE) return { reason: 'no-leader' };
      if (r.cfg.disableProposalForwarding) return { reason: 'not-leader', leader: r.lead };
      r.send({ ...m, to: r.lead });
      return null;
    case T.MESSAGE_TYPE_APP:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppend(r, m);
      return null;
    case T.MESSAGE_TYPE_HEARTBEAT:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return null;
    case T.MESSAGE_TYPE_SNAP:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return null;
    case T.MESSAGE_TYPE_TRANSFER_LEADER:
      if (r.lead === NONE) return null;
      r.send({ ...m, to: r.lead });
      return null;
    case T.MESSAGE_TYPE_TIMEOUT_NOW:
      // The leader chose us: campaign now, skipping PreVote, with the transfer flag so voters
      // inside their leader lease still answer.
      r.hup(true);
      return null;
    case T.MESSAGE_TYPE_READ_INDEX:
      if (r.lead === NONE) return { reason: 'no-leader' };
      r.send({ ...m, to: r.lead });
      return null;
    case T.MESSAGE_TYPE_READ_INDEX_RESP:
      r.readStates.push({ index: m.index, context: m.context });
      return null;
    default:
      return null;
  }
}

export function handleAppend(r: Raft, m: Message): void {
  if (m.index < r.log.committed) {
    r.send(message({ type: T.MESSAGE_TYPE_APP_RESP, to: m.from, index: r.log.committed }));
    return;
  }
  const committedBefore = r.log.committed;
  const lastNew = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    if (isCommitOnlyRepeat(r, m, lastNew, committedBefore)) return;
    r.ackedIndex = Math.max(r.ackedIndex, lastNew);
    r.send(message({ type: T.MESSAGE_TYPE_APP_RESP, to: m.from, index: lastNew }));
    return;
  }
  // Mismatch at m.index: hint the largest index whose term is <= the leader's term there, so the
  // leader skips our divergent suffix a term at a time instead of an entry at a time.
  const hintIndex = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  const hintTerm = r.log.term(hintIndex) ?? 0;
  r.send(message({ type: T.MESSAGE_TYPE_APP_RESP, to: m.from, index: m.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm }));
}

/**
 * isCommitOnlyRepeat: the append carried no entries, only a commit index that moved ours, and we
 * already acknowledged its index to this leader. Its answer would tell the leader nothing (its
 * match for us is at least that index, or that ack is still on its way), yet costs a frame each
 * way: the leader sends such an append to every follower after each commit advance, so under
 * load it was half of a follower's acks. etcd's followers answer every append; skipping this one
 * is safe because an ack only ever raises the leader's view of our log. Liveness: an ack lost
 * with a broken stream is re-asked by the leader's heartbeat-response append, and that append
 * moves our commit only while the leader commits without us; once it cannot, we answer.
 */
function isCommitOnlyRepeat(r: Raft, m: Message, lastNew: number, committedBefore: number): boolean {
  return m.entries.length === 0 && lastNew <= r.ackedIndex && r.log.committed > committedBefore;
}

export function handleHeartbeat(r: Raft, m: Message): void {
  r.log.commitTo(Math.min(m.commit, r.log.lastIndex()));
  r.send(message({ type: T.MESSAGE_TYPE_HEARTBEAT_RESP, to: m.from, context: m.context }));
}

export function handleSnapshot(r: Raft, m: Message): void {
  const snap = m.snapshot;
  const meta = snap?.metadata;
  if (!snap || !meta) return;
  if (restore(r, m)) {
    r.send(message({ type: T.MESSAGE_TYPE_APP_RESP, to: m.from, index: r.log.lastIndex() }));
  } else {
    r.send(message({ type: T.MESSAGE_TYPE_APP_RESP, to: m.from, index: r.log.committed }));
  }
}

/** restore installs a snapshot unless our log already covers it. */
function restore(r: Raft, m: Message): boolean {
  const snap = m.snapshot!;
  const meta = snap.metadata!;
  if (meta.index <= r.log.committed) return false;
  if (r.log.matchTerm(meta.index, meta.term)) {
    // We have the entry the snapshot ends with: just fast-forward the commit index.
    r.log.commitTo(meta.index);
    return false;
  }
  r.log.restore(snap);
  r.applyConfState(meta.confState ?? { voters: [], learners: [] });
  return true;
}
