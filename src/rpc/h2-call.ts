/**
 * The part of a lean client call (h2-client.ts) that unary calls (h2-client-call.ts) and
 * server-streaming calls (h2-stream-call.ts) share: opening the stream as grpc-js does (POST,
 * content-type application/grpc, te: trailers, grpc-timeout when there is a deadline, the
 * request as one length-prefixed message), and following it to one gRPC status — from trailers,
 * a trailers-only answer, or how the stream closed (statusOfStreamEnd), decided on the tick after
 * 'close' so a session error that closed the stream is known. The local deadline resets the
 * stream (RST_STREAM CANCEL) and ends the call DEADLINE_EXCEEDED, as grpc-js does.
 */
import {
  constants as h2, type ClientHttp2Stream, type Http2Session, type IncomingHttpHeaders,
} from 'node:http2';
import { status, type Metadata } from '@grpc/grpc-js';
import type { Timer } from '../base/clock.js';
import { frameMessage, PREFIX_BYTES } from './fast-unary-frame.js';
import { MessageReader } from './h2-client-frames.js';
import {
  grpcTimeout, statusOfHeaders, statusOfStreamEnd, type GrpcStatus,
} from './h2-client-status.js';
import { refusedByGoaway, type H2Channel } from './h2-client.js';
import { requestOn } from './h2-request.js';
import type { DeadlineQueue, Deadlined } from './deadline-queue.js';

/** H2Method is the part of a ts-proto service definition (e.g. KVService.put) a call needs. */
export interface H2Method<Req, Res> {
  readonly path: string;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (value: Buffer) => Res;
  /** requestFramed, when given, is requestSerialize's bytes already as one length-prefixed
   *  message (the 5-byte prefix in front, one buffer), so the call need not copy them to frame
   *  them: the store client's Txn, which carries an object's JSON (txn-encode.ts). */
  readonly requestFramed?: (value: Req) => Buffer;
}

/** The User-Agent of a channel that names none (the store client's). */
const USER_AGENT = `k8ts-h2/1 node/${process.versions.node}`;

/**
 * encodeMessage serializes req as one length-prefixed message, or says why it cannot be sent
 * (serialization failed, larger than the channel's limit): the status grpc-js gives either.
 */
export function encodeMessage<Req>(
  ch: H2Channel,
  method: H2Method<Req, unknown>,
  req: Req,
): Buffer | GrpcStatus {
  let bytes: Buffer;
  const framed = method.requestFramed;
  try {
    bytes = framed !== undefined ? framed(req) : method.requestSerialize(req);
  } catch (e) {
    return { code: status.INTERNAL, details: `Request serialization failure: ${String(e)}` };
  }
  const length = framed !== undefined ? bytes.length - PREFIX_BYTES : bytes.length;
  if (length > ch.maxMessageBytes) {
    const details = `Sent message larger than max (${length} vs. ${ch.maxMessageBytes})`;
    return { code: status.RESOURCE_EXHAUSTED, details };
  }
  return framed !== undefined ? bytes : frameMessage(bytes);
}

/**
 * openStream serializes req and sends it on a new stream of ch, the request side closed.
 * timeoutMs undefined sends no grpc-timeout (a watch the server ends). A GrpcStatus instead
 * means nothing left this process (bad request, not connected, session refused the stream).
 */
export function openStream<Req>(
  ch: H2Channel,
  method: H2Method<Req, unknown>,
  req: Req,
  metadata: Metadata | undefined,
  timeoutMs: number | undefined,
): ClientHttp2Stream | GrpcStatus {
  const message = encodeMessage(ch, method, req);
  if ('code' in message) return message;
  const stream = requestStream(ch, method.path, metadata, timeoutMs);
  if ('code' in stream) return stream;
  stream.end(message);
  return stream;
}

/**
 * requestStream opens a stream of ch for a call to path, the request side left open: the
 * caller writes its messages and ends it (openStream one message; h2-bidi-call.ts any number).
 * A GrpcStatus instead means nothing left this process (not connected, session refused it).
 */
export function requestStream(
  ch: H2Channel,
  path: string,
  metadata: Metadata | undefined,
  timeoutMs: number | undefined,
): ClientHttp2Stream | GrpcStatus {
  const session = ch.readySession();
  if (!session) return { code: status.UNAVAILABLE, details: ch.notConnectedReason() };
  const headers: Record<string, string | string[]> = metadata
    ? (metadata.toHttp2Headers() as Record<string, string | string[]>)
    : {};
  headers[':method'] = 'POST';
  headers[':path'] = path;
  headers['content-type'] = 'application/grpc';
  headers.te = 'trailers';
  if (timeoutMs !== undefined) headers['grpc-timeout'] = grpcTimeout(timeoutMs);
  headers['user-agent'] = ch.userAgent ?? USER_AGENT;
  try {
    return requestOn(session, headers);
  } catch (e) {
    // Refused synchronously (the session closed or got GOAWAY): nothing left this process.
    const details = `No connection established. Last error: ${(e as Error).message}`;
    return { code: status.UNAVAILABLE, details };
  }
}

/** CallHooks are what a kind of call does with what arrives. */
export interface CallHooks {
  /** headers sees the response headers of a non-trailers-only answer. */
  headers?(h: IncomingHttpHeaders): void;
  /** settle gets the call's one status (after every message the reader delivered). */
  settle(s: GrpcStatus): void;
}

