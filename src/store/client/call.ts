/**
 * The unary call path: one request deadline, attempts on the current member, failover to the
 * next on connection failure, and retries only where they are safe (errors.ts: attemptOutcome).
 *
 * Why writes are never retried after they may have been sent: etcd applies a proposal once it
 * commits, even if the member that proposed it dies or the client's deadline passes; a retried
 * Put would then apply twice (a second revision, a second version bump) and a retried Txn could
 * see its own first write and take the other branch. So a write is retried only when the failure
 * proves it was not sent or was refused before proposing; otherwise the caller gets
 * OutcomeUnknownError and re-reads.
 */
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { assert } from '../../base/assert.js';
import { serviceError, type GrpcStatus } from '../../rpc/h2-client-status.js';
import { backoffMs, type BackoffPolicy } from './backoff.js';
import type { Conn, EndpointPool } from './endpoints.js';
import {
  attemptOutcome,
  EtcdClientError,
  fromServiceError,
  OutcomeUnknownError,
} from './errors.js';
import { status } from '@grpc/grpc-js';

/** CallSettings are the client-wide limits every call obeys. */
export interface CallSettings {
  dialTimeoutMs: number;
  requestTimeoutMs: number;
  /** One attempt of an idempotent call gets at most this long before the next member is tried
   *  (a follower that still believes in a dead leader holds a read until its own timeout). */
  attemptTimeoutMs: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  random: () => number;
}

/** CallSpec describes one logical request. */
export interface CallSpec {
  /** For messages: "Put /registry/pods/a". */
  what: string;
  /** Safe to repeat after an unknown outcome (reads, status queries). */
  idempotent: boolean;
  /** Send `hasleader: true`, so a member without a leader refuses at once ("no leader"). */
  requireLeader: boolean;
  /** W3C trace context sent as gRPC metadata `traceparent` (the k8ts store records it). */
  traceparent?: string | undefined;
  /** Only this member, one attempt: for per-member queries (status, hashKV). */
  endpoint?: string | undefined;
}

/** Invoke starts the gRPC call on a member (endpoints.ts unaryOn); it must call back exactly
 *  once, with an error or the response. */
export type Invoke<Res> = (
  conn: Conn,
  metadata: Metadata,
  timeoutMs: number,
  callback: (err: ServiceError | null, res?: Res) => void,
) => void;

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** metadataFor builds the request metadata for a spec. */
export function metadataFor(spec: Pick<CallSpec, 'requireLeader' | 'traceparent'>): Metadata {
  const md = new Metadata();
  if (spec.requireLeader) md.set('hasleader', 'true');
  if (spec.traceparent !== undefined) {
    assert(TRACEPARENT.test(spec.traceparent), `traceparent "${spec.traceparent}" is not W3C`);
    md.set('traceparent', spec.traceparent);
  }
  return md;
}

/** callWithRetry runs spec on the pool until it succeeds, fails for good, or the deadline. */
export async function callWithRetry<Res>(
  pool: EndpointPool,
  s: CallSettings,
  spec: CallSpec,
  invoke: Invoke<Res>,
): Promise<Res> {
  const started = Date.now();
  const deadlineAt = started + s.requestTimeoutMs;
  const metadata = metadataFor(spec);
  const attempts = spec.endpoint === undefined ? s.maxAttempts : 1;
  let last: EtcdClientError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const remainingMs = deadlineAt - Date.now();
    if (remainingMs <= 0) break;
    const conn = spec.endpoint === undefined ? pool.current() : pool.at(spec.endpoint);
    try {
      await pool.ready(conn, Math.min(s.dialTimeoutMs, remainingMs));
      const attemptMs = spec.idempotent ? Math.min(s.attemptTimeoutMs, remainingMs) : remainingMs;
      return await once(conn, metadata, Math.max(1, attemptMs), invoke);
    } catch (e) {
      const err = asClientError(e);
      const outcome = attemptOutcome(err);
      if (outcome === 'final') throw err;
      if (outcome === 'maybeApplied' && !spec.idempotent) {
        throw new OutcomeUnknownError(`${spec.what} via ${conn.endpoint}: outcome unknown: ${err.message}`, {
          cause: err,
        });
      }
      last = err;
      pool.failed(conn.endpoint);
      // The first pass over the members is immediate (another member is likely fine); after
      // that every member failed recently, so wait before asking again.
      const retry = attempt + 1 - pool.size;
      const waitMs = retry < 0 ? 0 : backoffMs(retry, s.backoff, s.random);
      if (Date.now() + waitMs >= deadlineAt) break;
      if (waitMs > 0) await sleep(waitMs);
    }
  }
  return giveUp(spec, started, last);
}

function giveUp(spec: CallSpec, startedMs: number, last: EtcdClientError | undefined): never {
  const tookMs = Date.now() - startedMs;
  if (!last) throw new EtcdClientError('deadline', status.DEADLINE_EXCEEDED, `${spec.what}: deadline after ${tookMs} ms`);
  // Only failures that allow a retry get here: for a write they all prove it was not applied.
  throw new EtcdClientError(last.kind, last.code, `${spec.what}: gave up after ${tookMs} ms: ${last.message}`, {
    cause: last,
  });
}

function once<Res>(conn: Conn, metadata: Metadata, timeoutMs: number, invoke: Invoke<Res>): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke(conn, metadata, timeoutMs, (err, res) => {
      if (err) reject(fromServiceError(err));
      else resolve(res as Res);
    });
  });
}

/** asClientError keeps typed errors and wraps anything else (a bug) so its message survives. */
export function asClientError(e: unknown): EtcdClientError {
  if (e instanceof EtcdClientError) return e;
  if (isServiceError(e)) return fromServiceError(e);
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new EtcdClientError('other', status.INTERNAL, message, { cause: e });
}

/** streamEndError: why a stream (Watch, LeaseKeepAlive) that ended with status s is broken; an
 *  OK status means the server closed a stream the client never ended, which ifOk describes. */
export function streamEndError(s: GrpcStatus, ifOk: () => EtcdClientError): EtcdClientError {
  return s.code === status.OK ? ifOk() : fromServiceError(serviceError(s));
}

function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number' && 'details' in e;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
