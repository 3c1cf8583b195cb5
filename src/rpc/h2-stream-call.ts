/**
 * h2ServerStream: one server-streaming gRPC call on an H2Channel (h2-client.ts), without
 * grpc-js's channel, interceptor and per-message read machinery. The answer is a Readable with
 * the contract of grpc-js's ClientReadableStream (server-stream.ts): objects in order, iterate
 * with for await; the stream's end is an OK status, an 'error' (a grpc-js-shaped ServiceError,
 * after the messages that arrived before it) any other; 'metadata' and 'status' as grpc-js emits
 * them; cancel() resets the stream and ends the call CANCELLED.
 *
 * Back-pressure: messages are pushed as they arrive until the Readable's buffer is full; then
 * the HTTP/2 stream is paused, so Node stops granting the server flow-control window and a slow
 * consumer slows the server instead of growing memory here. Reading resumes it.
 */
import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { Readable } from 'node:stream';
import {
  Metadata, status, type ClientReadableStream, type ServiceError, type StatusObject,
} from '@grpc/grpc-js';
import { H2Call, openStream, type H2Method } from './h2-call.js';
import { serviceError, trailingMetadata, type GrpcStatus } from './h2-client-status.js';
import type { H2Channel } from './h2-client.js';

/** Messages the Readable holds before the HTTP/2 stream is paused (grpc-js's Readable: 16). */
export const STREAM_HIGH_WATER_MARK = 16;

/** h2ServerStream sends req and returns the stream of answers; timeoutMs bounds the whole
 *  stream (undefined: no deadline, for watches the server itself ends). */
export function h2ServerStream<Req, Res>(
  ch: H2Channel,
  method: H2Method<Req, Res>,
  req: Req,
  metadata: Metadata | undefined,
  timeoutMs?: number,
): ClientReadableStream<Res> {
  const out = new H2ServerStream<Res>(method.responseDeserialize);
  const stream = openStream(ch, method, req, metadata, timeoutMs);
  if ('code' in stream) process.nextTick(() => out.settle(stream));
  else out.attach(ch, stream, timeoutMs);
  return out as unknown as ClientReadableStream<Res>;
}

/** H2ServerStream is the Readable h2ServerStream returns; see the file comment. */
export class H2ServerStream<Res> extends Readable {
  private call: H2Call | undefined;
  private settled = false;

  constructor(readonly deserialize: (bytes: Buffer) => Res) {
    super({ objectMode: true, highWaterMark: STREAM_HIGH_WATER_MARK });
  }

  /** attach follows stream (opened by h2ServerStream). */
  attach(ch: H2Channel, stream: ClientHttp2Stream, timeoutMs: number | undefined): void {
    const hooks = {
      headers: (h: IncomingHttpHeaders) => this.onHeaders(h),
      settle: (s: GrpcStatus) => this.settle(s),
    };
    this.call = new H2Call(ch, stream, timeoutMs, hooks, (m) => this.onMessage(m));
  }

  /** cancel resets the stream: the call ends CANCELLED, as grpc-js's cancel() does. */
  cancel(): void {
    this.call?.abandon(status.CANCELLED, 'Cancelled on client');
  }

  getPeer(): string {
    const socket = this.call?.stream.session?.socket;
    if (!socket?.remoteAddress) return 'unknown';
    const { remoteAddress, remotePort } = socket;
    return remotePort ? `${remoteAddress}:${remotePort}` : remoteAddress;
  }

  getAuthContext(): null {
    return null;
  }

  override _read(): void {
    const stream = this.call?.stream;
    if (stream?.isPaused()) stream.resume();
  }

  /** A consumer that stops (for await's break, destroy()) cancels the call, once. */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.call?.ended === false) this.call.abandon(status.CANCELLED, 'Cancelled on client');
    cb(err);
  }

  /** settle ends the Readable with the call's status: end of data, then, unless OK, 'error';
   *  then 'status' (grpc-js's order). */
  settle(s: GrpcStatus): void {
    if (this.settled) return;
    this.settled = true;
    if (this.destroyed) return;
    this.push(null);
    const err: ServiceError | undefined = s.code === status.OK ? undefined : serviceError(s);
    if (err !== undefined) this.emit('error', err);
    const metadata = err?.metadata ?? (s.headers ? trailingMetadata(s.headers) : new Metadata());
    const st: StatusObject = { code: s.code, details: s.details, metadata };
    this.emit('status', st);
  }

  private onHeaders(h: IncomingHttpHeaders): void {
    if (this.listenerCount('metadata') === 0) return;
    let md: Metadata;
    try {
      md = Metadata.fromHttp2Headers(h);
    } catch {
      md = new Metadata();
    }
    this.emit('metadata', md);
  }

  private onMessage(bytes: Buffer): void {
    if (this.settled || this.destroyed) return;
    let value: Res;
    try {
      value = this.deserialize(bytes);
    } catch (e) {
      const details = `Response message parsing error: ${String(e)}`;
      this.call?.abandon(status.INTERNAL, details);
      return;
    }
    if (!this.push(value)) this.call?.stream.pause();
  }
}
