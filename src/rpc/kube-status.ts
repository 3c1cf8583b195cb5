/**
 * Kubernetes Status ↔ gRPC status, for the component API (proto/k8ts/api/v1/api.proto). A failed
 * call carries two things: a gRPC code mapped from the Status code, so generic gRPC tooling and
 * retry policies read it correctly, and the full metav1.Status as JSON in the trailing metadata
 * key STATUS_TRAILER, so the client rebuilds the exact StatusError (reason, message, details,
 * causes) the REST face would have answered. Both directions live here so they cannot drift.
 */
import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { internalError, isStatusError, StatusError, type Status } from '../api/errors.js';
import { isJsonObject } from '../api/meta.js';

/** STATUS_TRAILER is the trailing metadata key holding the Status JSON ("-bin": raw bytes). */
export const STATUS_TRAILER = 'k8ts-status-bin';

/** A Status trailer longer than this is not trusted (a Status is a few KiB at most). */
const MAX_STATUS_BYTES = 1024 * 1024;

const BY_HTTP_CODE: ReadonlyMap<number, status> = new Map([
  [400, status.INVALID_ARGUMENT],
  [401, status.UNAUTHENTICATED],
  [403, status.PERMISSION_DENIED],
  [404, status.NOT_FOUND],
  [405, status.UNIMPLEMENTED],
  [406, status.INVALID_ARGUMENT],
  [409, status.ABORTED],
  [410, status.OUT_OF_RANGE],
  [413, status.INVALID_ARGUMENT],
  [415, status.INVALID_ARGUMENT],
  [422, status.INVALID_ARGUMENT],
  [429, status.RESOURCE_EXHAUSTED],
  [500, status.INTERNAL],
  [503, status.UNAVAILABLE],
  [504, status.DEADLINE_EXCEEDED],
]);

/**
 * grpcCodeOfStatus maps a Status to a gRPC code. 409 splits by reason, as gRPC's own guide
 * does: AlreadyExists is ALREADY_EXISTS, a lost compare-and-swap (Conflict) is ABORTED ("retry
 * the read-modify-write"). 410 Expired is OUT_OF_RANGE: the resourceVersion is before the
 * oldest one the server still has.
 */
export function grpcCodeOfStatus(s: Status): status {
  if (s.code === 409 && s.reason === 'AlreadyExists') return status.ALREADY_EXISTS;
  return BY_HTTP_CODE.get(s.code) ?? status.INTERNAL;
}

/** statusOfError turns any thrown value into a Status (unknown errors become 500). */
export function statusOfError(err: unknown): Status {
  if (isStatusError(err)) return err.status;
  return internalError(err instanceof Error ? err.message : String(err)).status;
}

/** toStatusServiceError is what a handler passes to its callback (or emits on its stream). */
export function toStatusServiceError(err: unknown): Partial<StatusObject> & { code: status } {
  const s = statusOfError(err);
  const metadata = new Metadata();
  metadata.set(STATUS_TRAILER, statusJson(s));
  return { code: grpcCodeOfStatus(s), details: s.message ?? s.reason ?? 'error', metadata };
}

/** statusJson: a Status as the JSON bytes the trailer (or a batch's per-item result) carries. */
export function statusJson(s: Status): Buffer {
  return Buffer.from(JSON.stringify(s), 'utf8');
}

/**
 * statusErrorFromServiceError rebuilds the StatusError the server threw, with the gRPC error as
 * its cause; undefined when the failure carries no Status trailer, i.e. no API server answered
 * (connection refused or dropped, deadline passed on the client): a transport failure.
 */
export function statusErrorFromServiceError(err: ServiceError): StatusError | undefined {
  const values = err.metadata?.get(STATUS_TRAILER) ?? [];
  const raw = values[0];
  if (raw === undefined || values.length !== 1) return undefined;
  const out = statusErrorFromJson(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
  if (out !== undefined) out.cause = err;
  return out;
}

/** statusErrorFromJson rebuilds a StatusError from statusJson's bytes; undefined when they are
 *  not a Status (too long, not JSON, no kind Status or integer code). */
export function statusErrorFromJson(bytes: Buffer): StatusError | undefined {
  if (bytes.length > MAX_STATUS_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isStatus(parsed)) return undefined;
  const reason = parsed.reason ?? 'InternalError';
  const out = new StatusError(parsed.code, reason, parsed.message ?? '', parsed.details);
  // The constructor fills kind/apiVersion/status; keep what the server sent verbatim.
  Object.assign(out.status, parsed);
  return out;
}

function isStatus(v: unknown): v is Status {
  if (!isJsonObject(v) || v.kind !== 'Status') return false;
  return typeof v.code === 'number' && Number.isInteger(v.code);
}
