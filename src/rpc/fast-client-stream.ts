/**
 * Client-streaming calls on the fast path (fast-serve.ts), for methods whose definition opts in
 * with fastClientStream(): the Raft transport's Replicate stream, which carries every append and
 * every ack between members (grpc-js's receive path — its Readable, decoder and interceptor
 * pass per message — was the followers' largest JS cost in the store benchmark's profiles).
 *
 * The call a handler gets is an EventEmitter, not grpc-js's Readable: it emits 'data' with each
 * deserialized request message as it arrives, 'end' when the client half-closes, and
 * 'cancelled' when the call ends otherwise; it has the metadata, peer and sendMetadata of a
 * unary call. It cannot pause: a marked handler must consume each message synchronously, which
 * is why the fast path is opt-in and every other client-streaming method stays grpc-js's.
 * The handler answers through its callback, as a grpc-js client-streaming handler does.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Metadata, sendUnaryData, ServerReadableStream } from '@grpc/grpc-js';
import { FastUnaryCall } from './fast-unary-call.js';
import { MessageReader } from './h2-client-frames.js';

/** ClientStreamHandler is a grpc-js-shaped client-streaming handler. */
export type ClientStreamHandler = (
  call: ServerReadableStream<unknown, unknown>,
  callback: sendUnaryData<unknown>,
) => void;

/** Request deserializers of the marked methods: what a registration shows of its definition
 *  unchanged (grpc-js binds handlers, so a handler cannot carry a mark). */
const marked = new WeakSet<object>();

/** fastClientStream marks a client-streaming method definition for the fast path (see the file
 *  comment: its handler must take each message synchronously) and returns it. */
export function fastClientStream<D extends { requestDeserialize: (bytes: Buffer) => unknown }>(
  definition: D,
): D {
  marked.add(definition.requestDeserialize);
  return definition;
}

/** isFastClientStream: deserialize is the request deserializer of a marked method. */
export function isFastClientStream(deserialize: unknown): boolean {
  return typeof deserialize === 'function' && marked.has(deserialize);
}

/** FastClientStreamCall: see the file comment (request is always undefined). */
export class FastClientStreamCall extends FastUnaryCall<undefined> {
  constructor(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    path: string,
    deadline: number,
    onSendMetadata: (md: Metadata) => void,
  ) {
    super(stream, headers, path, undefined, deadline, onSendMetadata);
  }
}

/** A frame error the exchange ends the call with (grpc-js's codes for the same faults). */
export interface ReadFault {
  code: number;
  details: string;
}

/**
 * messageReader splits a client stream's DATA into messages and hands each, deserialized, to
 * deliver; a fault (too large, compressed, undecodable) goes to fail instead, once, and nothing
 * after it is delivered.
 */
export function messageReader(
  maxBytes: number,
  deserialize: (bytes: Buffer) => unknown,
  deliver: (value: unknown) => void,
  fail: (fault: ReadFault) => void,
): (chunk: Buffer) => void {
  let failed = false;
  const reader = new MessageReader(maxBytes === -1 ? Infinity : maxBytes, (bytes) => {
    if (failed) return;
    let value: unknown;
    try {
      value = deserialize(bytes);
    } catch {
      failed = true;
      fail({ code: 13, details: 'Error deserializing request' });
      return;
    }
    deliver(value);
  });
  return (chunk) => {
    if (failed) return;
    const err = reader.push(chunk);
    if (err === undefined) return;
    failed = true;
    fail({ code: err.startsWith('Received message larger') ? 8 : 13, details: err });
  };
}
