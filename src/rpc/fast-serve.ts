/**
 * One unary or server-streaming gRPC exchange served straight on a node:http2 stream (or a
 * client-streaming one whose method opted in: fast-client-stream.ts): read the
 * one request message, run the grpc-js-shaped handler, answer with headers + the message(s) +
 * trailers, or trailers only for an error before any message, as grpc-js's server puts them on
 * the wire but in grpc-go's header set (RESPONSE_HEADERS). grpc-js spends ~35 µs of JS per call
 * on objects this path does not build (interceptor chain, call wrappers, channelz trackers, a
 * read queue and a decoder sized for streams), and per streamed message a Writable's queue and an interceptor pass; see
 * fast-unary-hook.ts for how streams get here, fast-stream-call.ts for a stream's call object.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import {
  Metadata, status, type sendUnaryData, type ServerReadableStream, type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import type { Clock, Timer } from '../base/clock.js';
import {
  FastClientStreamCall, messageReader, type ClientStreamHandler,
} from './fast-client-stream.js';
import { FastStreamCall, type StreamOut } from './fast-stream-call.js';
import { DeadlineQueue, type Deadlined } from './deadline-queue.js';
import { FastUnaryCall } from './fast-unary-call.js';
import { stageTrace, wallMs } from './stage-trace.js';
import {
  PREFIX_BYTES,
  declaredTooLarge,
  encodeGrpcMessage,
  frameMessage,
  parseTimeoutMs,
  parseUnaryBody,
  secondMessage,
  writePrefix,
} from './fast-unary-frame.js';

/** UnaryMethod is what addService registered for one unary path. */
export interface UnaryMethod {
  kind: 'unary';
  path: string;
  deserialize: (bytes: Buffer) => unknown;
  serialize: (value: unknown) => Buffer;
  handler: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;
}

/** StreamMethod is what addService registered for one server-streaming path. */
export interface StreamMethod {
  kind: 'serverStream';
  path: string;
  deserialize: (bytes: Buffer) => unknown;
  serialize: (value: unknown) => Buffer;
  handler: (call: ServerWritableStream<unknown, unknown>) => void;
}

/** ClientStreamMethod is a client-streaming path whose handler opted in (fast-client-stream.ts). */
export interface ClientStreamMethod {
  kind: 'clientStream';
  path: string;
  deserialize: (bytes: Buffer) => unknown;
  serialize: (value: unknown) => Buffer;
  handler: ClientStreamHandler;
}

/** FastMethod is a method the fast path serves. */
export type FastMethod = UnaryMethod | StreamMethod | ClientStreamMethod;

/** FastUnaryEnv is what every exchange of one server shares. Limits are grpc-js's
 *  grpc.max_receive/send_message_length (-1: unlimited); served counts exchanges taken. */
export interface FastUnaryEnv {
  clock: Clock;
  /** Wall-clock ms: grpc deadlines are wall time by protocol (getDeadline reports one). */
  wallNowMs: () => number;
  maxReceiveBytes: number;
  maxSendBytes: number;
  stats: { served: number; streamed: number };
  /** The server's calls' grpc-timeouts on one timer (deadline-queue.ts). */
  deadlines: DeadlineQueue;
}

/** newFastUnaryEnv is the shared state of one server's exchanges. */
export function newFastUnaryEnv(
  clock: Clock, maxReceiveBytes: number, maxSendBytes: number,
): FastUnaryEnv {
  return {
    clock,
    wallNowMs: () => Date.now(),
    maxReceiveBytes,
    maxSendBytes,
    stats: { served: 0, streamed: 0 },
    deadlines: new DeadlineQueue(clock),
  };
}

interface Status {
  code: status;
  details: string;
  metadata?: Metadata | null | undefined;
}

