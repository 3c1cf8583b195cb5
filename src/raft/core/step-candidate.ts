/**
 * Candidates and pre-candidates: count votes, and yield to a leader of our term if one appears.
 */
import type { Raft } from './raft.js';
import { handleAppend, handleHeartbeat, handleSnapshot } from './step-follower.js';
import { MessageType as T, NONE, type Message, type ProposalRejection } from './types.js';

export function stepCandidate(r: Raft, m: Message): ProposalRejection | null {
  const myVoteResp = r.role === 'pre-candidate' ? T.MESSAGE_TYPE_PRE_VOTE_RESP : T.MESSAGE_TYPE_VOTE_RESP;
  switch (m.type) {
    case T.MESSAGE_TYPE_PROP:
      return { reason: 'no-leader' };
    case T.MESSAGE_TYPE_READ_INDEX:
      return { reason: 'no-leader' };
    case T.MESSAGE_TYPE_APP:
      r.becomeFollower(m.term, m.from);
      handleAppend(r, m);
      return null;
    case T.MESSAGE_TYPE_HEARTBEAT:
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return null;
    case T.MESSAGE_TYPE_SNAP:
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return null;
    case myVoteResp: {
      const result = r.poll(m.from, !m.reject);
      if (result === 'won') {
        if (r.role === 'pre-candidate') r.campaign('election');
        else r.becomeLeader();
      } else if (result === 'lost') {
        // A pre-candidate may have seen a higher term in a rejection: it already became a
        // follower of that term in step(); otherwise stay in our term.
        r.becomeFollower(r.term, NONE);
      }
      return null;
    }
    default:
      return null;
  }
}
