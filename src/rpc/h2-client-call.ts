/**
 * h2Unary: one unary gRPC call on an H2Channel (h2-client.ts), byte-compatible with gRPC over
 * HTTP/2 (PROTOCOL-HTTP2.md) as grpc-js and grpc-go servers speak it: POST with content-type
 * application/grpc, te: trailers and grpc-timeout; the request as one length-prefixed message;
 * the answer as headers, one message (in however many DATA frames) and trailers, or a
 * trailers-only response. The local deadline timer resets the stream (RST_STREAM CANCEL) and
 * fails the call DEADLINE_EXCEEDED, as grpc-js does. Failures are grpc-js-shaped ServiceErrors.
 */
import { constants as h2, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { status, type Metadata, type ServiceError } from '@grpc/grpc-js';
import type { Timer } from '../base/clock.js';
import { frameMessage } from './fast-unary-frame.js';
import { MessageReader } from './h2-client-frames.js';
import {
  grpcTimeout,
  serviceError,
  statusOfHeaders,
  statusOfStreamEnd,
  type GrpcStatus,
} from './h2-client-status.js';
import type { H2Channel } from './h2-client.js';

/** H2Method is the part of a ts-proto service definition (e.g. KVService.put) a call needs. */
export interface H2Method<Req, Res> {
  readonly path: string;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (value: Buffer) => Res;
}

/** H2Callback receives exactly one of an error or the response. */
export type H2Callback<Res> = (err: ServiceError | null, res?: Res) => void;

const USER_AGENT = `k8ts-h2/1 node/${process.versions.node}`;

/** h2Unary sends req and calls back once with the response or a ServiceError. */
export function h2Unary<Req, Res>(
  ch: H2Channel,
  method: H2Method<Req, Res>,
  req: Req,
  metadata: Metadata | undefined,
  timeoutMs: number,
  cb: H2Callback<Res>,
): void {
  let body: Buffer;
  try {
    body = method.requestSerialize(req);
  } catch (e) {
    const details = `Request serialization failure: ${String(e)}`;
    return later(cb, { code: status.INTERNAL, details });
  }
  if (body.length > ch.maxMessageBytes) {
    const details = `Sent message larger than max (${body.length} vs. ${ch.maxMessageBytes})`;
    return later(cb, { code: status.RESOURCE_EXHAUSTED, details });
  }
  const session = ch.readySession();
  if (!session) return later(cb, { code: status.UNAVAILABLE, details: ch.notConnectedReason() });
  const headers: Record<string, string | string[]> = metadata
    ? (metadata.toHttp2Headers() as Record<string, string | string[]>)
    : {};
  headers[':method'] = 'POST';
  headers[':path'] = method.path;
  headers['content-type'] = 'application/grpc';
  headers.te = 'trailers';
  headers['grpc-timeout'] = grpcTimeout(timeoutMs);
  headers['user-agent'] = USER_AGENT;
  let stream: ClientHttp2Stream;
  try {
    stream = session.request(headers);
  } catch (e) {
    // Refused synchronously (the session closed or got GOAWAY): nothing left this process.
    const details = `No connection established. Last error: ${(e as Error).message}`;
    return later(cb, { code: status.UNAVAILABLE, details });
  }
  new UnaryCall(ch, stream, method, timeoutMs, cb);
  stream.end(frameMessage(body));
}

function later<Res>(cb: H2Callback<Res>, s: GrpcStatus): void {
  process.nextTick(() => cb(serviceError(s)));
}

/** UnaryCall follows one stream to its end and calls back once. */
class UnaryCall<Req, Res> {
  private readonly reader: MessageReader;
  private readonly timer: Timer;
  private httpStatus: number | undefined;
  private final: GrpcStatus | undefined;
  private error: (Error & { code?: string }) | undefined;
  private done = false;

  constructor(
    private readonly ch: H2Channel,
    private readonly stream: ClientHttp2Stream,
    private readonly method: H2Method<Req, Res>,
    timeoutMs: number,
    private readonly cb: H2Callback<Res>,
  ) {
    this.reader = new MessageReader(ch.maxMessageBytes);
    ch.callStarted();
    const expire = () => this.abandon(status.DEADLINE_EXCEEDED, 'Deadline exceeded');
    this.timer = ch.clock.setTimeout(expire, timeoutMs);
    stream.on('response', (h: IncomingHttpHeaders) => this.onHeaders(h));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('trailers', (h: IncomingHttpHeaders) => {
      const details = 'No status information received';
      this.final ??= statusOfHeaders(h) ?? { code: status.UNKNOWN, details, headers: h };
    });
    stream.on('error', (e: Error) => {
      this.error ??= e;
    });
    // As grpc-js: decide on the next tick, so a session error that closed the stream is known.
    stream.on('close', () => process.nextTick(() => this.onClose()));
  }

  private onHeaders(h: IncomingHttpHeaders): void {
    this.httpStatus = Number(h[':status']);
    const trailersOnly = statusOfHeaders(h);
    if (trailersOnly) {
      this.final = trailersOnly;
      return;
    }
    if (this.httpStatus !== 200) return; // mapped from the HTTP status when the stream ends
    const type = h['content-type'] ?? '';
    if (!type.startsWith('application/grpc')) {
      this.abandon(status.UNKNOWN, `Invalid content-type ${type}`);
    }
  }

  private onData(chunk: Buffer): void {
    const err = this.reader.push(chunk);
    if (err === undefined) return;
    const tooLarge = err.startsWith('Received message larger');
    const code = tooLarge ? status.RESOURCE_EXHAUSTED : status.INTERNAL;
    this.abandon(code, err);
  }

  /** abandon fails the call now and resets the stream (deadline, a bad answer). */
  private abandon(code: status, details: string): void {
    this.finish({ code, details });
    if (!this.stream.closed) this.stream.close(h2.NGHTTP2_CANCEL);
  }

  private onClose(): void {
    if (this.done) return;
    const s = this.final ?? statusOfStreamEnd({
      rstCode: this.stream.rstCode ?? h2.NGHTTP2_NO_ERROR,
      httpStatus: this.httpStatus,
      connectionDropped: this.stream.session?.destroyed ?? true,
      error: this.error,
    });
    this.finish(s);
  }

  private finish(s: GrpcStatus): void {
    if (this.done) return;
    this.done = true;
    this.timer.cancel();
    this.ch.callEnded();
    if (s.code !== status.OK) return this.cb(serviceError(s));
    const messages = this.reader.messages;
    if (messages.length !== 1 || this.reader.partial) {
      const details = messages.length === 0 ? 'No message received' : 'Too many responses received';
      return this.cb(serviceError({ code: status.UNIMPLEMENTED, details, headers: s.headers }));
    }
    let res: Res;
    try {
      res = this.method.responseDeserialize(messages[0]!);
    } catch (e) {
      const details = `Response message parsing error: ${String(e)}`;
      return this.cb(serviceError({ code: status.INTERNAL, details }));
    }
    this.cb(null, res);
  }
}
