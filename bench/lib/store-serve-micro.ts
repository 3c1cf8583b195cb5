/**
 * store-serve-micro: the CPU a store leader spends SERVING a Put over gRPC — the HTTP/2 stream,
 * the request and answer on the lean path (src/rpc/fast-serve.ts), the handler's promise — with
 * Raft and the MVCC state taken out, measured as process CPU time (user + system, GC threads
 * included) so it survives a loaded machine. A child process serves etcd's KV service with a Put
 * that answers on the next event-loop turn together with every Put that arrived in the same turn
 * (as the leader answers one applied batch); this process drives it with the store benchmark's
 * own client (StoreEndpoint: grpc-js, one HTTP/2 connection) at `inflight` Puts in flight.
 *
 *   node --import tsx bench/lib/store-serve-micro.ts [puts=60000] [inflight=256] [rounds=3]
 *
 * Prints, per round, the server's and this client's CPU µs per Put, the server's young-GC
 * count per 1,000 Puts, its other GCs (mark-compact, incremental marking) and its heap in use. SERVE_MICRO_NODE_ARGS adds node flags to the server only (e.g.
 * "--max-semi-space-size=32"). SERVE_MICRO_FLOOR=1 serves with bare node:http2 instead (read
 * the body, answer one fixed message and the OK trailers, no gRPC layer at all): the floor any
 * server on node:http2 pays per call, against which the lean path's own share is measured.
 * SERVE_MICRO_IO_THREAD=1 serves through the store member's I/O thread (io-thread.ts), Puts
 * crossing as the member's do (decoded, validated and encoded as the proposal by the worker): the
 * "main thread" figure is then what the Raft thread would still spend per Put.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type ServerHttp2Stream } from 'node:http2';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { KVServer, PutResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { serverCredentials } from '../../src/rpc/credentials.js';
import { bind, newServer } from '../../src/rpc/server.js';
import { IoThread } from '../../src/store/server/io-thread.js';
import { KV_SERVICE } from '../../src/store/server/kv-service.js';
import { serve } from '../../src/store/server/unary.js';
import { StoreEndpoint } from './store-endpoint.js';

const ADDRESS = '127.0.32.10:0';
const VALUE = Buffer.alloc(256, 0x61);

interface Usage { cpuUs: number; mainCpuUs: number; scavenges: number; majors: number; heapMiB: number }

/** mainThreadCpuUs is the main thread's own CPU time (utime + stime of its /proc task, 10 ms
 *  ticks): process.cpuUsage() counts every thread, and with SERVE_MICRO_IO_THREAD=1 the question
 *  is how much stays on the main thread. */
function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** The served Puts' answers: resolved together on the turn after they arrived. */
function answerPuts(): () => Promise<PutResponse> {
  let waiting: ((res: PutResponse) => void)[] = [];
  let revision = 1n;
  const flush = (): void => {
    const now = waiting;
    waiting = [];
    for (const resolve of now) {
      revision++;
      resolve({ header: { clusterId: 7n, memberId: 1n, revision, raftTerm: 2n }, prevKv: undefined });
    }
  };
  return () => new Promise<PutResponse>((resolve) => {
    if (waiting.push(resolve) === 1) setImmediate(flush);
  });
}

/** floorServer answers every stream as the lean path does on the wire, with nothing else. */
async function floorServer(): Promise<number> {
  const answer = Buffer.alloc(5 + 16, 0);
  answer.writeUInt32BE(16, 1);
  const headers = { ':status': 200, 'content-type': 'application/grpc+proto' };
  const trailers = { 'grpc-status': '0', 'grpc-message': 'OK' };
  const respondOptions = { waitForTrailers: true, sendDate: false };
  let waiting: ServerHttp2Stream[] = [];
  const flush = (): void => {
    const now = waiting;
    waiting = [];
    for (const stream of now) {
      if (stream.closed) continue;
      stream.respond(headers, respondOptions);
      stream.once('wantTrailers', () => stream.sendTrailers(trailers));
      stream.end(answer);
    }
  };
  const server = createServer();
  server.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.on('error', () => undefined);
    stream.once('end', () => {
      if (waiting.push(stream) === 1) setImmediate(flush);
    });
  });
  await new Promise<void>((r) => server.listen(0, ADDRESS.split(':')[0], r));
  return (server.address() as { port: number }).port;
}

