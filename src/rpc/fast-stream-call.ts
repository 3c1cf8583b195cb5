/**
 * FastStreamCall is the call object the fast path hands a grpc-js-shaped server-streaming
 * handler `(call)`: what FastUnaryCall offers (request, metadata, cancelled + 'cancelled',
 * getDeadline, getPeer, getAuthContext, sendMetadata) plus the writable half of grpc-js's
 * ServerWritableStreamImpl that handlers use — write() with its back-pressure answer and
 * 'drain', writableLength, end(trailer), and emit('error', status) to end with a status.
 *
 * It is not a stream.Writable: each message goes straight to the HTTP/2 stream (which keeps the
 * order), and only the count of messages HTTP/2 has not yet taken is kept. That count is what
 * grpc-js's Writable holds back, so write() answers as grpc-js's does: false once
 * HIGH_WATER_MARK messages are waiting, and 'drain' when they are all gone. HTTP/2 takes a
 * message only inside the client's flow-control window, so a client that does not read stops
 * the callbacks, and the handler's writer with them.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Metadata } from '@grpc/grpc-js';
import { FastUnaryCall } from './fast-unary-call.js';

/** HIGH_WATER_MARK is an object-mode Writable's default, which grpc-js's stream uses. */
export const HIGH_WATER_MARK = 16;

/** StreamOut is the exchange's side of a stream (fast-serve.ts): framing, trailers. */
export interface StreamOut {
  /** send writes one message; false when it was not sent (the exchange is over). */
  send(value: unknown, written: (err?: Error | null) => void): boolean;
  /** end closes the stream with OK. */
  end(trailer: Metadata | undefined): void;
  /** fail closes the stream with err's status. */
  fail(err: unknown): void;
}

type WriteCallback = (err?: Error | null) => void;

/** FastStreamCall: see the file comment. */
export class FastStreamCall<Req> extends FastUnaryCall<Req> {
  /** Messages written that HTTP/2 has not taken yet (grpc-js: the Writable's buffer). */
  writableLength = 0;
  private ended = false;
  private needDrain = false;

  constructor(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    path: string,
    request: Req,
    deadline: number,
    onSendMetadata: (md: Metadata) => void,
    private readonly out: StreamOut,
  ) {
    super(stream, headers, path, request, deadline, onSendMetadata);
    // grpc-js's stream listens for 'error' the same way: the handler's way to end with a status.
    this.on('error', (err: unknown) => {
      if (this.ended) return;
      this.ended = true;
      this.out.fail(err);
    });
  }

  /** write sends value; false asks the writer to wait for 'drain' (or the call is over). */
  write(value: unknown, cb?: WriteCallback): boolean {
    if (this.ended) return false;
    const sent = this.out.send(value, (err) => this.written(err, cb));
    if (!sent) return false;
    this.writableLength++;
    if (this.writableLength < HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
  }

  /** end closes the stream with OK after what was written; trailer is its trailing metadata. */
  end(trailer?: Metadata): this {
    if (this.ended) return this;
    this.ended = true;
    this.out.end(trailer);
    return this;
  }

  private written(err: Error | null | undefined, cb: WriteCallback | undefined): void {
    this.writableLength--;
    cb?.(err);
    // A failed write means the stream is gone: 'cancelled' follows, never 'drain'.
    if (err || !this.needDrain || this.writableLength > 0) return;
    this.needDrain = false;
    this.emit('drain');
  }
}
