/**
 * RaftMemberService, the client-facing API of one member (propose, read, status, transfer,
 * membership), over the RaftNode driver. Driver errors become typed RPC errors here, once:
 * - no leader while campaigning, or a transfer under way: UNAVAILABLE (retry soon);
 * - forwarding off, or no leader known: FAILED_PRECONDITION "not leader; leader=<id> <address>";
 * - a request whose fate is unknown (deadline, leader change): DEADLINE_EXCEEDED.
 */
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Clock } from '../base/clock.js';
import type { MemberStatus, RaftMemberServiceServer } from '../gen/k8ts/raft/v1/member.js';
import { remainingMs } from '../rpc/defaults.js';
import {
  DeadlineRpcError,
  NotLeaderRpcError,
  RpcError,
  UnavailableRpcError,
  toServiceError,
} from '../rpc/errors.js';
import { ConfChangeType } from './core/types.js';
import { BusyError, NotLeaderError, ProposalLostError, confChange, type RaftNode } from './node.js';

/** MemberHandle is what the service needs from its member. */
export interface MemberHandle {
  node: RaftNode;
  name: string;
  clock: Clock;
  tickMs: number;
  /** Longest a request may wait when its caller set no deadline. */
  maxRequestMs: number;
  /** kick schedules node.process() after an input (group commit: once per event-loop turn). */
  kick(): void;
  addressOf(id: number): string;
  /** stateDigest fingerprints the state machine (compared across replicas). */
  stateDigest(): string;
}

export function memberService(m: MemberHandle): RaftMemberServiceServer {
  return {
    propose: (call, cb) => answer(call, cb, m, () => m.node.propose(call.request.data), (c) => c),
    readIndex: (call, cb) => answer(call, cb, m, () => m.node.readIndex(), (index) => ({ index })),
    status: (_call, cb) => cb(null, { status: memberStatus(m) }),
    transferLeader: (call, cb) => answer(call, cb, m, () => transfer(m, call.request.to, deadlineOf(call, m)), (leader) => ({ leader })),
    changeMembership: (call, cb) => {
      const { op, nodeId, address } = call.request;
      const type = CONF_OPS[op];
      if (type === undefined || nodeId <= 0 || (op === 'add-learner' && address === '')) {
        cb({ code: status.INVALID_ARGUMENT, details: `bad membership change: op=${op} node=${nodeId} address=${address} (op is add-learner, promote or remove; add-learner needs an address)` });
        return;
      }
      answer(call, cb, m, () => m.node.changeMembership(confChange(type, nodeId, address)), (cs) => ({ voters: cs.voters, learners: cs.learners }));
    },
  };
}

const CONF_OPS: Record<string, ConfChangeType | undefined> = {
  'add-learner': ConfChangeType.CONF_CHANGE_TYPE_ADD_LEARNER,
  promote: ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER,
  remove: ConfChangeType.CONF_CHANGE_TYPE_REMOVE,
};

/** answer runs one request against the driver with the call's deadline and maps its outcome. */
function answer<Req, Res, V>(
  call: ServerUnaryCall<Req, Res>,
  cb: sendUnaryData<Res>,
  m: MemberHandle,
  run: () => Promise<V>,
  toResponse: (v: V) => Res,
): void {
  const timeoutMs = deadlineOf(call, m);
  let settled = false;
  const timer = m.clock.setTimeout(() => {
    if (settled) return;
    settled = true;
    cb(toServiceError(new DeadlineRpcError('deadline exceeded; the outcome is unknown')));
  }, timeoutMs);
  const finish = (err: unknown, v?: V): void => {
    if (settled) return;
    settled = true;
    timer.cancel();
    if (err === undefined) cb(null, toResponse(v as V));
    else cb(toServiceError(mapError(err, m)));
  };
  let p: Promise<V>;
  try {
    p = run();
  } catch (err) {
    finish(err);
    return;
  }
  m.kick();
  p.then((v) => finish(undefined, v), (err: unknown) => finish(err));
}

function deadlineOf<Req, Res>(call: ServerUnaryCall<Req, Res>, m: MemberHandle): number {
  return remainingMs(call.getDeadline(), m.maxRequestMs);
}

/** mapError turns driver errors into RPC errors; anything else is a bug and stays as it is. */
export function mapError(err: unknown, m: MemberHandle): unknown {
  if (err instanceof NotLeaderError) {
    const r = err.rejection;
    const role = m.node.status().role;
    switch (r.reason) {
      case 'not-leader':
        return new NotLeaderRpcError(r.leader, m.addressOf(r.leader));
      case 'no-leader':
        if (role === 'candidate' || role === 'pre-candidate') return new UnavailableRpcError('no leader: an election is in progress');
        return new NotLeaderRpcError(0, '');
      case 'transferring':
        return new UnavailableRpcError(`leadership transfer in progress (leader=${r.leader})`);
      case 'too-large':
        return new RpcError(status.RESOURCE_EXHAUSTED, 'proposal too large or too many uncommitted bytes');
      case 'conf-change-pending':
        return new UnavailableRpcError('another membership change is still pending');
    }
  }
  if (err instanceof BusyError) return new RpcError(status.RESOURCE_EXHAUSTED, err.message);
  if (err instanceof ProposalLostError) return new DeadlineRpcError(`${err.message}; the outcome is unknown`);
  return err;
}

/** transfer asks for a leadership hand-off and waits until this member sees `to` lead. */
function transfer(m: MemberHandle, to: number, timeoutMs: number): Promise<number> {
  m.node.transferLeader(to);
  const pollMs = Math.max(1, m.tickMs);
  return new Promise((resolve, reject) => {
    let waitedMs = 0;
    const t = m.clock.setInterval(() => {
      waitedMs += pollMs;
      const leader = m.node.status().leader;
      if (leader === to) {
        t.cancel();
        resolve(leader);
      } else if (waitedMs >= timeoutMs) {
        t.cancel();
        reject(new UnavailableRpcError(`leadership did not move to ${to} (leader=${leader})`));
      }
    }, pollMs);
  });
}

/** memberStatus is the Status answer: the driver's view plus membership and match indexes. */
export function memberStatus(m: MemberHandle): MemberStatus {
  const s = m.node.status();
  const match: Record<number, number> = {};
  for (const [id, p] of s.progress) match[id] = p.match;
  return {
    id: s.id,
    name: m.name,
    role: s.role,
    term: s.term,
    leader: s.leader,
    commit: s.commit,
    applied: s.applied,
    lastIndex: s.lastIndex,
    snapshotIndex: s.firstIndex - 1,
    voters: [...s.confState.voters],
    learners: [...s.confState.learners],
    match,
    stateDigest: m.stateDigest(),
  };
}
