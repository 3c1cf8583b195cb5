/**
 * The front half of a pod burst without the nodes (issue 6): how soon after a burst of creates
 * the pipeline starts — the first creates answered, the first pods seen by a scheduler's watch,
 * the first binds stored — and how long until the last. Three API server processes (as `k8ts up`
 * runs them) over a 3-member k8ts store; one client sends `pods` creates at once to the first API
 * server (as the nodes bench's burst does); a "scheduler" client on the second watches the pods
 * and binds each one as soon as its ADDED arrives (through the client's BindBatcher, as the real
 * scheduler's binds go); the other watchers (controller managers, standby schedulers, the two
 * kubelets' node-filtered watches) are there for the fan-out they cost. The nodes bench's burst
 * has ~20 processes contending for 2 cores; this one has 7, so its latencies move less with the
 * machine's load. Run base and HEAD alternately.
 *
 *   node --import tsx bench/lib/create-burst-micro.ts [bursts=6] [pods=100] [watchers=5]
 *
 * Per burst, ms since the burst's first create was sent, min / p50 / p99 / max over its pods:
 * created (answer received), seen (the scheduler's watch showed it), bound (the scheduler's
 * watch showed spec.nodeName); and the API servers' and the store's CPU per pod over the burst.
 * BENCH_TIMELINE=1 adds the components' stage table (burst-timeline.ts) for every burst.
 *
 * Ports: store 34700–34752, API servers 127.0.1.1–3:36543 (HTTPS) and :36545 (gRPC), each plus
 * BENCH_MICRO_PORT_OFFSET (default 0), as in apiserver-pod-micro.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeObject } from '../../src/api/meta.js';
import { ApiClient } from '../../src/client/api-client.js';
import { NAMESPACES, PODS } from '../../src/client/resources.js';
import { ApiServerProcs } from './api-procs.js';
import { BurstTimeline, type BenchMoments } from './burst-timeline.js';
import { sleep } from './cluster.js';
import { schedCpuMs } from './sched-cpu.js';
import { summarize } from './stats.js';
import { K8tsStore } from './store-systems.js';

const NS = 'bench';
const NODES = ['w1', 'w2'];
/** The ports apiserver-pod-micro.ts uses, moved by the same offset. */
const PORTS = { store: 34700, api: 36543, grpc: 36545 };
const PORT_OFFSET = Number(process.env.BENCH_MICRO_PORT_OFFSET ?? 0);
/** Unmeasured bursts first: the JIT, caches, connections. */
const WARM_BURSTS = 3;
/** How long the idle CPU rate is sampled. */
const IDLE_SAMPLE_MS = 3_000;
/** A burst that has not bound every pod in this long failed. */
const BURST_TIMEOUT_MS = 30_000;

/** burstPod: the nodes bench's burst pod (bench/nodes-suite.ts burstPod, process runtime). */
function burstPod(k: number, i: number): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `b${k}-${i}`, namespace: NS, labels: { burst: String(k) } },
    spec: { terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } } as KubeObject;
}

/** Clients of one run: the writer (first API server), the scheduler (second), the watchers. */
interface Clients {
  writer: ApiClient;
  scheduler: ApiClient;
  all: ApiClient[];
}

/**
 * burst creates n pods at once; the scheduler binds each as its ADDED arrives. Resolves with
 * the moments of every pod (performance.now() of this process) once the scheduler's watch has
 * shown every one bound.
 */
async function burst(k: number, n: number, c: Clients):
  Promise<{ at: BenchMoments; seen: Map<string, number> }> {
  const at: BenchMoments = { sent: new Map(), created: new Map(), bound: new Map(),
    running: new Map() };
  const seen = new Map<string, number>();
  let allBound!: () => void;
  const done = new Promise<void>((resolve) => (allBound = resolve));
  const w = c.scheduler.watchEach<KubeObject>(PODS, NS, { labelSelector: `burst=${k}` }, (e) => {
    const name = e.object.metadata.name ?? '';
    const node = (e.object.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
    if (e.type === 'ADDED' && node === '' && !seen.has(name)) {
      seen.set(name, performance.now());
      const i = Number(name.split('-')[1]);
      void c.scheduler.bind(NS, name, NODES[i % NODES.length] ?? 'w1');
    }
    if (node !== '' && !at.bound.has(name)) {
      at.bound.set(name, performance.now());
      if (at.bound.size === n) allBound();
    }
  });
  await sleep(200); // the watch is established
  const timer = setTimeout(() => w.stop(), BURST_TIMEOUT_MS);
  try {
    await Promise.all(Array.from({ length: n }, async (_, i) => {
      const pod = burstPod(k, i);
      at.sent.set(pod.metadata.name ?? '', performance.now());
      await c.writer.create(PODS, NS, pod);
      at.created.set(pod.metadata.name ?? '', performance.now());
    }));
    await Promise.race([done, w.done]);
  } finally {
    clearTimeout(timer);
    w.stop();
  }
  if (at.bound.size < n) throw new Error(`burst ${k}: ${at.bound.size}/${n} bound`);
  return { at, seen };
}

/** Latencies of one burst, ms since its first create was sent. */
interface BurstLine {
  created: number[];
  seen: number[];
  bound: number[];
}

function latencies(at: BenchMoments, seen: Map<string, number>): BurstLine {
  const t0 = Math.min(...at.sent.values());
  const since = (m: Map<string, number>): number[] => [...m.values()].map((t) => t - t0);
  return { created: since(at.created), seen: since(seen), bound: since(at.bound) };
}

function fmt(xs: readonly number[]): string {
  const s = summarize(xs);
  return `${Math.min(...xs).toFixed(0)} / ${s.p50.toFixed(0)} / ${s.p99.toFixed(0)} / ` +
    `${s.max.toFixed(0)}`;
}

/** cpuMs: the CPU time of processes' threads, in ms (schedstat: a 100-pod burst's 1-2 ms per
 *  pod of three API servers would be read from /proc/<pid>/stat to ±0.1 ms per pod per process). */
const cpuMs = schedCpuMs;

/** idleRates: the API servers' and the store's CPU per ms of wall time while nothing is written
 *  (the store's heartbeats, the watchers' bookmarks), so a burst's CPU is counted net of it. */
async function idleRates(apiPids: readonly number[], storePids: readonly number[]):
  Promise<{ api: number; store: number }> {
  const a0 = cpuMs(apiPids);
  const s0 = cpuMs(storePids);
  const t0 = performance.now();
  await sleep(IDLE_SAMPLE_MS);
  const ms = performance.now() - t0;
  return { api: (cpuMs(apiPids) - a0) / ms, store: (cpuMs(storePids) - s0) / ms };
}

async function deleteBurst(api: ApiClient, k: number, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) =>
    api.delete(PODS, NS, `b${k}-${i}`, { gracePeriodSeconds: 0 }).catch(() => undefined)));
}

