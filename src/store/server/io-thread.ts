/**
 * IoThread is the main-thread side of a store member's I/O thread (io-thread-worker.ts): it starts
 * the worker that owns the client listener, runs the unary KV calls the worker hands over through
 * the member's own KV handlers (kv-service.ts, so validation, barriers, proposals and errors are
 * exactly what a call on the peer port gets), and sends the answers back encoded, all the answers
 * settled in one main-thread turn in one transferred buffer (io-batch.ts).
 *
 * Why: a member is one event loop; at 256 Puts in flight the leader's loop spends over half of its
 * busy time on HTTP/2 sessions, gRPC framing and message codecs, and on a 2-core machine the
 * client, the leader and the followers take turns. With the listener on a second thread that work
 * runs beside Raft and the WAL, as etcd's goroutines do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Metadata, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { KVServer, PutResponse } from '../../gen/etcdserverpb/rpc.js';
import type { TlsFiles } from '../../rpc/credentials.js';
import { IO_KV_METHODS, IO_PUT_PROPOSAL, packAnswers, unpackCalls, type IoAnswer, type IoCall } from './io-batch.js';
import { KV_SERVICE } from './kv-service.js';
import type { IoThreadData, IoThreadEvent } from './io-thread-worker.js';

/** IoThreadOptions: where to listen, where the worker proxies the rest, the KV handlers. */
export interface IoThreadOptions {
  listen: string;
  peerAddress: string;
  tls: TlsFiles | undefined;
  kv: KVServer;
  /** Serves a Put the worker already turned into the StoreRequest to propose (kv-service.ts's
   *  ioPutProposal); without it Puts cross as their request bytes like the other calls. */
  putProposal?: (call: ServerUnaryCall<Uint8Array, PutResponse>, cb: sendUnaryData<PutResponse>) => void;
  log(line: string): void;
}

/** The worker's boot script: workers do not inherit `--import tsx`, so it registers tsx itself
 *  (also when the member runs from the esbuild bundle: the worker is not a bundle entry). */
function bootScript(entry: string): string {
  const tsx = tsxEsmApi();
  return `import(${JSON.stringify(tsx)}).then((t) => { t.register(); ` +
    `return import(${JSON.stringify(entry)}); });`;
}

/** bundledWorker is the worker's bundled module when the process runs from the esbuild bundle
 *  (its entry is <bundle>/src/.../x.mjs; bundle.ts's WORKER_ENTRIES puts the worker beside it),
 *  else undefined. Booting it through tsx there instead cost ~50 MiB RSS per member (tsx's
 *  loader and every source transpiled again in the worker) and ~1 s of CPU at start. */
function bundledWorker(entry: string | undefined): string | undefined {
  const root = entry === undefined ? undefined : /^(.*)[/\\]src[/\\].+\.mjs$/.exec(entry)?.[1];
  if (root === undefined) return undefined;
  const file = join(root, 'src', 'store', 'server', 'io-thread-worker.mjs');
  return existsSync(file) ? file : undefined;
}

/** tsxEsmApi is the URL of tsx's ESM register API, read from tsx's package exports: neither
 *  import.meta.resolve (absent when tsx runs this file as CommonJS, as under mocha) nor require's
 *  resolution (it picks the CommonJS build, which cannot register from a worker) finds it. */
function tsxEsmApi(): string {
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as
    { exports?: Record<string, { import?: { default?: string } }> };
  const rel = pkg.exports?.['./esm/api']?.import?.default;
  if (rel === undefined) throw new Error(`${pkgFile}: no ESM export ./esm/api`);
  return pathToFileURL(join(dirname(pkgFile), rel)).href;
}