/** H2Call follows one stream to its status; see the file comment. */
export class H2Call implements Deadlined {
  readonly reader: MessageReader;
  /** Its own deadline timer, only when neither of the channel's queues took the deadline. */
  private timer: Timer | undefined;
  /** The channel's deadline queue holding this call's deadline (deadline-queue.ts). */
  private queue: DeadlineQueue | undefined;
  dueMs = Infinity;
  prevDue: Deadlined | undefined;
  nextDue: Deadlined | undefined;
  queued = false;
  /** The stream's session, kept: node:http2 forgets it when the stream is destroyed. */
  private readonly session: Http2Session | undefined;
  private httpStatus: number | undefined;
  private final: GrpcStatus | undefined;
  private error: (Error & { code?: string }) | undefined;
  private done = false;

  /** deliver, when given, gets each message as it completes (a stream); else the reader keeps
   *  them (a unary answer: at most two). */
  constructor(
    private readonly ch: H2Channel,
    readonly stream: ClientHttp2Stream,
    timeoutMs: number | undefined,
    private readonly hooks: CallHooks,
    deliver?: (message: Buffer) => void,
  ) {
    this.reader = new MessageReader(ch.maxMessageBytes, deliver);
    this.session = stream.session;
    ch.callStarted();
    if (timeoutMs !== undefined) this.startDeadline(timeoutMs);
    // Module functions shared by every call, the call found through CALL on the stream: no
    // five closures per call (EventEmitter calls them with the stream as `this`).
    (stream as CallStream)[CALL] = this;
    stream.on('response', streamResponse);
    stream.on('data', streamData);
    stream.on('trailers', streamTrailers);
    stream.on('error', streamError);
    stream.on('close', streamClose);
  }

  /**
   * startDeadline puts the deadline in one of the channel's deadline queues — one timer for all
   * of them instead of a Timeout, its wrapper and a closure per call; a queue refuses a deadline
   * before its last one's, and a client mostly uses two timeouts (the store client: reads' 3 s
   * attempts, writes' 10 s request), each in order in a queue of its own — or else on a timer.
   */
  private startDeadline(timeoutMs: number): void {
    this.dueMs = this.ch.clock.nowMs() + timeoutMs;
    for (const q of this.ch.deadlines) {
      if (q.add(this)) {
        this.queue = q;
        return;
      }
    }
    this.timer = this.ch.clock.setTimeout(() => this.expire(), timeoutMs);
  }

  /** expire is the deadline passing: reset the stream, DEADLINE_EXCEEDED. */
  expire(): void {
    this.abandon(status.DEADLINE_EXCEEDED, 'Deadline exceeded');
  }

  /** ended: the status is known (settled, or abandoned). */
  get ended(): boolean {
    return this.done;
  }

  /** abandon ends the call now with code and resets the stream (deadline, a bad answer,
   *  cancel). */
  abandon(code: status, details: string): void {
    this.finish({ code, details });
    if (!this.stream.closed) this.stream.close(h2.NGHTTP2_CANCEL);
  }

  /** onHeaders: the response headers (or a trailers-only answer). */
  onHeaders(h: IncomingHttpHeaders): void {
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
      return;
    }
    this.hooks.headers?.(h);
  }

  onData(chunk: Buffer): void {
    if (this.done) return;
    const err = this.reader.push(chunk);
    if (err === undefined) return;
    const tooLarge = err.startsWith('Received message larger');
    const code = tooLarge ? status.RESOURCE_EXHAUSTED : status.INTERNAL;
    this.abandon(code, err);
  }

  /** onTrailers: the status in the trailers. */
  onTrailers(h: IncomingHttpHeaders): void {
    const details = 'No status information received';
    this.final ??= statusOfHeaders(h) ?? { code: status.UNKNOWN, details, headers: h };
  }

  onError(e: Error): void {
    this.error ??= e;
  }

  /** onClose decides the status, on the tick after 'close' (see the file comment). */
  onClose(): void {
    if (this.done) return;
    // Above the GOAWAY's last stream id the server never saw the call, whatever closed it.
    const refused = this.final === undefined && refusedByGoaway(this.session, this.stream.id);
    const s = this.final ?? statusOfStreamEnd({
      rstCode: refused ? h2.NGHTTP2_REFUSED_STREAM : this.stream.rstCode ?? h2.NGHTTP2_NO_ERROR,
      httpStatus: this.httpStatus,
      connectionDropped: this.stream.session?.destroyed ?? true,
      error: this.error,
    });
    this.finish(s);
  }

  private finish(s: GrpcStatus): void {
    if (this.done) return;
    this.done = true;
    this.timer?.cancel();
    this.queue?.remove(this);
    this.ch.callEnded();
    this.hooks.settle(s);
  }
}

/** CALL: a client stream's H2Call, for the shared listeners below. */
const CALL = Symbol('k8ts.h2Call');
type CallStream = ClientHttp2Stream & { [CALL]?: H2Call };

function callOf(stream: ClientHttp2Stream): H2Call {
  return (stream as CallStream)[CALL]!;
}
function streamResponse(this: ClientHttp2Stream, h: IncomingHttpHeaders): void {
  callOf(this).onHeaders(h);
}
function streamData(this: ClientHttp2Stream, chunk: Buffer): void {
  callOf(this).onData(chunk);
}
function streamTrailers(this: ClientHttp2Stream, h: IncomingHttpHeaders): void {
  callOf(this).onTrailers(h);
}
function streamError(this: ClientHttp2Stream, e: Error): void {
  callOf(this).onError(e);
}
function streamClose(this: ClientHttp2Stream): void {
  process.nextTick(closeOnNextTick, callOf(this));
}
function closeOnNextTick(call: H2Call): void {
  call.onClose();
}
