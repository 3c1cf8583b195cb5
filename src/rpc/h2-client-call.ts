/**
 * h2Unary: one unary gRPC call on an H2Channel (h2-client.ts), byte-compatible with gRPC over
 * HTTP/2 (PROTOCOL-HTTP2.md) as grpc-js and grpc-go servers speak it: POST with content-type
 * application/grpc, te: trailers and grpc-timeout; the request as one length-prefixed message;
 * the answer as headers, one message (in however many DATA frames) and trailers, or a
 * trailers-only response. The local deadline timer resets the stream (RST_STREAM CANCEL) and
 * fails the call DEADLINE_EXCEEDED, as grpc-js does. Failures are grpc-js-shaped ServiceErrors.
 */
import { status, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { H2Call, openStream, type H2Method } from './h2-call.js';
import { serviceError, type GrpcStatus } from './h2-client-status.js';
import type { H2Channel } from './h2-client.js';

export type { H2Method } from './h2-call.js';

/** H2Callback receives exactly one of an error or the response. */
export type H2Callback<Res> = (err: ServiceError | null, res?: Res) => void;

/** h2Unary sends req and calls back once with the response or a ServiceError. */
export function h2Unary<Req, Res>(
  ch: H2Channel,
  method: H2Method<Req, Res>,
  req: Req,
  metadata: Metadata | undefined,
  timeoutMs: number,
  cb: H2Callback<Res>,
): void {
  const stream = openStream(ch, method, req, metadata, timeoutMs);
  if ('code' in stream) {
    process.nextTick(() => cb(serviceError(stream)));
    return;
  }
  const call: H2Call = new H2Call(ch, stream, timeoutMs, {
    settle: (s) => answer(call, method, s, cb),
  });
}

/** answer calls back with the call's one message, or the error its status or answer is. */
function answer<Req, Res>(
  call: H2Call,
  method: H2Method<Req, Res>,
  s: GrpcStatus,
  cb: H2Callback<Res>,
): void {
  if (s.code !== status.OK) return cb(serviceError(s));
  const { messages, partial } = call.reader;
  if (messages.length !== 1 || partial) {
    const details = messages.length === 0 ? 'No message received' : 'Too many responses received';
    return cb(serviceError({ code: status.UNIMPLEMENTED, details, headers: s.headers }));
  }
  let res: Res;
  try {
    res = method.responseDeserialize(messages[0]!);
  } catch (e) {
    const details = `Response message parsing error: ${String(e)}`;
    return cb(serviceError({ code: status.INTERNAL, details }));
  }
  cb(null, res);
}
