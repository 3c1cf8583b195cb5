/**
 * Status ↔ typed error mapping. Servers throw typed operating errors and toServiceError turns them
 * into gRPC statuses; clients turn statuses back into the same types with fromServiceError, so the
 * CLI handles "not leader" or "unavailable" without parsing strings anywhere else.
 */
import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';

/** RpcError is an operating error that travels as a gRPC status. */
export class RpcError extends Error {
  override name = 'RpcError';
  constructor(
    readonly code: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** NotLeaderRpcError: FAILED_PRECONDITION "not leader; leader=<id> <address>"; retry there. */
export class NotLeaderRpcError extends RpcError {
  override name = 'NotLeaderRpcError';
  constructor(
    readonly leaderId: number,
    readonly leaderAddress: string,
  ) {
    super(status.FAILED_PRECONDITION, `not leader; leader=${leaderId} ${leaderAddress}`.trimEnd());
  }
}

/** UnavailableRpcError: the member cannot serve now (an election runs, it is down); retry. */
export class UnavailableRpcError extends RpcError {
  override name = 'UnavailableRpcError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.UNAVAILABLE, message, options);
  }
}

/** DeadlineRpcError: the call's outcome is unknown (a proposal may still commit). */
export class DeadlineRpcError extends RpcError {
  override name = 'DeadlineRpcError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.DEADLINE_EXCEEDED, message, options);
  }
}

const NOT_LEADER = /^not leader; leader=(\d+)(?: (\S+))?/;

/**
 * NOT_SENT_DETAILS matches the UNAVAILABLE details of a call no server processed, so a write
 * may go elsewhere: grpc-js's pick failure ("No connection established", raised before a stream
 * exists; the lean client uses the same text) and an HTTP/2 REFUSED_STREAM ("Stream refused by
 * server": refused before any processing, e.g. above a GOAWAY's last stream id, RFC 9113 §8.7).
 */
export const NOT_SENT_DETAILS = /^(?:\w+: )?(?:No connection established|Stream refused by server)/;

/** toServiceError maps any thrown value to a status for a handler's callback. Unknown errors
 *  become INTERNAL with their message; they are bugs worth seeing in the caller's output. */
export function toServiceError(err: unknown): Partial<StatusObject> {
  if (err instanceof RpcError) return { code: err.code, details: err.message, metadata: new Metadata() };
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { code: status.INTERNAL, details: message, metadata: new Metadata() };
}

/** fromServiceError maps a client-side status back to the typed error, with the original as cause. */
export function fromServiceError(err: ServiceError): RpcError {
  const details = err.details ?? err.message;
  if (err.code === status.FAILED_PRECONDITION) {
    const m = NOT_LEADER.exec(details);
    if (m) return new NotLeaderRpcError(Number(m[1]), m[2] ?? '');
  }
  if (err.code === status.UNAVAILABLE) return new UnavailableRpcError(details, { cause: err });
  if (err.code === status.DEADLINE_EXCEEDED) return new DeadlineRpcError(details, { cause: err });
  return new RpcError(err.code, details, { cause: err });
}
