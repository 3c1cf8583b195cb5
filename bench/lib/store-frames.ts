/**
 * store-frames: what each store's answers cost the load client, counted on the wire instead of
 * timed (counts survive a noisy shared machine; times do not). It starts a fresh 3-member
 * cluster of each system in turn (k8ts, then etcd, as the store bench does), puts a counting
 * TCP proxy in front of the leader, drives Puts closed-loop through it with the bench's own
 * client (StoreEndpoint: grpc-js, or K8TS_BENCH_STORE_CLIENT=h2), and prints per Put, each way:
 * HTTP/2 frames by type, bytes, and TCP reads the proxy made (≈ the sender's writes, as the proxy
 * reads as soon as data arrives) — plus the client's CPU per Put, which includes the proxy's
 * relay (the same code for both systems, so the difference between them is still the servers').
 *
 *   node --import tsx bench/lib/store-frames.ts [inflight=256] [seconds=5] [k8ts|etcd|both]
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { closedLoop } from './store-load.js';
import { StoreEndpoint } from './store-endpoint.js';
import { EtcdStore, etcdVersionOrUndefined, K8tsStore, waitReady, type StoreSystem } from './store-systems.js';

const FRAME_TYPES = ['DATA', 'HEADERS', 'PRIORITY', 'RST_STREAM', 'SETTINGS', 'PUSH_PROMISE', 'PING', 'GOAWAY', 'WINDOW_UPDATE', 'CONTINUATION'];
const PREFACE_BYTES = 24;

/** FrameCounter parses one direction's HTTP/2 frame headers as bytes pass (the client's
 *  connection preface first, when it is the client's side). */
class FrameCounter {
  readonly frames = new Map<string, number>();
  headerBytes = 0;
  bytes = 0;
  reads = 0;
  private skip: number;
  private head = Buffer.alloc(0);

  constructor(fromClient: boolean) {
    this.skip = fromClient ? PREFACE_BYTES : 0;
  }

  feed(chunk: Buffer): void {
    this.reads++;
    this.bytes += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const need = 9 - this.head.length;
      const take = chunk.subarray(at, at + need);
      this.head = Buffer.concat([this.head, take]);
      at += take.length;
      if (this.head.length < 9) return;
      const len = this.head.readUIntBE(0, 3);
      const type = FRAME_TYPES[this.head[3]!] ?? `type${this.head[3]}`;
      this.frames.set(type, (this.frames.get(type) ?? 0) + 1);
      if (type === 'HEADERS') this.headerBytes += len;
      this.head = Buffer.alloc(0);
      this.skip = len;
    }
  }

  /** reset zeroes the counts (the warm-up's frames are not measured). */
  reset(): void {
    this.frames.clear();
    this.headerBytes = this.bytes = this.reads = 0;
  }
}

/** proxy relays every connection to target, counting both ways. */
async function proxy(target: string, up: FrameCounter, down: FrameCounter): Promise<{ address: string; close(): void }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets: Socket[] = [];
  const srv = createServer((client) => {
    client.setNoDelay(true);
    const server = createConnection({ host, port, noDelay: true });
    sockets.push(client, server);
    client.on('data', (c: Buffer) => {
      up.feed(c);
      server.write(c);
    });
    server.on('data', (c: Buffer) => {
      down.feed(c);
      client.write(c);
    });
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(srv.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

function perPut(c: FrameCounter, puts: number): string {
  const types = [...c.frames.entries()].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${(n / puts).toFixed(3)}`);
  return `reads ${(c.reads / puts).toFixed(3)}, bytes ${(c.bytes / puts).toFixed(1)} (headers ${(c.headerBytes / puts).toFixed(1)}); ${types.join(', ')}`;
}

async function measure(sys: StoreSystem, inflight: number, seconds: number): Promise<void> {
  await sys.start();
  try {
    const r = await waitReady(sys);
    const up = new FrameCounter(true);
    const down = new FrameCounter(false);
    const px = await proxy(sys.endpoints[r.leader]!.address, up, down);
    const ep = new StoreEndpoint(px.address);
    const value = Buffer.alloc(256, 0x61);
    const m = await closedLoop({
      warmupMs: 2_000,
      measureMs: seconds * 1000,
      pids: sys.pids(),
      inflight,
      op: (w, i) => ep.put(Buffer.from(`/frames/${w}/${i}`, 'latin1'), value),
    });
    // The counters ran through the warm-up too: per put means per request the client sent.
    const total = up.frames.get('HEADERS') ?? 0;
    console.log(`${sys.label}: ${(m.ops / m.seconds).toFixed(0)} puts/s, client CPU ${((m.cpu.benchMs * 1000) / m.ops).toFixed(0)} µs/put ` +
      `(client + proxy), members ${((m.cpu.membersMs * 1000) / m.ops).toFixed(0)} µs/put, foreign ${m.cpu.foreignCores.toFixed(2)} cores`);
    console.log(`  client → server per put: ${perPut(up, total)}`);
    console.log(`  server → client per put: ${perPut(down, total)}`);
    ep.close();
    px.close();
  } finally {
    await sys.stop();
  }
}

async function main(): Promise<void> {
  const inflight = Number(process.argv[2] ?? 256);
  const seconds = Number(process.argv[3] ?? 5);
  const which = process.argv[4] ?? 'both';
  if (which !== 'etcd') await measure(new K8tsStore(3, undefined, 29600), inflight, seconds);
  const v = etcdVersionOrUndefined();
  if (which !== 'k8ts' && v !== undefined) await measure(new EtcdStore(3, v, 29700), inflight, seconds);
}

await main();