async function child(): Promise<void> {
  let scavenges = 0;
  let majors = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as { detail?: { kind?: number } }).detail;
      if (detail?.kind === 1) scavenges++;
      else majors++;
    }
  }).observe({ entryTypes: ['gc'] });
  let port: number;
  if (process.env.SERVE_MICRO_FLOOR === '1') port = await floorServer();
  else if (process.env.SERVE_MICRO_IO_THREAD === '1') {
    // The store member's I/O thread (io-thread.ts) in front of the same handler; its proxy's
    // upstream (the peer port) is never called here.
    const answer = answerPuts();
    const io = new IoThread({
      listen: ADDRESS, peerAddress: '127.0.32.10:9', tls: undefined,
      kv: { put: serve(answer) } as KVServer, putProposal: serve(answer), log: (l) => console.error(l),
    });
    port = await io.start();
  } else {
    const server = newServer();
    // The member's KV definition (its Put request and answer codecs: put-wire.ts).
    server.addService(KV_SERVICE, { put: serve(answerPuts()) } as KVServer);
    port = await bind(server, ADDRESS, serverCredentials(undefined));
  }
  process.on('message', () => {
    const u = process.cpuUsage();
    const heapMiB = process.memoryUsage().heapUsed / 1024 / 1024;
    const usage: Usage = { cpuUs: u.user + u.system, mainCpuUs: mainThreadCpuUs(), scavenges, majors, heapMiB };
    process.send!(usage);
  });
  process.send!({ port });
  process.on('disconnect', () => process.exit(0));
}

function usageOf(c: ReturnType<typeof fork>): Promise<Usage> {
  return new Promise((resolve) => {
    c.once('message', (m: Usage) => resolve(m));
    c.send('usage');
  });
}

/** drive keeps `inflight` Puts going until `puts` were answered. */
async function drive(ep: StoreEndpoint, puts: number, inflight: number, tag: string): Promise<void> {
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    while (next < puts) {
      const i = next++;
      await ep.put(Buffer.from(`/micro/${tag}/${w}/${i}`, 'latin1'), VALUE);
    }
  };
  await Promise.all(Array.from({ length: inflight }, (_, w) => worker(w)));
}

async function parent(puts: number, inflight: number, rounds: number): Promise<void> {
  const extra = (process.env.SERVE_MICRO_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const c = fork(import.meta.filename, ['--child'], { execArgv: ['--import', 'tsx', ...extra] });
  const port = await new Promise<number>((r) => c.once('message', (m: { port: number }) => r(m.port)));
  const ep = new StoreEndpoint(`127.0.32.10:${port}`);
  await drive(ep, Math.min(20_000, puts), inflight, 'warm');
  for (let r = 1; r <= rounds; r++) {
    const s0 = await usageOf(c);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await drive(ep, puts, inflight, `r${r}`);
    const secs = (performance.now() - t0) / 1000;
    const cu = process.cpuUsage(c0);
    const s1 = await usageOf(c);
    const server = (s1.cpuUs - s0.cpuUs) / puts;
    const main = (s1.mainCpuUs - s0.mainCpuUs) / puts;
    const client = (cu.user + cu.system) / puts;
    const gcs = ((s1.scavenges - s0.scavenges) * 1000) / puts;
    console.log(
      `round ${r}: ${(puts / secs).toFixed(0)} puts/s  server ${server.toFixed(1)} µs/put ` +
      `(main thread ${main.toFixed(1)})  ` +
      `client ${client.toFixed(1)} µs/put  server scavenges ${gcs.toFixed(2)} per 1k puts, ` +
      `other GCs ${s1.majors - s0.majors}, heap ${s1.heapMiB.toFixed(0)} MiB`,
    );
  }
  ep.close();
  c.disconnect();
}

if (process.argv[2] === '--child') {
  await child();
} else {
  const [puts = 60_000, inflight = 256, rounds = 3] = process.argv.slice(2).map(Number);
  await parent(puts, inflight, rounds);
}
