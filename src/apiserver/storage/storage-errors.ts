/**
 * Store failures as Kubernetes Statuses. Clients branch on these codes: 410 means relist, 503
 * and 504 mean "try again", 500 means "something broke, maybe your write landed". The texts are
 * kube-apiserver's where it has one (apiserver/pkg/storage/etcd3/store.go, storage/errors.go).
 */
import { StatusError, gone, internalError, isStatusError } from '../../api/errors.js';
import { CompactedError, EtcdClientError, type ErrorKind } from '../../store/client/index.js';

/** The Status message of a list at a compacted revision (upstream's `expired`). */
export const LIST_EXPIRED = 'The resourceVersion for the provided list is too old.';

/** The Status message of a continue token whose revision was compacted (upstream's text). */
export const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can ' +
  'start a new list without the continue parameter, or use the continue token in this response ' +
  'to retrieve the remainder of the results. Continuing with the provided token results in an ' +
  'inconsistent list - objects that were created, modified, or deleted between the time the ' +
  'first chunk was returned and now may show up in the list.';

/**
 * tooLargeResourceVersion: 504 Timeout, what kube-apiserver answers when a client asks for a
 * revision the server has not seen yet (storage.NewTooLargeResourceVersionError); clients retry.
 */
export function tooLargeResourceVersion(
  minimum: number,
  current: number,
  retrySeconds = 1,
): StatusError {
  const msg = `Timeout: Too large resource version: ${minimum}, current: ${current}`;
  return new StatusError(504, 'Timeout', msg, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: retrySeconds,
  });
}

/** expiredWatch: 410 Expired for a watch from before the cache's history (upstream's text). */
export function expiredWatch(requested: number, oldest: number): StatusError {
  return gone(`too old resource version: ${requested} (${oldest})`);
}

/** Kinds after which the store provably did not answer: the client should come back later. */
const UNAVAILABLE: ReadonlySet<ErrorKind> = new Set([
  'noLeader',
  'unavailable',
  'closed',
  'stopped',
  'notCapable',
  'unhealthy',
  'tooManyRequests',
]);

/** Kinds of a request that timed out inside the store (kube-apiserver shows them as 500). */
const TIMED_OUT: ReadonlySet<ErrorKind> = new Set([
  'timeout',
  'timeoutDueToLeaderFail',
  'timeoutDueToConnectionLost',
  'leaderChanged',
  'deadline',
]);

/**
 * toStatusError maps anything a store call threw. StatusErrors pass through (they come from an
 * UpdateFn or a check). Compaction is the caller's business (the message differs per verb), so
 * here it is a plain 410.
 */
export function toStatusError(err: unknown): StatusError {
  if (isStatusError(err)) return err;
  if (err instanceof CompactedError) return gone(LIST_EXPIRED);
  if (!(err instanceof EtcdClientError)) {
    return internalError(err instanceof Error ? err.message : String(err));
  }
  if (err.kind === 'outcomeUnknown') {
    const why = 'the store did not confirm the write, which may or may not have been applied';
    return internalError(`${why}: ${err.message}`);
  }
  if (err.kind === 'futureRevision') return tooLargeResourceVersion(0, 0);
  if (err.kind === 'requestTooLarge') {
    const msg = `Request entity too large: ${err.message}`;
    return new StatusError(413, 'RequestEntityTooLarge', msg);
  }
  if (UNAVAILABLE.has(err.kind)) {
    return new StatusError(503, 'ServiceUnavailable', err.message, { retryAfterSeconds: 1 });
  }
  if (TIMED_OUT.has(err.kind)) {
    return new StatusError(500, 'InternalError', err.message, { retryAfterSeconds: 1 });
  }
  return internalError(err.message);
}
