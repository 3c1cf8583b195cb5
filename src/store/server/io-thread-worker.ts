/**
 * The I/O thread of a store member (started by io-thread.ts with the member's `ioThread` option):
 * it owns the member's etcd client listener, so the HTTP/2 sessions, gRPC framing and the client
 * socket's reads and writes run beside the main thread's Raft, WAL and MVCC apply instead of
 * taking turns with them (at 256 Puts in flight that work is over half of a leader's main-thread
 * CPU). The unary KV calls cross to the main thread as raw request bytes, one transferred buffer
 * per turn of this loop (io-batch.ts); answers come back as encoded bytes. Every other etcd method
 * (Watch, Lease, Cluster, Maintenance) is proxied byte for byte to the same member's peer port,
 * which serves the whole API on the main thread, so etcdctl and the API server see one endpoint
 * that behaves as before.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  Client, Metadata, status, type CallOptions, type ClientDuplexStream, type ClientReadableStream,
  type ClientWritableStream, type ServerDuplexStream, type ServerReadableStream,
  type ServerUnaryCall, type ServerWritableStream, type ServiceDefinition, type sendUnaryData,
  type ServiceError, type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  ClusterService, KVService, LeaseService, MaintenanceService, WatchService,
} from '../../gen/etcdserverpb/rpc.js';
import { channelCredentials, serverCredentials, type TlsFiles } from '../../rpc/credentials.js';
import { channelOptions } from '../../rpc/defaults.js';
import { metadataValue } from '../../rpc/fast-unary-call.js';
import { bind, newServer } from '../../rpc/server.js';
import { IO_KV_METHODS, IO_PUT_PROPOSAL, packCalls, unpackAnswers, type IoCall } from './io-batch.js';
import { putProposal } from './request-encode.js';

/** IoThreadData is the worker's workerData. */
export interface IoThreadData {
  /** host:port of the client listener (port 0: ephemeral). */
  listen: string;
  /** Where the main thread serves the full etcd API (the member's peer port). */
  peerAddress: string;
  tls: TlsFiles | undefined;
  /** Puts cross as the StoreRequest to propose (request-encode.ts's putProposal) instead of their request bytes. */
  encodePuts: boolean;
}

/** Messages to the main thread: the bound port (or why not), then batches of calls. */
export type IoThreadEvent =
  | { t: 'bound'; port: number }
  | { t: 'failed'; message: string };

/** Calls waiting for this turn's batch are bounded: a main thread that stopped answering must
 *  not let the I/O thread buffer without limit (a full batch is posted at once). */
const BATCH_MAX_CALLS = 1024;

type Callback = sendUnaryData<Buffer>;

const identity = (b: Buffer): Buffer => b;

/** bytesDefinition is def with every message left as its bytes in both directions. */
function bytesDefinition(def: ServiceDefinition): ServiceDefinition {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    out[name] = {
      ...m, requestSerialize: identity, requestDeserialize: identity,
      responseSerialize: identity, responseDeserialize: identity,
    };
  }
  return out as ServiceDefinition;
}

const PUT = IO_KV_METHODS.indexOf('put');

/** KvBridge batches unary KV calls to the main thread and answers them from its replies. */
class KvBridge {
  private nextId = 1;
  private readonly waiting = new Map<number, Callback>();
  private batch: IoCall[] = [];
  private flushScheduled = false;

  constructor(
    private readonly post: (buf: ArrayBuffer) => void,
    private readonly encodePuts: boolean,
  ) {}

  handler(method: number): (call: ServerUnaryCall<Buffer, Buffer>, cb: Callback) => void {
    return (call, cb) => {
      const id = this.nextId;
      this.nextId = this.nextId === 0xffff_ffff ? 1 : this.nextId + 1;
      this.waiting.set(id, cb);
      // metadataValue reads the request headers; call.metadata would build a Metadata per call.
      const hasLeader = metadataValue(call, 'hasleader') === 'true';
      const traceparent = metadataValue(call, 'traceparent') ?? '';
      const tracestate = metadataValue(call, 'tracestate') ?? '';
      const proposal = method === PUT && this.encodePuts
        ? putProposal(call.request, traceparent, tracestate)
        : undefined;
      this.batch.push(proposal === undefined
        ? { id, method, hasLeader, traceparent, tracestate, body: call.request }
        // The trace context is inside the proposal already.
        : { id, method: IO_PUT_PROPOSAL, hasLeader, traceparent: '', tracestate: '', body: proposal });
      if (this.batch.length >= BATCH_MAX_CALLS) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        // After this turn's I/O callbacks: every call whose stream ended in this turn goes in one message.
        setImmediate(() => this.flush());
      }
    };
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batch.length === 0) return;
    const buf = packCalls(this.batch);
    this.batch = [];
    this.post(buf);
  }

  /** answer delivers one batch of the main thread's answers. */
  answer(buf: ArrayBuffer): void {
    for (const a of unpackAnswers(buf)) {
      const cb = this.waiting.get(a.id);
      if (cb === undefined) continue;
      this.waiting.delete(a.id);
      if (a.code === status.OK) cb(null, Buffer.from(a.body.buffer, a.body.byteOffset, a.body.length));
      else cb({ code: a.code, details: a.details, metadata: new Metadata() });
    }
  }
}

