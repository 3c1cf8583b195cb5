/**
 * The client's typed errors. etcd's clients map a status back to its error by the message text
 * (reference/etcd-api.md §1), so kinds are looked up by the exact texts of the store's error
 * catalog (src/store/errors.ts); statuses without an etcd text become connection-level kinds.
 *
 * Every failed attempt is also classified for the retry loop (see `attemptOutcome`): whether the
 * request provably was not applied, might have been, or failed for good.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { NOT_SENT_DETAILS } from '../../rpc/errors.js';
import { etcdErrors } from '../errors.js';

/** EtcdErrorKind names an etcd error by its catalog entry (src/store/errors.ts). */
export type EtcdErrorKind = keyof typeof etcdErrors;

/** ClientErrorKind names the failures that are the client's own, not etcd texts. */
export type ClientErrorKind =
  /** No member could be reached (connection refused, never established, dropped or reset). */
  | 'unavailable'
  /** The request deadline passed before any answer (for reads and other idempotent calls). */
  | 'deadline'
  /** A write may or may not have been applied; see OutcomeUnknownError. */
  | 'outcomeUnknown'
  /** The client was closed, or the caller canceled the call or watch. */
  | 'closed'
  /** A watch was canceled by the server for a reason the client cannot recover from. */
  | 'watchCanceled'
  /** Any other status: its gRPC code and details are kept on the error. */
  | 'other';

export type ErrorKind = EtcdErrorKind | ClientErrorKind;

/** EtcdClientError is every error the client throws: `kind` says what happened, `code` is the
 *  gRPC status it came from (UNKNOWN for client-side failures). */
export class EtcdClientError extends Error {
  override name = 'EtcdClientError';
  constructor(
    readonly kind: ErrorKind,
    readonly code: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** CompactedError: the requested revision is gone (a Range at it, or a watch canceled with
 *  compact_revision). The API server answers 410 Gone and the watcher relists. `compactRevision`
 *  is the store's compaction revision when the server said (watches), else 0. */
export class CompactedError extends EtcdClientError {
  override name = 'CompactedError';
  constructor(
    message: string,
    readonly compactRevision: number,
    options?: { cause?: unknown },
  ) {
    super('compacted', status.OUT_OF_RANGE, message, options);
  }
}

/** OutcomeUnknownError: a write was sent and the answer was lost (connection dropped, deadline,
 *  "request timed out", "leader changed"): it may have been applied or not. The client never
 *  retries it blindly; the caller re-reads (kube-apiserver's GuaranteedUpdate loop does). */
export class OutcomeUnknownError extends EtcdClientError {
  override name = 'OutcomeUnknownError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('outcomeUnknown', status.UNKNOWN, message, options);
  }
}

const BY_TEXT: ReadonlyMap<string, EtcdErrorKind> = new Map(
  (Object.keys(etcdErrors) as EtcdErrorKind[]).map((k) => [etcdErrors[k]().message, k]),
);

/** etcdKindOf returns the catalog kind whose text is exactly `details`, if any. */
export function etcdKindOf(details: string): EtcdErrorKind | undefined {
  return BY_TEXT.get(details);
}

/** fromStatus maps a gRPC status to the typed error (etcd texts first, then codes). */
export function fromStatus(code: status, details: string, cause?: unknown): EtcdClientError {
  const kind = etcdKindOf(details);
  if (kind === 'compacted') return new CompactedError(details, 0, { cause });
  if (kind !== undefined) return new EtcdClientError(kind, code, details, { cause });
  if (code === status.UNAVAILABLE) return new EtcdClientError('unavailable', code, details, { cause });
  if (code === status.DEADLINE_EXCEEDED) return new EtcdClientError('deadline', code, details, { cause });
  // The client cancels nothing of its own while open: CANCELLED is a member resetting the call.
  if (code === status.CANCELLED) return new EtcdClientError('unavailable', code, details, { cause });
  return new EtcdClientError('other', code, details, { cause });
}

/** fromServiceError maps what grpc-js reports for a failed call. */
export function fromServiceError(err: ServiceError): EtcdClientError {
  return fromStatus(err.code, err.details ?? err.message, err);
}

/**
 * AttemptOutcome classifies one failed attempt for the retry loop:
 * - 'notApplied': the request provably did not change anything, so any request may be retried
 *   (on another member): the connection was never established, or the member refused it before
 *   proposing it to Raft;
 * - 'maybeApplied': the request may have reached the log; only idempotent requests may be
 *   retried, a write becomes OutcomeUnknownError;
 * - 'final': an answer about the request itself (bad input, compacted, lease not found, no
 *   space...): retrying cannot change it.
 */
export type AttemptOutcome = 'notApplied' | 'maybeApplied' | 'final';

/**
 * Rejections etcd makes before a request is proposed, so nothing was applied:
 * - "no leader": the hasleader check runs in the server's interceptor before the handler;
 * - "not capable": the capability check, same interceptor;
 * - "too many requests": checked against the apply backlog before proposing;
 * - "raft proposal dropped" (code UNKNOWN, not in the catalog): raft refused the proposal.
 * Deliberately NOT here: "leader changed", "request timed out…" and "server stopped" — etcd
 * returns them after proposing, when the entry may still commit.
 */
const PRE_PROPOSAL: ReadonlySet<ErrorKind> = new Set(['noLeader', 'notCapable', 'tooManyRequests']);
const PROPOSAL_DROPPED = 'raft proposal dropped';

/** Transient answers after which a read may simply be asked again (elsewhere). */
const TRANSIENT: ReadonlySet<ErrorKind> = new Set([
  'leaderChanged',
  'stopped',
  'timeout',
  'timeoutDueToLeaderFail',
  'timeoutDueToConnectionLost',
  'unhealthy',
  'unavailable',
  'deadline',
]);

/** Statuses without an etcd text that transports produce mid-call (GOAWAY, a broken frame):
 *  the call may have reached the member. */
const TRANSPORT_CODES: ReadonlySet<status> = new Set([
  status.RESOURCE_EXHAUSTED,
  status.INTERNAL,
  status.UNKNOWN,
  status.ABORTED,
]);

/** grpc's own size check: the member refused the message before any handler ran. */
const TOO_LARGE_FOR_GRPC = /message larger than max/;


/** NotSentError: the client gave up on a member before sending anything (it was not ready
 *  within the dial timeout, or its channel was in transient failure). */
export class NotSentError extends EtcdClientError {
  override name = 'NotSentError';
  constructor(endpoint: string, why: string) {
    super('unavailable', status.UNAVAILABLE, `${endpoint}: not connected (${why})`);
  }
}

/** attemptOutcome classifies a failed attempt (see AttemptOutcome). */
export function attemptOutcome(err: EtcdClientError): AttemptOutcome {
  if (err instanceof NotSentError) return 'notApplied';
  if (PRE_PROPOSAL.has(err.kind)) return 'notApplied';
  if (err.code === status.UNKNOWN && err.message === PROPOSAL_DROPPED) return 'notApplied';
  if (err.code === status.UNAVAILABLE && NOT_SENT_DETAILS.test(err.message)) return 'notApplied';
  if (TRANSIENT.has(err.kind)) return 'maybeApplied';
  if (err.code === status.RESOURCE_EXHAUSTED && TOO_LARGE_FOR_GRPC.test(err.message)) return 'final';
  if (err.kind === 'other' && TRANSPORT_CODES.has(err.code)) return 'maybeApplied';
  return 'final';
}
