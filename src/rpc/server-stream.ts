/**
 * serverStream starts one server-streaming call with k8ts call options, on a grpc-js client or
 * on anything with the same method shape (the lean client's, h2-stream-call.ts). The returned
 * stream is a Readable: iterate it with for await (the next message is read only when the
 * consumer asks, so a slow consumer slows the server through HTTP/2 flow control).
 */
import { Metadata, type CallOptions, type ClientReadableStream } from '@grpc/grpc-js';
import { deadlineIn } from './defaults.js';

/** ServerStreamMethod is the shape ts-proto's grpc-js clients expose for a streaming method. */
export type ServerStreamMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options?: Partial<CallOptions>,
) => ClientReadableStream<Res>;

/** serverStream calls method on client; timeoutMs bounds the whole stream (undefined: no
 *  deadline, for watches that the server itself closes after its maximum). */
export function serverStream<C, Req, Res>(
  client: C,
  method: ServerStreamMethod<Req, Res>,
  request: Req,
  o: { metadata?: Metadata; timeoutMs?: number } = {},
): ClientReadableStream<Res> {
  const options: Partial<CallOptions> =
    o.timeoutMs === undefined ? {} : { deadline: deadlineIn(o.timeoutMs) };
  return method.call(client, request, o.metadata ?? new Metadata(), options);
}
