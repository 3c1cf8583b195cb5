/**
 * How the store's failures reach etcd clients: every error a handler throws becomes the gRPC
 * status etcd 3.4 would send, with etcd's exact text (clientv3 matches on it). The Raft driver's
 * typed errors are translated here, once.
 */
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { BusyError, NotLeaderError, ProposalLostError } from '../../raft/node.js';
import { RpcError } from '../../rpc/errors.js';
import { EtcdError, etcdErrors } from '../errors.js';

/** LEADER_CHANGED is the reason the store gives RaftNode.abandonPending on a leader change. */
export const LEADER_CHANGED = 'leader changed';

/** toEtcdError maps anything a store operation threw to the error etcd would report. */
export function toEtcdError(err: unknown): EtcdError {
  if (err instanceof EtcdError) return err;
  if (err instanceof NotLeaderError) {
    switch (err.rejection.reason) {
      case 'no-leader':
      case 'not-leader':
        return etcdErrors.noLeader();
      case 'transferring':
        return etcdErrors.leaderChanged();
      case 'too-large':
        return etcdErrors.tooManyRequests();
      case 'conf-change-pending':
        return etcdErrors.unhealthy();
    }
  }
  if (err instanceof BusyError) return etcdErrors.tooManyRequests();
  // A call forwarded to the leader failed: its status already is etcd's.
  if (err instanceof RpcError) return new EtcdError(err.code, err.message);
  if (err instanceof ProposalLostError) {
    if (err.message === LEADER_CHANGED || err.message === 'leadership lost during read') return etcdErrors.leaderChanged();
    if (err.message === 'member stopped') return etcdErrors.stopped();
    return etcdErrors.timeout();
  }
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new EtcdError(status.INTERNAL, `k8ts store: ${text}`);
}

/** statusOf is the grpc-js status for a failed call. */
export function statusOf(err: unknown): Partial<StatusObject> {
  const e = toEtcdError(err);
  return { code: e.code, details: e.message, metadata: new Metadata() };
}
