/**
 * The pure half of the lean unary client (h2-client.ts): how a finished HTTP/2 stream becomes
 * a gRPC status, and how a status becomes the ServiceError grpc-js would have reported. The
 * mappings and texts are grpc-js 1.14's (subchannel-call.js), so every mapper downstream
 * (rpc/errors.ts, store/client/errors.ts, rpc/kube-status.ts) and every retry rule keyed on a
 * message ("No connection established", "Connection dropped") reads the same thing.
 */
import { constants as h2 } from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http2';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

/** GrpcStatus is a call's outcome before it becomes an error. */
export interface GrpcStatus {
  code: status;
  details: string;
  /** Trailing metadata (built lazily: only failed calls need it). */
  headers?: IncomingHttpHeaders;
}

/** serviceError builds the error grpc-js's callErrorFromStatus builds: message "<code> <NAME>:
 *  <details>", with code, details and metadata (trailers minus grpc-status/-message). */
export function serviceError(s: GrpcStatus): ServiceError {
  const metadata = s.headers ? trailingMetadata(s.headers) : new Metadata();
  const err = new Error(`${s.code} ${status[s.code]}: ${s.details}`);
  return Object.assign(err, { code: s.code, details: s.details, metadata });
}

/** trailingMetadata is a status's metadata as grpc-js reports it: the trailers minus
 *  grpc-status and grpc-message (empty when they cannot be read). */
export function trailingMetadata(headers: IncomingHttpHeaders): Metadata {
  let md: Metadata;
  try {
    md = Metadata.fromHttp2Headers(headers);
  } catch {
    md = new Metadata();
  }
  md.remove('grpc-status');
  md.remove('grpc-message');
  return md;
}

/** statusOfHeaders reads grpc-status and the percent-decoded grpc-message from trailers (or a
 *  trailers-only response); undefined when the headers carry no grpc-status. */
export function statusOfHeaders(headers: IncomingHttpHeaders): GrpcStatus | undefined {
  const raw = headers['grpc-status'];
  if (raw === undefined) return undefined;
  const code = Number(Array.isArray(raw) ? raw[0] : raw);
  const msg = headers['grpc-message'];
  const text = (Array.isArray(msg) ? msg[0] : msg) ?? '';
  const valid = Number.isInteger(code) && code >= 0 && code <= 16;
  return { code: valid ? code : status.UNKNOWN, details: percentDecode(text), headers };
}

/** percentDecode undoes the spec's percent-encoding of grpc-message (grpc-js: decodeURI). */
export function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** httpStatusToGrpc maps a non-200 HTTP status the way gRPC's HTTP/2 spec says. */
export function httpStatusToGrpc(httpStatus: number): GrpcStatus {
  const details = `Received HTTP status code ${httpStatus}`;
  const code = HTTP_CODES.get(httpStatus) ?? status.UNKNOWN;
  return { code, details };
}

const HTTP_CODES: ReadonlyMap<number, status> = new Map([
  [400, status.INTERNAL],
  [401, status.UNAUTHENTICATED],
  [403, status.PERMISSION_DENIED],
  [404, status.UNIMPLEMENTED],
  [429, status.UNAVAILABLE],
  [502, status.UNAVAILABLE],
  [503, status.UNAVAILABLE],
  [504, status.UNAVAILABLE],
]);

/** StreamEnd is what is known about a stream that closed without a gRPC status. */
export interface StreamEnd {
  rstCode: number;
  httpStatus: number | undefined;
  /** The session died under the stream (socket error, keepalive timeout, peer gone). */
  connectionDropped: boolean;
  /** The stream's or session's error, if one was reported. */
  error: (Error & { code?: string }) | undefined;
}

/** statusOfStreamEnd maps a stream closed without trailers to a status, as grpc-js does. */
export function statusOfStreamEnd(e: StreamEnd): GrpcStatus {
  if (e.connectionDropped && e.rstCode !== h2.NGHTTP2_REFUSED_STREAM) {
    const why = e.error ? `: ${e.error.message}` : '';
    return { code: status.UNAVAILABLE, details: `Connection dropped${why}` };
  }
  switch (e.rstCode) {
    case h2.NGHTTP2_NO_ERROR:
      if (e.httpStatus !== undefined && e.httpStatus !== 200) return httpStatusToGrpc(e.httpStatus);
      return rst(status.INTERNAL, e.rstCode, ' (Call ended without gRPC status)');
    case h2.NGHTTP2_REFUSED_STREAM:
      return { code: status.UNAVAILABLE, details: 'Stream refused by server' };
    case h2.NGHTTP2_CANCEL:
      return { code: status.CANCELLED, details: 'Call cancelled' };
    case h2.NGHTTP2_ENHANCE_YOUR_CALM:
      return { code: status.RESOURCE_EXHAUSTED, details: CALM };
    case h2.NGHTTP2_INADEQUATE_SECURITY:
      return { code: status.PERMISSION_DENIED, details: 'Protocol not secure enough' };
    case h2.NGHTTP2_INTERNAL_ERROR:
      if (e.error?.code === 'ECONNRESET' || e.error?.code === 'ETIMEDOUT') {
        return { code: status.UNAVAILABLE, details: e.error.message };
      }
      return rst(status.INTERNAL, e.rstCode, ' (Internal server error)');
    default:
      return rst(status.INTERNAL, e.rstCode, '');
  }
}

const CALM = 'Bandwidth exhausted or memory limit exceeded';

function rst(code: status, rstCode: number, note: string): GrpcStatus {
  return { code, details: `Received RST_STREAM with code ${rstCode}${note}` };
}

/** grpcTimeout encodes a relative deadline as the grpc-timeout header (≤ 8 digits + unit). */
export function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  if (whole < 1e8) return `${whole}m`;
  return `${Math.min(99_999_999, Math.ceil(whole / 1000))}S`;
}