type Handler = (call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => void;

interface Codec {
  decode: (b: Buffer) => unknown;
  encode: (v: unknown) => Buffer;
  handler: Handler;
}

export class IoThread {
  private worker: Worker | undefined;
  private readonly codecs: Codec[];
  private answers: IoAnswer[] = [];
  private flushScheduled = false;

  constructor(private readonly opts: IoThreadOptions) {
    this.codecs = IO_KV_METHODS.map((name) => {
      const def = KV_SERVICE[name] as unknown as {
        requestDeserialize: (b: Buffer) => unknown;
        responseSerialize: (v: unknown) => Buffer;
      };
      return {
        decode: def.requestDeserialize,
        encode: def.responseSerialize,
        handler: opts.kv[name] as unknown as Handler,
      };
    });
    if (opts.putProposal !== undefined) {
      this.codecs[IO_PUT_PROPOSAL] = {
        decode: (b) => b,
        encode: this.codecs[IO_KV_METHODS.indexOf('put')]!.encode,
        handler: opts.putProposal as Handler,
      };
    }
  }

  /** start starts the worker and resolves with the client port it bound. */
  start(): Promise<number> {
    const data: IoThreadData = {
      listen: this.opts.listen, peerAddress: this.opts.peerAddress, tls: this.opts.tls,
      encodePuts: this.opts.putProposal !== undefined,
    };
    const bundled = bundledWorker(process.argv[1]);
    const worker = bundled !== undefined
      ? new Worker(bundled, { workerData: data })
      : new Worker(bootScript(new URL('./io-thread-worker.ts', import.meta.url).href), { eval: true, workerData: data });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.on('message', (msg: ArrayBuffer | IoThreadEvent) => {
        if (msg instanceof ArrayBuffer) this.run(msg);
        else if (msg.t === 'bound') resolve(msg.port);
        else reject(new Error(`store I/O thread: ${msg.message}`));
      });
      // The worker dying would leave every client call unanswered: crash, the supervisor restarts.
      worker.on('error', (err) => {
        this.opts.log(`store I/O thread failed: ${err.stack ?? String(err)}`);
        reject(err);
        throw err;
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return; // stop() ended it
        const err = new Error(`store I/O thread exited (code ${code}) while serving`);
        reject(err);
        throw err;
      });
    });
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) await w.terminate();
  }

  /** run serves one batch of calls through the KV handlers. */
  private run(buf: ArrayBuffer): void {
    for (const c of unpackCalls(buf)) this.serve(c);
  }

  private serve(c: IoCall): void {
    const codec = this.codecs[c.method]!;
    let request: unknown;
    try {
      request = codec.decode(Buffer.from(c.body.buffer, c.body.byteOffset, c.body.length));
    } catch {
      this.push({ id: c.id, code: 13, details: 'Error deserializing request', body: EMPTY });
      return;
    }
    const call = { request, metadata: new CallMetadata(c) as unknown as Metadata };
    codec.handler(call as ServerUnaryCall<unknown, unknown>, (err, value) => {
      if (err !== null && err !== undefined) {
        const e = err as { code?: number; details?: string; message?: string };
        this.push({ id: c.id, code: e.code ?? 2, details: e.details ?? e.message ?? 'Unknown Error', body: EMPTY });
        return;
      }
      let body: Buffer;
      try {
        body = codec.encode(value);
      } catch {
        this.push({ id: c.id, code: 13, details: 'Error serializing response', body: EMPTY });
        return;
      }
      this.push({ id: c.id, code: 0, details: '', body });
    });
  }

  private push(a: IoAnswer): void {
    this.answers.push(a);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // After this turn's promise callbacks: every answer settled by one apply goes in one message.
    process.nextTick(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const w = this.worker;
    const answers = this.answers;
    this.answers = [];
    if (w === undefined || answers.length === 0) return;
    const buf = packAnswers(answers);
    w.postMessage(buf, [buf]);
  }
}

const EMPTY = new Uint8Array(0);

/** CallMetadata answers the only metadata the KV handlers read (metadataValue: hasleader, trace
 *  context) from what crossed with the call, instead of a grpc-js Metadata per call. */
class CallMetadata {
  constructor(private readonly c: IoCall) {}

  get(key: string): string[] {
    switch (key) {
      case 'hasleader':
        return this.c.hasLeader ? ['true'] : [];
      case 'traceparent':
        return this.c.traceparent === '' ? [] : [this.c.traceparent];
      case 'tracestate':
        return this.c.tracestate === '' ? [] : [this.c.tracestate];
      default:
        return [];
    }
  }
}