async function startClients(apis: ApiServerProcs, dir: string, watchers: number):
  Promise<{ clients: Clients; stops: (() => void)[] }> {
  const t = apis.tls;
  const tls = { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'admin.crt'),
    keyFile: join(dir, 'admin.key') };
  writeFileSync(tls.caFile, t.ca);
  writeFileSync(tls.certFile, t.cert);
  writeFileSync(tls.keyFile, t.key, { mode: 0o600 });
  const grpc = apis.addresses.map((a) => a.replace(/:\d+$/, `:${PORTS.grpc + PORT_OFFSET}`));
  const all: ApiClient[] = [];
  const client = (i: number, userAgent: string): ApiClient => {
    const c = new ApiClient({ endpoints: [...grpc.slice(i % 3), ...grpc.slice(0, i % 3)], tls,
      userAgent, timeoutMs: 60_000 });
    all.push(c);
    return c;
  };
  const writer = client(0, 'bench');
  const scheduler = client(1, 'kube-scheduler');
  await writer.create(NAMESPACES, undefined,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject);
  const stops = [
    ...Array.from({ length: watchers }, (_, i) =>
      client(i, 'kube-controller-manager').watchEach(PODS, undefined, {}, () => {})),
    ...NODES.map((node, i) => client(i + 1, 'kubelet').watchEach(PODS, undefined,
      { fieldSelector: `spec.nodeName=${node}` }, () => {})),
  ].map((w) => () => w.stop());
  return { clients: { writer, scheduler, all }, stops };
}

async function main(): Promise<void> {
  const bursts = Number(process.argv[2] ?? 6);
  const pods = Number(process.argv[3] ?? 100);
  const watchers = Number(process.argv[4] ?? 5);
  const tl = BurstTimeline.fromEnv();
  const store = new K8tsStore(3, undefined, PORTS.store + PORT_OFFSET);
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-create-burst-'));
  let apis: ApiServerProcs | undefined;
  let clients: Clients | undefined;
  try {
    await store.start();
    apis = new ApiServerProcs({ etcdServers: store.endpoints.map((e) => e.address), count: 3,
      port: PORTS.api + PORT_OFFSET, grpcPort: PORTS.grpc + PORT_OFFSET });
    await apis.start();
    const started = await startClients(apis, dir, watchers);
    clients = started.clients;
    for (let k = 0; k < WARM_BURSTS; k++) {
      await burst(1000 + k, pods, clients);
      await deleteBurst(clients.writer, 1000 + k, pods);
    }
    await sleep(1_000);
    const pids = apis.pids();
    const idle = await idleRates(pids, store.pids());
    const sums: BurstLine = { created: [], seen: [], bound: [] };
    const net = { api: 0, store: 0 };
    for (let k = 0; k < bursts; k++) {
      tl?.clear();
      const a0 = cpuMs(pids);
      const s0 = cpuMs(store.pids());
      const t0 = performance.now();
      const { at, seen } = await burst(k, pods, clients);
      const tookMs = performance.now() - t0;
      const a = cpuMs(pids) - a0 - idle.api * tookMs;
      const s = cpuMs(store.pids()) - s0 - idle.store * tookMs;
      net.api += a;
      net.store += s;
      const l = latencies(at, seen);
      for (const key of ['created', 'seen', 'bound'] as const) sums[key].push(...l[key]);
      console.log(`burst ${k + 1}: min / p50 / p99 / max ms: created ${fmt(l.created)}; seen ` +
        `${fmt(l.seen)}; bound ${fmt(l.bound)}; CPU per pod net of idle: API servers ` +
        `${(a / pods).toFixed(2)} ms, store ${(s / pods).toFixed(2)} ms`);
      await sleep(300); // stamps flushed (timeline.ts FLUSH_MS), the watchers' last deliveries
      for (const line of tl?.report(NS, at, new Map()) ?? []) console.log(line);
      await deleteBurst(clients.writer, k, pods);
      await sleep(500);
    }
    console.log(`all ${bursts} bursts: created ${fmt(sums.created)}; seen ${fmt(sums.seen)}; ` +
      `bound ${fmt(sums.bound)}; CPU per pod net of idle: API servers ` +
      `${(net.api / bursts / pods).toFixed(2)} ms, store ${(net.store / bursts / pods).toFixed(2)} ms`);
    for (const stop of started.stops) stop();
  } finally {
    for (const c of clients?.all ?? []) c.close();
    await apis?.stop();
    await store.stop();
    tl?.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