/** Proxy forwards every method of a service to the main thread's server, bytes unchanged. */
class Proxy {
  constructor(private readonly client: Client) {}

  implementation(def: ServiceDefinition): UntypedServiceImplementation {
    const impl: UntypedServiceImplementation = {};
    for (const [name, m] of Object.entries(def)) {
      const { path } = m;
      if (!m.requestStream && !m.responseStream) impl[name] = this.unary(path);
      else if (!m.requestStream) impl[name] = this.serverStream(path);
      else if (!m.responseStream) impl[name] = this.clientStream(path);
      else impl[name] = this.bidi(path);
    }
    return impl;
  }

  private unary(path: string) {
    return (call: ServerUnaryCall<Buffer, Buffer>, cb: Callback): void => {
      const up = this.client.makeUnaryRequest(
        path, identity, identity, call.request, forwarded(call.metadata), options(call), cb,
      );
      call.on('cancelled', () => up.cancel());
    };
  }

  private serverStream(path: string) {
    return (call: ServerWritableStream<Buffer, Buffer>): void => {
      const up: ClientReadableStream<Buffer> = this.client.makeServerStreamRequest(
        path, identity, identity, call.request, forwarded(call.metadata), options(call),
      );
      pipeDown(up, call);
    };
  }

  private clientStream(path: string) {
    return (call: ServerReadableStream<Buffer, Buffer>, cb: Callback): void => {
      const up: ClientWritableStream<Buffer> = this.client.makeClientStreamRequest(
        path, identity, identity, forwarded(call.metadata), options(call), cb,
      );
      pipeUp(call, up);
    };
  }

  private bidi(path: string) {
    return (call: ServerDuplexStream<Buffer, Buffer>): void => {
      const up: ClientDuplexStream<Buffer, Buffer> = this.client.makeBidiStreamRequest(
        path, identity, identity, forwarded(call.metadata), options(call),
      );
      pipeUp(call, up);
      pipeDown(up, call);
    };
  }
}

/** forwarded is the client's metadata minus what the upstream call sets itself. */
function forwarded(md: Metadata): Metadata {
  const out = md.clone();
  for (const k of ['grpc-timeout', 'user-agent', 'content-type', 'te']) out.remove(k);
  return out;
}

function options(call: { getDeadline(): unknown }): CallOptions {
  const d = call.getDeadline();
  return typeof d === 'number' && Number.isFinite(d) ? { deadline: d } : {};
}

/** pipeUp sends what the client streams to the upstream call; a cancelled client cancels it. */
function pipeUp(
  call: ServerReadableStream<Buffer, Buffer> | ServerDuplexStream<Buffer, Buffer>,
  up: ClientWritableStream<Buffer> | ClientDuplexStream<Buffer, Buffer>,
): void {
  call.on('data', (b: Buffer) => up.write(b));
  call.on('end', () => up.end());
  call.on('cancelled', () => up.cancel());
  call.on('error', () => up.cancel());
}

/** pipeDown sends the upstream's messages and status to the client. */
function pipeDown(
  up: ClientReadableStream<Buffer> | ClientDuplexStream<Buffer, Buffer>,
  call: ServerWritableStream<Buffer, Buffer> | ServerDuplexStream<Buffer, Buffer>,
): void {
  up.on('data', (b: Buffer) => call.write(b));
  up.on('error', (err: ServiceError) => {
    call.emit('error', { code: err.code, details: err.details, metadata: err.metadata });
  });
  up.on('status', (st: { code: number; metadata: Metadata }) => {
    if (st.code === status.OK) call.end(st.metadata);
  });
  call.on('cancelled', () => up.cancel());
}

/** runIoThread binds the client listener and serves until the main thread terminates it. */
async function runIoThread(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('io-thread-worker.ts runs only as a worker thread');
  const data = workerData as IoThreadData;
  const kv = new KvBridge((buf) => port.postMessage(buf, [buf]), data.encodePuts);
  port.on('message', (msg: unknown) => {
    if (msg instanceof ArrayBuffer) kv.answer(msg);
  });
  const server = newServer();
  const kvImpl: UntypedServiceImplementation = {};
  IO_KV_METHODS.forEach((name, i) => {
    kvImpl[name] = kv.handler(i);
  });
  server.addService(bytesDefinition(KVService), kvImpl);
  const upstream = new Client(data.peerAddress, channelCredentials(data.tls), channelOptions());
  const proxy = new Proxy(upstream);
  for (const def of [WatchService, LeaseService, ClusterService, MaintenanceService]) {
    const bytes = bytesDefinition(def);
    server.addService(bytes, proxy.implementation(bytes));
  }
  try {
    const bound = await bind(server, data.listen, serverCredentials(data.tls));
    port.postMessage({ t: 'bound', port: bound } satisfies IoThreadEvent);
  } catch (err) {
    port.postMessage({ t: 'failed', message: String(err) } satisfies IoThreadEvent);
  }
}

void runIoThread();
