/**
 * etcd's client-facing errors, with etcd 3.4's gRPC codes and exact texts: clientv3 maps a status
 * back to its error by the message string, so the text is part of the wire contract
 * (reference/etcd-api.md §1). Pure: the gRPC layer turns an EtcdError into a status.
 */
import { status } from '@grpc/grpc-js';

/** EtcdError is an error a client should see as etcd would send it. */
export class EtcdError extends Error {
  override name = 'EtcdError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

const e = (code: status, message: string) => (): EtcdError => new EtcdError(code, message);

/** The catalog: call the function to get a fresh error (stacks point at the thrower). */
export const etcdErrors = {
  emptyKey: e(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  keyNotFound: e(status.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: e(status.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: e(status.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: e(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  duplicateKey: e(status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  requestTooLarge: e(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  compacted: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRevision: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  noSpace: e(status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),
  leaseNotFound: e(status.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExists: e(status.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTTLTooLarge: e(status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  memberExists: e(status.FAILED_PRECONDITION, 'etcdserver: member ID already exist'),
  peerURLExists: e(status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  memberNotEnoughStarted: e(status.FAILED_PRECONDITION, 'etcdserver: re-configuration failed due to not enough started members'),
  memberBadURLs: e(status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  memberNotFound: e(status.NOT_FOUND, 'etcdserver: member not found'),
  memberNotLearner: e(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  learnerNotReady: e(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader'),
  tooManyLearners: e(status.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'),
  notLeader: e(status.FAILED_PRECONDITION, 'etcdserver: not leader'),
  badLeaderTransferee: e(status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  noLeader: e(status.UNAVAILABLE, 'etcdserver: no leader'),
  leaderChanged: e(status.UNAVAILABLE, 'etcdserver: leader changed'),
  stopped: e(status.UNAVAILABLE, 'etcdserver: server stopped'),
  timeout: e(status.UNAVAILABLE, 'etcdserver: request timed out'),
  timeoutDueToLeaderFail: e(status.UNAVAILABLE, 'etcdserver: request timed out, possibly due to previous leader failure'),
  timeoutDueToConnectionLost: e(status.UNAVAILABLE, 'etcdserver: request timed out, possibly due to connection lost'),
  tooManyRequests: e(status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'),
  notCapable: e(status.UNAVAILABLE, 'etcdserver: not capable'),
  unhealthy: e(status.UNAVAILABLE, 'etcdserver: unhealthy cluster'),
  corrupt: e(status.DATA_LOSS, 'etcdserver: corrupt cluster'),
} as const;

/** The limits etcd 3.4 applies by default (reference/etcd-api.md §2.12). */
export const ETCD_LIMITS = {
  maxTxnOps: 128,
  maxRequestBytes: 1.5 * 1024 * 1024,
  /** quota-backend-bytes default: 2 GiB. */
  quotaBytes: 2 * 1024 * 1024 * 1024,
  /** The longest lease TTL a client may ask for, in seconds. */
  maxLeaseTTL: 9_000_000_000,
  /** --snapshot-count: applied entries between snapshots. A snapshot copies the whole state, so
   *  taking one as rarely as etcd does keeps its cost off the write path. */
  snapshotCount: 100_000,
} as const;
