/**
 * store-watch-client-micro: the store client's CPU per watch event delivered, measured in a
 * watcher process of its own, for several checkouts of k8ts alternately (e.g. the session's
 * base and HEAD worktrees). One etcd 3.4 member (Debian's etcd-server, client port 34891); each
 * round forks a watcher from one checkout's src/store/client with `watches` watches on one
 * prefix (an API server's watch cache has one per resource), then this process Puts `events`
 * keys (256-byte values, 32 in flight) and the watcher reports its process CPU from its watches'
 * creation to the last event delivered, per event (events × watches). Also the delivery latency
 * from each Put's start to its event reaching the first watch (p50/p99), which includes etcd's
 * commit (fsync) and the writer's client. STORE_WATCH_MICRO_SELF_WRITE=1: the watcher's client
 * makes the Puts itself (its CPU then covers each Put and its events, as in an API server).
 *
 *   node --import tsx bench/lib/store-watch-client-micro.ts <root>[,<root>...] [rounds=6] [events=20000] [watches=4]
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EtcdClient } from '../../src/store/client/index.js';
import { EtcdStore, etcdVersionOrUndefined } from './store-systems.js';

const PREFIX = '/watch-micro/';

interface WatchReport {
  usPerEvent: number;
  p50: number;
  p99: number;
}

/** A minimal view of either checkout's client: what the watcher uses. */
interface ClientLike {
  watch(key: string, o: { prefix: boolean; startRevision?: number }): {
    created: Promise<number>;
    subscribe(onBatch: (b: { events: { kv: { key: Buffer } }[] }) => void): unknown;
    cancel(): void;
  };
  put(key: string, value: Buffer): Promise<unknown>;
  close(): void;
}

/** STORE_WATCH_MICRO_SELF_WRITE=1: the watcher's own client makes the Puts, so its CPU per
 *  event is an API server's store-client share of one write: the Put and its watch events. */
const SELF_WRITE = process.env.STORE_WATCH_MICRO_SELF_WRITE === '1';
const VALUE = Buffer.alloc(256, 'v');

/** putAll writes PREFIX+i for i < events, 32 in flight, noting each Put's start in sent. */
async function putAll(client: Pick<ClientLike, 'put'>, events: number, sent: number[]): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    for (let i = next++; i < events; i = next++) {
      sent[i] = performance.now() + performance.timeOrigin;
      await client.put(`${PREFIX}${i}`, VALUE);
    }
  }));
}

async function watcher(root: string, endpoint: string, events: number, watches: number): Promise<void> {
  const mod = (await import(pathToFileURL(join(root, 'src/store/client/index.ts')).href)) as {
    EtcdClient: new (o: { endpoints: string[] }) => ClientLike;
  };
  const client = new mod.EtcdClient({ endpoints: [endpoint] });
  const ws = Array.from({ length: watches }, () => client.watch(PREFIX, { prefix: true }));
  await Promise.all(ws.map((w) => w.created));
  const firstAt = new Map<number, number>();
  let delivered = 0;
  const total = events * watches;
  let c0 = process.cpuUsage();
  const done = new Promise<void>((resolve) => {
    ws.forEach((w, i) => w.subscribe((b) => {
      for (const e of b.events) {
        if (i === 0) firstAt.set(Number(e.kv.key.subarray(PREFIX.length).toString()), performance.now() + performance.timeOrigin);
        if (++delivered === total) resolve();
      }
    }));
  });
  const own: number[] = new Array<number>(events);
  let puts: Promise<void> = Promise.resolve();
  process.on('message', (m) => {
    if (m !== 'go') return;
    c0 = process.cpuUsage();
    if (SELF_WRITE) puts = putAll(client, events, own);
  });
  process.send!('ready');
  await done;
  await puts;
  const cpu = process.cpuUsage(c0);
  const sent = SELF_WRITE ? own : await new Promise<number[]>((r) => process.once('message', (m) => r(m as number[])));
  const lat = sent.map((t, i) => (firstAt.get(i) ?? Number.NaN) - t).sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))]!;
  process.send!({ usPerEvent: (cpu.user + cpu.system) / total, p50: q(0.5), p99: q(0.99) } satisfies WatchReport);
  for (const w of ws) w.cancel();
  client.close();
  process.disconnect();
}

async function main(): Promise<void> {
  const roots = (process.argv[2] ?? '').split(',').filter((r) => r !== '');
  if (roots.length === 0) throw new Error('usage: store-watch-client-micro.ts <root>[,<root>...] [rounds] [events] [watches]');
  const rounds = Number(process.argv[3] ?? 6);
  const events = Number(process.argv[4] ?? 20_000);
  const watches = Number(process.argv[5] ?? 4);
  const store = new EtcdStore(1, etcdVersionOrUndefined() ?? 'unknown', 34891);
  await store.start();
  const endpoint = '127.0.0.1:34891';
  const writer = new EtcdClient({ endpoints: [endpoint] });
  const results = new Map<string, WatchReport[]>(roots.map((r) => [r, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? roots : [...roots].reverse();
      for (const root of order) {
        const child = fork(fileURLToPath(import.meta.url), ['watch', root, endpoint, String(events), String(watches)], { execArgv: ['--import', 'tsx'] });
        await new Promise((r) => child.once('message', r));
        child.send('go');
        const report = new Promise<WatchReport>((r) => child.once('message', (m) => r(m as WatchReport)));
        if (!SELF_WRITE) {
          const sent: number[] = new Array<number>(events);
          await putAll(writer, events, sent);
          child.send(sent);
        }
        const rep = await report;
        await new Promise((r) => child.once('exit', r));
        results.get(root)!.push(rep);
        console.log(`${root}: ${rep.usPerEvent.toFixed(2)} µs CPU/event delivered, latency p50 ${rep.p50.toFixed(2)} ms p99 ${rep.p99.toFixed(2)} ms`);
      }
    }
  } finally {
    writer.close();
    await store.stop();
  }
  const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  for (const [root, rs] of results) {
    console.log(`median ${root}: ${med(rs.map((r) => r.usPerEvent)).toFixed(2)} µs/event, p50 ${med(rs.map((r) => r.p50)).toFixed(2)} ms, p99 ${med(rs.map((r) => r.p99)).toFixed(2)} ms (${rs.length} rounds)`);
  }
}

if (process.argv[2] === 'watch') {
  await watcher(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), Number(process.argv[6]));
} else {
  await main();
}
