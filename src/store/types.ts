/**
 * The seams of the store, written down before the parts: the pure state machine (src/store/mvcc,
 * src/store/apply), the watch hub (src/store/watch) and the gRPC services (src/store/server) meet
 * only through these types. Revisions are plain numbers inside the store (they stay far below
 * 2^53); lease and member ids are bigint as on etcd's wire.
 */
import type {
  AlarmMember,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
} from '../gen/etcdserverpb/rpc.js';
import type { ConfChange } from '../gen/k8ts/raft/v1/raft.js';
import type { MemberRecord, StoreRequest, TraceContext } from '../gen/k8ts/store/v1/store.js';
import type { Event } from '../gen/mvccpb/kv.js';
import type { EtcdError } from './errors.js';

/** RevisionEvents is one applied revision as watchers see it: every event of one request, in
 *  the order the request made them, and the trace context of the request. */
export interface RevisionEvents {
  revision: number;
  events: Event[];
  trace: TraceContext | undefined;
}

/** ApplyOutcome is what applying one StoreRequest produced, for the member that proposed it.
 *  `response` is the etcd response message matching the request's op (PutResponse for put,
 *  TxnResponse for txn, ...) with header.revision set; the server fills the other header fields.
 *  `error` means nothing was applied and the revision did not move. */
export type ApplyOutcome = { response: { header?: ResponseHeader | undefined } } | { error: EtcdError };

/** LeaseInfo is a granted lease as the replicated state knows it (remaining time is the
 *  leader's business, see src/store/server/lessor.ts). */
export interface LeaseInfo {
  id: bigint;
  /** Granted TTL in seconds. */
  ttl: number;
}

/** StoreView is what every member may read locally (serializable reads, watches, status). */
export interface StoreView {
  /** The current revision (1 for a new store). */
  revision(): number;
  /** The revision of the last compaction (0 when never compacted). */
  compactRevision(): number;
  /** range serves a RangeRequest at its revision (0 = current); throws EtcdError compacted or
   *  future revision. The response's header has only revision set. */
  range(req: RangeRequest): RangeResponse;
  /** historyFrom returns whole revisions from `from` (inclusive) up to the current one, in order,
   *  stopping once at least maxEvents events were collected. Throws EtcdError compacted when
   *  `from` < compactRevision() (etcd's rule for watches: the events are gone; at exactly the
   *  compaction revision the versions compaction kept are returned). Events carry prevKv when the key had a
   *  previous version still kept (live events from onRevision carry it too); the watch layer
   *  drops it for watchers that did not ask for prev_kv. */
  historyFrom(from: number, maxEvents: number): RevisionEvents[];
  /** hashKV hashes every version with mod_revision <= rev (0 = current) kept since the last
   *  compaction: equal on every member that applied the same log. Throws compacted/future. */
  hashKV(rev: number): { hash: number; compactRevision: number; revision: number };
  leases(): LeaseInfo[];
  /** lease returns the lease and the keys attached to it, or undefined. */
  lease(id: bigint): (LeaseInfo & { keys: Buffer[] }) | undefined;
  /** leaseInfo is lease without the keys: O(1), for the leader's expiry checks and renewals,
   *  which must not sort a lease's thousands of keys (Events) each time they look. */
  leaseInfo(id: bigint): LeaseInfo | undefined;
  alarms(): AlarmMember[];
  /** Members as the log describes them (ids, peer URLs from conf changes; name and client URLs
   *  from MemberAttributes). Who votes is Raft's ConfState. */
  members(): MemberRecord[];
  /** Estimated bytes of the state (what etcd calls dbSize), for quota and Status. */
  sizeBytes(): number;
}

/** StoreState is the replicated state machine: deterministic, no I/O, no clock. */
export interface StoreState extends StoreView {
  /** apply applies one committed request at Raft index `index`. Requests were validated before
   *  proposing (src/store/apply/validate.ts); apply still refuses what only the state can judge
   *  (unknown lease, compacted revision, NOSPACE alarm) with an error and no change. */
  apply(index: number, req: StoreRequest): ApplyOutcome;
  /** applyConfChange records a committed membership change (context = the peer address). */
  applyConfChange(index: number, cc: ConfChange): void;
  /** The Raft index of the last applied entry (from apply, applyConfChange or restore). */
  appliedIndex(): number;
  snapshot(): Buffer;
  /** snapshotJob captures the state now and builds its image (what snapshot() returns) a slice
   *  at a time, so a large state is snapshotted without stalling the member. */
  snapshotJob(): { step(maxUnits: number): Buffer | undefined };
  restore(image: Buffer, index: number): void;
  /** Called synchronously after every apply that made a revision (not on restore). */
  onRevision: ((ev: RevisionEvents) => void) | undefined;
}
