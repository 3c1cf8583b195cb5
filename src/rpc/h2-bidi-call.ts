/**
 * h2Bidi: one bidirectional-streaming gRPC call on an H2Channel (h2-client.ts), for the store
 * client's etcd Watch streams. grpc-js runs each of them through its channel, filter and
 * interceptor stack and an objectMode Duplex per call, several µs of CPU per message in the API
 * servers' profiles; this is a stream of node:http2 plus callbacks.
 *
 * The request side stays open: write() sends one length-prefixed message (encodeMessage, as a
 * unary request), end() half-closes. The answer side is h2-call.ts's H2Call, as for unary and
 * server-streaming calls: messages in order, then one status — from trailers, a trailers-only
 * answer or how the stream ended — after every message. cancel() resets the stream (RST_STREAM
 * CANCEL) and ends the call CANCELLED, as grpc-js's cancel() does.
 *
 * Back-pressure: pause() stops reading the HTTP/2 stream, so Node stops granting the server
 * flow-control window and a slow consumer slows the server instead of growing memory here;
 * resume() reads on. Messages of a DATA chunk already read are still delivered.
 */
import type { ClientHttp2Stream } from 'node:http2';
import { status, type Metadata } from '@grpc/grpc-js';
import { encodeMessage, H2Call, requestStream, type H2Method } from './h2-call.js';
import type { GrpcStatus } from './h2-client-status.js';
import type { H2Channel } from './h2-client.js';

/** BidiHandlers get what arrives on a bidi call. */
export interface BidiHandlers<Res> {
  /** message gets each response, in order, until the call ends. */
  message(res: Res): void;
  /** end gets the call's one status, after every message (also when the call could not be
   *  opened: then nothing left this process, and it comes on a later tick). */
  end(s: GrpcStatus): void;
}

/**
 * h2Bidi opens a bidi call to method on ch with metadata; no deadline (a watch or keep-alive
 * runs until cancelled or ended by the server). Write requests on the returned call.
 */
export function h2Bidi<Req, Res>(
  ch: H2Channel,
  method: H2Method<Req, Res>,
  metadata: Metadata | undefined,
  handlers: BidiHandlers<Res>,
): H2BidiCall<Req> {
  const stream = requestStream(ch, method.path, metadata, undefined);
  if ('code' in stream) {
    process.nextTick(() => handlers.end(stream));
    return new H2BidiCall(ch, method, undefined);
  }
  const call = new H2BidiCall(ch, method, stream);
  call.follow(stream, method.responseDeserialize, handlers);
  return call;
}

/** H2BidiCall is the request side of one bidi call and its controls; see the file comment. */
export class H2BidiCall<Req> {
  private call: H2Call | undefined;

  constructor(
    private readonly ch: H2Channel,
    private readonly method: H2Method<Req, unknown>,
    private readonly stream: ClientHttp2Stream | undefined,
  ) {}

  /** ended: the call has its status (or never opened). */
  get ended(): boolean {
    return this.call?.ended ?? true;
  }

  /** follow delivers stream's answers to handlers (h2Bidi calls it once). */
  follow<Res>(
    stream: ClientHttp2Stream,
    deserialize: (bytes: Buffer) => Res,
    handlers: BidiHandlers<Res>,
  ): void {
    const deliver = (bytes: Buffer): void => {
      // A handler may have cancelled the call mid-chunk: deliver nothing after the status.
      if (call.ended) return;
      let res: Res;
      try {
        res = deserialize(bytes);
      } catch (e) {
        call.abandon(status.INTERNAL, `Response message parsing error: ${String(e)}`);
        return;
      }
      handlers.message(res);
    };
    const call = new H2Call(this.ch, stream, undefined, { settle: (s) => handlers.end(s) }, deliver);
    this.call = call;
    // The server ended its side (its status): end ours too, so the stream closes and the status
    // is settled; a server that leaves the request side open would otherwise hold it forever.
    stream.once('end', () => {
      if (!stream.writableEnded) stream.end();
    });
  }

  /**
   * write sends req as one message. false: not sent because the call has ended, or it is sent
   * but the stream's write buffer is full (the caller may wait for fewer writes). A request that
   * cannot be serialized or is over the size limit ends the call with that status.
   */
  write(req: Req): boolean {
    const stream = this.stream;
    if (this.ended || stream === undefined || stream.writableEnded || stream.destroyed) return false;
    const message = encodeMessage(this.ch, this.method, req);
    if ('code' in message) {
      this.call?.abandon(message.code, message.details);
      return false;
    }
    return stream.write(message);
  }

  /** end half-closes the call: no more requests; the server's answers and status still come. */
  end(): void {
    const stream = this.stream;
    if (stream !== undefined && !stream.writableEnded && !stream.destroyed) stream.end();
  }

  /** cancel resets the stream: the call ends CANCELLED (no-op once ended). */
  cancel(): void {
    if (!this.ended) this.call?.abandon(status.CANCELLED, 'Cancelled on client');
  }

  /** pause stops reading answers (HTTP/2 flow control then holds the server back). */
  pause(): void {
    this.stream?.pause();
  }

  /** resume reads answers again after pause. */
  resume(): void {
    const stream = this.stream;
    if (stream?.isPaused() === true) stream.resume();
  }
}
