/**
 * Wire helpers of the component client: objects travel as Kubernetes JSON bytes, failures as a
 * gRPC status that may carry the server's Status (src/rpc/kube-status.ts), the trace
 * context as `traceparent` metadata (ARCHITECTURE.md §7) and a leader's fence as `k8ts-fence`.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import type { StatusError } from '../api/errors.js';
import { fromServiceError, RpcError } from '../rpc/errors.js';
import { statusErrorFromServiceError } from '../rpc/kube-status.js';
import { FENCE_METADATA, formatFence } from './fence.js';
import type { LeaderFence } from './types.js';

/** mapServiceError: the server's StatusError when it answered one, else the transport error. */
export function mapServiceError(err: ServiceError): StatusError | RpcError {
  return statusErrorFromServiceError(err) ?? fromServiceError(err);
}

/** mapCallError maps whatever a stream threw (a ServiceError, or anything else). */
export function mapCallError(err: unknown): Error {
  if (isServiceError(err)) return mapServiceError(err);
  return err instanceof Error ? err : new Error(String(err));
}

function isServiceError(err: unknown): err is ServiceError {
  if (!(err instanceof Error) || !('metadata' in err)) return false;
  return typeof (err as Partial<ServiceError>).code === 'number';
}

/** encodeJson is the request body: the object as JSON text, UTF-8. */
export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** decodeJson parses a response body; a body that is not JSON is the server's bug (INTERNAL). */
export function decodeJson<T>(bytes: Uint8Array): T {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    const msg = 'the API server answered a body that is not JSON';
    throw new RpcError(status.INTERNAL, msg, { cause: err });
  }
}

/** requestMetadata carries the traceparent given, else the active OpenTelemetry context's (a
 *  no-op until a process registers the SDK), and the leader's fence when the call has one. */
export function requestMetadata(traceparent: string | undefined, fence?: LeaderFence): Metadata {
  const md = new Metadata();
  if (fence) md.set(FENCE_METADATA, formatFence(fence));
  const tp = activeTraceparent(traceparent);
  if (tp !== undefined) md.set('traceparent', tp);
  return md;
}

/** activeTraceparent: the traceparent a call sends — the one given ("" for none), else the
 *  active OpenTelemetry context's; undefined when it sends none. */
export function activeTraceparent(given: string | undefined): string | undefined {
  const carrier: Record<string, string> = {};
  if (given !== undefined) carrier.traceparent = given;
  else propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier.traceparent : undefined;
}