const DEADLINE_EXCEEDED: Status = { code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' };

/** serveCall takes over stream for method; the exchange then lives on the stream's events. */
export function serveCall(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  method: FastMethod,
  env: FastUnaryEnv,
): void {
  if (method.kind !== 'serverStream') env.stats.served++;
  else env.stats.streamed++;
  new Exchange(stream, headers, method, env).start();
}

/** Exchange is one call's state: reading → running → done (answered or cancelled). */
class Exchange implements StreamOut, Deadlined {
  private done = false;
  private headersSent = false;
  /** Its own deadline timer, only when the server's DeadlineQueue refused it (out of order). */
  private timer: Timer | undefined;
  private deadline = Infinity;
  dueMs = Infinity;
  prevDue: Deadlined | undefined;
  nextDue: Deadlined | undefined;
  queued = false;
  private call: FastUnaryCall<unknown> | undefined;
  private first: Buffer | undefined;
  private chunks: Buffer[] | undefined;
  private received = 0;
  private prefixChecked = false;
  /** A client stream's reader: DATA in, messages to the handler (clientStream only). */
  private push: ((chunk: Buffer) => void) | undefined;
  /** What sendTrailers sends once HTTP/2 asks for the trailers (set by finish). */
  trailers: OutgoingHttpHeaders | undefined;
  /** When the stream opened (wall ms), only while stage tracing is on (stage-trace.ts). */
  private readonly openedMs = stageTrace ? wallMs() : 0;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly method: FastMethod,
    private readonly env: FastUnaryEnv,
  ) {}

  start(): void {
    const s = this.stream as ExchangeStream;
    s[EXCHANGE] = this;
    // A reset stream emits 'error' after 'close'; there is nobody left to tell. Each of these
    // events comes at most once, so plain shared listeners do: no closure and no once-wrapper
    // per call (see EXCHANGE).
    s.on('error', ignoreError);
    s.on('close', streamClosed);
    s.on('data', streamData);
    s.on('end', streamEnded);
    if (this.startDeadline() && this.method.kind === 'clientStream') {
      this.openClientStream(this.method);
    }
  }

  /** startDeadline arms the grpc-timeout; false when the header is invalid (call answered). */
  private startDeadline(): boolean {
    const timeout = this.headers['grpc-timeout'];
    if (timeout === undefined) return true;
    const ms = parseTimeoutMs(String(timeout));
    if (ms === undefined) {
      this.finish({ code: status.INTERNAL, details: `Invalid grpc-timeout value "${timeout}"` });
      return false;
    }
    this.deadline = this.env.wallNowMs() + ms;
    this.dueMs = this.env.clock.nowMs() + ms;
    if (!this.env.deadlines.add(this)) {
      this.timer = this.env.clock.setTimeout(() => this.finish(DEADLINE_EXCEEDED), ms);
    }
    return true;
  }

  /** expire is the deadline passing (the DeadlineQueue's timer). */
  expire(): void {
    this.finish(DEADLINE_EXCEEDED);
  }

  /** stopDeadline: the exchange is over, its deadline no longer matters. */
  private stopDeadline(): void {
    this.timer?.cancel();
    this.env.deadlines.remove(this);
  }

  /** openClientStream starts a client-streaming handler at once, as grpc-js does; messages
   *  reach it as they arrive, 'end' when the client half-closes. */
  private openClientStream(m: ClientStreamMethod): void {
    const onMetadata = (md: Metadata): void => {
      if (!this.done) this.sendHeaders(md);
    };
    const { stream, headers, deadline } = this;
    const call = new FastClientStreamCall(stream, headers, m.path, deadline, onMetadata);
    this.call = call;
    const deliver = (value: unknown): void => {
      if (!this.done) call.emit('data', value);
    };
    const fail = (f: { code: status; details: string }): void => this.finish(f);
    this.push = messageReader(this.env.maxReceiveBytes, m.deserialize, deliver, fail);
    try {
      m.handler(
        call as unknown as ServerReadableStream<unknown, unknown>,
        (err, value, trailer) => this.respond(err, value, trailer),
      );
    } catch {
      this.finish({ code: status.UNKNOWN, details: 'Unknown error' });
    }
  }

  /** onData buffers the request, refusing one larger than allowed before it is all here. */
  onData(chunk: Buffer): void {
    if (this.done) return; // answered early: let the rest of the body drain
    if (this.push !== undefined) return this.push(chunk);
    const max = this.env.maxReceiveBytes;
    this.received += chunk.length;
    if (this.first === undefined) this.first = chunk;
    else (this.chunks ??= [this.first]).push(chunk);
    if (!this.prefixChecked && this.received >= PREFIX_BYTES) {
      this.prefixChecked = true;
      const tooLarge = declaredTooLarge(this.body(), max);
      if (tooLarge !== undefined) this.finish(tooLarge);
    } else if (max !== -1 && this.received > max + PREFIX_BYTES) {
      // The first message is at most max, so more bytes are a second message: refuse it before
      // buffering it, with what grpc-js says when one arrives.
      this.finish(secondMessage(this.method.path));
    }
  }

  private body(): Buffer {
    if (this.chunks !== undefined) {
      const all = Buffer.concat(this.chunks, this.received);
      this.chunks = [all];
      return all;
    }
    return this.first ?? Buffer.alloc(0);
  }

  onEnd(): void {
    if (this.done) return;
    if (this.push !== undefined) {
      this.call!.emit('end');
      return;
    }
    const bytes = parseUnaryBody(this.body(), this.env.maxReceiveBytes, this.method.path);
    this.first = this.chunks = undefined;
    if ('code' in bytes) {
      this.finish(bytes);
      return;
    }
    let request: unknown;
    try {
      request = this.method.deserialize(bytes);
    } catch {
      this.finish({ code: status.INTERNAL, details: 'Error deserializing request' });
      return;
    }
    this.run(request);
  }

  private run(request: unknown): void {
    const m = this.method;
    const onMetadata = (md: Metadata): void => {
      if (!this.done) this.sendHeaders(md);
    };
    const { stream, headers, deadline } = this;
    try {
      if (m.kind === 'unary') {
        const call = new FastUnaryCall(stream, headers, m.path, request, deadline, onMetadata);
        if (stageTrace) call.stamps = [this.openedMs, wallMs(), 0, 0, 0, 0];
        this.call = call;
        m.handler(call, (err, value, trailer) => this.respond(err, value, trailer));
      } else if (m.kind === 'serverStream') {
        const call = new FastStreamCall(
          stream, headers, m.path, request, deadline, onMetadata, this,
        );
        this.call = call;
        m.handler(call as unknown as ServerWritableStream<unknown, unknown>);
      }
    } catch {
      this.finish({ code: status.UNKNOWN, details: 'Unknown error' });
    }
  }

  /** respond is the handler's callback: an error status, or one message then OK. */
  private respond(err: unknown, value: unknown, trailer: Metadata | undefined): void {
    if (this.done) return;
    if (err !== null && err !== undefined) {
      this.finish(errorToStatus(err, trailer));
      return;
    }
    const message = this.serialized(value);
    if (message === undefined) return;
    this.finish({ code: status.OK, details: 'OK', metadata: trailer }, message);
  }

  /** send writes one message of a stream (headers first); false when the exchange is over or
   *  ended now because the message could not be sent. written runs once HTTP/2 took it. */
  send(value: unknown, written: (err?: Error | null) => void): boolean {
    if (this.done || this.closed()) return false;
    const message = this.serialized(value);
    if (message === undefined) return false;
    this.sendHeaders(undefined);
    writeFramed(this.stream, message, written);
    return true;
  }

  /** end closes a stream with OK and trailer as its trailing metadata. */
  end(trailer: Metadata | undefined): void {
    this.finish({ code: status.OK, details: 'OK', metadata: trailer });
  }

  /** fail closes a stream with the status of err, as grpc-js's stream 'error' handler does. */
  fail(err: unknown): void {
    this.finish(errorToStatus(err, undefined));
  }

  /** serialized is value's bytes, or undefined after ending the call as grpc-js does when it
   *  cannot be serialized or is larger than allowed. */
  private serialized(value: unknown): Buffer | undefined {
    let message: Buffer;
    try {
      message = this.method.serialize(value);
    } catch {
      this.finish({ code: status.INTERNAL, details: 'Error serializing response' });
      return undefined;
    }
    const max = this.env.maxSendBytes;
    if (max !== -1 && message.length > max) {
      const details = `Sent message larger than max (${message.length + PREFIX_BYTES} vs. ${max})`;
      this.finish({ code: status.RESOURCE_EXHAUSTED, details });
      return undefined;
    }
    return message;
  }

  /** sendHeaders sends the response headers (once), leaving the stream open for trailers. */
  private sendHeaders(md: Metadata | undefined): void {
    if (this.headersSent || this.closed()) return;
    this.headersSent = true;
    const headers = md === undefined ? RESPONSE_HEADERS : { ...RESPONSE_HEADERS };
    this.stream.respond(withMetadata(headers, md), WAIT_FOR_TRAILERS);
  }

  /** finish ends the exchange with st: headers (if not yet sent), message (serialized, not yet
   *  framed), trailers; or, for an error before any headers, one trailers-only HEADERS frame, as
   *  grpc-js answers. */
  private finish(st: Status, message?: Buffer): void {
    if (this.done) return;
    this.done = true;
    this.stopDeadline();
    if (this.closed()) return;
    const md = st.metadata ?? undefined;
    if (message === undefined && !this.headersSent) {
      this.headersSent = true;
      const headers = {
        'grpc-status': st.code,
        'grpc-message': grpcMessage(st),
        ':status': 200,
        'content-type': CONTENT_TYPE,
      };
      this.stream.respond(withMetadata(headers, md), END_STREAM);
    } else {
      const trailers =
        st.code === status.OK && md === undefined
          ? OK_TRAILERS
          : withMetadata(
              { 'grpc-status': st.code, 'grpc-message': grpcMessage(st) },
              md,
            );
      this.sendHeaders(undefined);
      this.trailers = trailers;
      this.stream.on('wantTrailers', sendTrailers);
      if (message === undefined) this.stream.end();
      else endFramed(this.stream, message);
    }
    this.notifyCancelled();
  }

  private closed(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  /** A client reset (or a stream gone before the answer) cancels the running handler. */
  onClose(): void {
    if (this.done) return;
    this.done = true;
    this.stopDeadline();
    this.notifyCancelled();
  }

  /** notifyCancelled marks the call cancelled and emits 'cancelled' on the next tick, as grpc-js
   *  does when a call ends for any reason (after its status, too). */
  private notifyCancelled(): void {
    const call = this.call;
    if (call === undefined || call.cancelled) return;
    call.cancelled = true;
    if (call.listenerCount('cancelled') > 0) {
      process.nextTick(() => call.emit('cancelled', 'cancelled'));
    }
  }
}

/** Response headers and OK trailers as grpc-go (etcd, containerd) sends them: content-type
 *  application/grpc, no grpc-encoding or grpc-accept-encoding (grpc-js adds both, and its client
 *  turns each into Metadata and parses the encodings list on every call: a grpc-js client at 256
 *  Puts in flight spent ~10 % more CPU per call on grpc-js's set than on etcd's, alternating
 *  against a bare server: bench/lib/grpc-headers-micro.ts), an empty grpc-message. A compressed request still goes to grpc-js.
 *  node:http2 copies what respond and sendTrailers are given, so the constants are shared
 *  (frozen: a change there would throw). */
const CONTENT_TYPE = 'application/grpc';
const RESPONSE_HEADERS: OutgoingHttpHeaders =
  Object.freeze({ ':status': 200, 'content-type': CONTENT_TYPE });
const OK_TRAILERS: OutgoingHttpHeaders = Object.freeze({ 'grpc-status': 0, 'grpc-message': '' });

/** grpcMessage: the grpc-message of st, empty for OK as grpc-go sends it (grpc-js sends "OK"). */
function grpcMessage(st: Status): string {
  return st.code === status.OK ? '' : encodeGrpcMessage(st.details);
}

/** sendDate false: node:http2 adds a `date` header to every response unless told not to; no gRPC
 *  peer reads it and grpc-go (etcd) sends none, while each one costs the server a header to
 *  copy, validate and HPACK-encode and the client (grpc-js) one more to convert into Metadata. */
const WAIT_FOR_TRAILERS = Object.freeze({ waitForTrailers: true, sendDate: false });
const END_STREAM = Object.freeze({ endStream: true, sendDate: false });

/** EXCHANGE: a served stream's Exchange, so the stream's listeners are module functions shared
 *  by every call (EventEmitter calls them with the stream as `this`) instead of four closures
 *  and three once-wrappers allocated per call. */
const EXCHANGE = Symbol('k8ts.fastExchange');
type ExchangeStream = ServerHttp2Stream & { [EXCHANGE]?: Exchange };

function exchangeOf(stream: ServerHttp2Stream): Exchange {
  return (stream as ExchangeStream)[EXCHANGE]!;
}
function ignoreError(): void {}
function streamClosed(this: ServerHttp2Stream): void {
  exchangeOf(this).onClose();
}
function streamData(this: ServerHttp2Stream, chunk: Buffer): void {
  exchangeOf(this).onData(chunk);
}
function streamEnded(this: ServerHttp2Stream): void {
  exchangeOf(this).onEnd();
}
function sendTrailers(this: ServerHttp2Stream): void {
  const trailers = exchangeOf(this).trailers;
  if (trailers !== undefined) this.sendTrailers(trailers);
}

/** Messages at least this long go out as prefix + message chunks (writeFramed). */
const WRITEV_MIN_BYTES = 1024;

/**
 * writeFramed writes message as one gRPC message of stream: its 5-byte prefix and the message
 * itself as two chunks of one corked write (node:http2 takes them as one writev and puts both in
 * the same DATA frame), so the message is not copied into a framed buffer of its own. A watch
 * message is an event's shared encoding (apiserver/grpc/watch-encode.ts), the same bytes for
 * every watcher: copying it per watcher was ~109 µs of API-server CPU per burst pod (and a unary
 * answer — a pod the API server created, a Range's values — is not copied either). A message
 * under WRITEV_MIN_BYTES is still copied: the copy comes from Node's buffer pool and is cheaper
 * than a second chunk (bench/lib/h2-frame-micro.ts, 8 streams, server CPU per message per
 * stream: 300 B copy 2.09 µs vs writev 2.44; 1,500 B 2.56 vs 2.26; 4,000 B 6.13 vs 3.46).
 * written runs once HTTP/2 took the message.
 */
export function writeFramed(
  stream: ServerHttp2Stream, message: Buffer, written: (err?: Error | null) => void,
): void {
  if (message.length < WRITEV_MIN_BYTES) {
    stream.write(frameMessage(message), written);
    return;
  }
  stream.cork();
  stream.write(framePrefix(message));
  stream.write(message, written);
  stream.uncork();
}

/** endFramed is writeFramed for a unary answer: the message, then the end of the stream. */
export function endFramed(stream: ServerHttp2Stream, message: Buffer): void {
  if (message.length < WRITEV_MIN_BYTES) {
    stream.end(frameMessage(message));
    return;
  }
  stream.cork();
  stream.write(framePrefix(message));
  stream.end(message); // uncorks: prefix and message go out as one writev
}

/** framePrefix is message's 5-byte gRPC prefix (flag 0: never compressed). */
function framePrefix(message: Buffer): Buffer {
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  writePrefix(prefix, message.length);
  return prefix;
}

/** withMetadata adds md's HTTP/2 form (-bin values base64) to headers, after what is there. */
function withMetadata(headers: OutgoingHttpHeaders, md: Metadata | undefined): OutgoingHttpHeaders {
  return md === undefined ? headers : Object.assign(headers, md.toHttp2Headers());
}

/** errorToStatus is grpc-js's serverErrorToStatus: an integer `code` (with string `details`)
 *  wins, else UNKNOWN with the error's message; trailer metadata overrides the error's. */
function errorToStatus(err: unknown, trailer: Metadata | undefined): Status {
  const e = err as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown };
  const metadata = trailer ?? (e.metadata instanceof Metadata ? e.metadata : null);
  let code: status = status.UNKNOWN;
  const hasMessage = typeof err === 'object' && err !== null && 'message' in err;
  let details = hasMessage ? String(e.message) : 'Unknown Error';
  if (typeof e.code === 'number' && Number.isInteger(e.code)) {
    code = e.code;
    if (typeof e.details === 'string') details = e.details;
  }
  return { code, details, metadata };
}
