/**
 * The API servers' CPU per burst pod without the nodes (issue 6): three API server processes
 * (src/apiserver/main.ts, as `k8ts up` runs them) over a 3-member k8ts store, driven through the
 * component gRPC API the way a nodes-bench burst drives them, and their CPU (and the store's)
 * read from /proc over the bursts only. Per pod: its create, the scheduler's bind (BindBatch),
 * the kubelet's two status writes (Pending with its conditions, then Running), and its 4 startup
 * Events (CreateBatch); meanwhile `watchers` clients watch the namespace's pods (the schedulers
 * and controller managers, active and standby, and the bench) and each worker's kubelet watches
 * its node's pods. Far fewer processes than the nodes bench, so the per-pod figure moves less
 * with the machine's load; run base and HEAD alternately.
 *
 *   node --import tsx bench/lib/apiserver-pod-micro.ts [bursts=4] [pods=100] [watchers=7]
 *
 * K8TS_BENCH_CPU_PROF_DIR=<dir>: the API servers are CPU-profiled over the bursts only
 * (node-prof.ts) and their top self times printed; the CPU figures of such a run are not
 * comparable with unprofiled ones. K8TS_BENCH_APISERVER_NODE_OPTIONS: node flags for the API
 * servers only (e.g. a young-generation size), appended to their NODE_OPTIONS.
 * K8TS_BENCH_STORE_CPU_PROF_DIR=<dir>: the store members are CPU-profiled over the bursts only
 * (store-prof.ts) and each member's profile summarized after the run (not comparable either).
 * K8TS_BENCH_MEMBER_NODE_ARGS: node arguments for the store members only (store-systems.ts).
 * The namespace watchers ask for pods without managedFields (omitManagedFields), as the schedulers'
 * and controller managers' informers do; BENCH_MICRO_FULL_WATCH=1 has them take managedFields.
 * BENCH_MICRO_LEAN_KUBELET=1: the kubelets' watches, status bodies and status answers without them too.
 * The bench process's own CPU per pod (the writers and every watcher's decode) is printed too.
 *
 * Besides the gross figures it prints each store member's CPU per pod by thread (main against
 * V8's helpers: with --single-threaded-gc those are TurboFan's concurrent compiles) and the store's
 * CPU per pod net of its quiet rate (measured for 2 s before the bursts), which a loaded machine
 * moves less: a burst it stretches charges the members' ticking for longer.
 *
 * Ports: store 34700–34752, API servers 127.0.1.1–3:36543 (HTTPS) and :36545 (gRPC), each plus
 * BENCH_MICRO_PORT_OFFSET (default 0) so that two runs (or a store bench, which uses 34700 too) can
 * share the machine.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeObject } from '../../src/api/meta.js';
import { ApiClient } from '../../src/client/api-client.js';
import type { TlsFiles } from '../../src/rpc/credentials.js';
import { ApiServerProcs } from './api-procs.js';
import { burstEvent, burstPod, burstStatus } from './burst-pod-writes.js';
import { podDecodeCosts } from './api-watch-decode.js';
import { nodeProfilingEnv, selfTimeByFunction, toggleProfiling, topLines } from './node-prof.js';
import { sleep } from './cluster.js';
import { cpuBetween, sampleCpu } from './store-proc.js';
import { startProfiling, summarizeProfile } from './store-prof.js';
import { formatThreadCpu, threadCpu, threadCpuBetween, type ThreadCpu } from './thread-cpu.js';
import { K8tsStore } from './store-systems.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const NS = 'bench';
const NODES = ['w1', 'w2'];
const PORT_OFFSET = Number(process.env.BENCH_MICRO_PORT_OFFSET ?? 0);
const API_PORT = 36543 + PORT_OFFSET;
const GRPC_PORT = 36545 + PORT_OFFSET;
/** The namespace's watchers ask for pods without managedFields, as the schedulers' and controller
 *  managers' informers do (BENCH_MICRO_FULL_WATCH=1: with them, as before they could ask). */
const LEAN_WATCHERS = process.env.BENCH_MICRO_FULL_WATCH !== '1';
/** BENCH_MICRO_LEAN_KUBELET=1: the kubelets as if their informer dropped managedFields — their pod
 *  watches and status bodies without them, and their status writes answered without them. */
const LEAN_KUBELET = process.env.BENCH_MICRO_LEAN_KUBELET === '1';
/** Unmeasured bursts first (BENCH_MICRO_WARM_BURSTS=0 measures a cold cluster's first bursts,
 *  as the nodes bench does, JIT compiles included). */
const WARM_BURSTS = Number(process.env.BENCH_MICRO_WARM_BURSTS ?? 3);

/** burst runs one burst's writes, each stage for all pods at once, as the components do. */
async function burst(k: number, n: number, writer: ApiClient, kubelets: ApiClient[]): Promise<void> {
  const names = Array.from({ length: n }, (_, i) => `b${k}-${i}`);
  const created = await Promise.all(names.map((name) => writer.create(PODS, NS, burstPod(name, NS))));
  await Promise.all(names.map((name, i) => writer.bind(NS, name, NODES[i % NODES.length] ?? 'w1')));
  await Promise.all(created.map(async (pod, i) => {
    const kubelet = kubelets[i % kubelets.length]!;
    // No resourceVersion: the kubelet writes from its watch's copy, which saw the bind.
    const { managedFields, ...meta } = pod.metadata;
    const unversioned = { ...pod, metadata: { ...meta, ...(LEAN_KUBELET ? {} : { managedFields }), resourceVersion: undefined } };
    const opts = { subresource: 'status', ...(LEAN_KUBELET ? { omitManagedFields: true } : {}) } as const;
    await kubelet.update(PODS, NS, burstStatus(unversioned, false, '127.0.8.1'), opts);
    await kubelet.update(PODS, NS, burstStatus(unversioned, true, '127.0.8.1'), opts);
  }));
  const events = created.flatMap((pod) => ['Scheduled', 'Pulled', 'Created', 'Started']
    .map((reason, i) => ({ r: EVENTS, ns: NS, obj: burstEvent(pod, NS, 'w1', reason, i) })));
  for (let i = 0; i < events.length; i += 50) await writer.createBatch(events.slice(i, i + 50));
}

function tlsFiles(apis: ApiServerProcs, dir: string): TlsFiles {
  const t = apis.tls;
  const f = { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'admin.crt'), keyFile: join(dir, 'admin.key') };
  writeFileSync(f.caFile, t.ca);
  writeFileSync(f.certFile, t.cert);
  writeFileSync(f.keyFile, t.key, { mode: 0o600 });
  return f;
}

async function main(): Promise<void> {
  const bursts = Number(process.argv[2] ?? 4);
  const pods = Number(process.argv[3] ?? 100);
  const watchers = Number(process.argv[4] ?? 7);
  const storeProfDir = process.env.K8TS_BENCH_STORE_CPU_PROF_DIR;
  const store = new K8tsStore(3, storeProfDir, 34700 + PORT_OFFSET);
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-apiserver-pod-'));
  let apis: ApiServerProcs | undefined;
  const clients: ApiClient[] = [];
  try {
    await store.start();
    const profEnv = nodeProfilingEnv(process.env);
    const flags = process.env.K8TS_BENCH_APISERVER_NODE_OPTIONS ?? '';
    const env = { ...(profEnv ?? {}),
      ...(flags === '' ? {} : { NODE_OPTIONS: `${(profEnv ?? process.env).NODE_OPTIONS ?? ''} ${flags}`.trim() }) };
    apis = new ApiServerProcs({ etcdServers: store.endpoints.map((e) => e.address), count: 3,
      port: API_PORT, grpcPort: GRPC_PORT, env });
    await apis.start();
    const tls = tlsFiles(apis, dir);
    const grpc = apis.addresses.map((a) => a.replace(/:\d+$/, `:${GRPC_PORT}`));
    // Each client sticks to one server: spread them as the cluster's components spread.
    const client = (i: number, userAgent: string): ApiClient => {
      const c = new ApiClient({ endpoints: [...grpc.slice(i % 3), ...grpc.slice(0, i % 3)], tls,
        userAgent, timeoutMs: 60_000 });
      clients.push(c);
      return c;
    };
    const writer = client(0, 'bench');
    await writer.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject);
    const kubelets = NODES.map((_, i) => client(i + 1, 'kubelet/v1.31.0 (linux/amd64) k8ts'));
    const watches = [
      ...Array.from({ length: watchers }, (_, i) => client(i, 'kube-scheduler')
        .watchEach(PODS, undefined, LEAN_WATCHERS ? { omitManagedFields: true } : {}, () => {})),
      ...NODES.map((node, i) => kubelets[i]!.watchEach(PODS, undefined,
        { fieldSelector: `spec.nodeName=${node}`, ...(LEAN_KUBELET ? { omitManagedFields: true } : {}) }, () => {})),
    ];
    // Warm-up: the JIT (CPU per pod falls for the first few hundred pods), caches, connections.
    for (let k = 0; k < WARM_BURSTS; k++) await burst(1000 + k, pods, writer, kubelets);
    await sleep(1_000);
    console.log(`warm-up done (${WARM_BURSTS} bursts): START of the measured bursts`);
    const pids = [...apis.pids()];
    // The store's quiet rate (ticks, heartbeats, the API servers' progress requests): a burst's
    // gross figure carries it for as long as the burst lasts, which a loaded machine stretches.
    const quiet0 = sampleCpu(store.pids());
    const quietStart = performance.now();
    await sleep(2_000);
    const quietRate = cpuBetween(quiet0, sampleCpu(store.pids())).membersMs / (performance.now() - quietStart);
    let apiMs = 0;
    let storeMs = 0;
    // This process: the writers and every watcher's receive and decode (lean or not).
    const bench0 = process.cpuUsage();
    let windowMs = 0;
    const memberPids = store.pids();
    const threads0 = memberPids.map(threadCpu);
    if (profEnv !== undefined) toggleProfiling(pids);
    if (storeProfDir !== undefined) startProfiling(store.pids());
    for (let k = 0; k < bursts; k++) {
      const a0 = sampleCpu(pids);
      const s0 = sampleCpu(store.pids());
      const t0 = performance.now();
      await burst(k, pods, writer, kubelets);
      await sleep(300); // the watchers' last deliveries
      const a = cpuBetween(a0, sampleCpu(pids));
      const s = cpuBetween(s0, sampleCpu(store.pids()));
      windowMs += performance.now() - t0;
      apiMs += a.membersMs;
      storeMs += s.membersMs;
      console.log(`burst ${k + 1}: API servers ${(a.membersMs / pods).toFixed(2)} ms per pod, store ` +
        `${(s.membersMs / pods).toFixed(2)}, foreign cores ${a.foreignCores.toFixed(2)}`);
    }
    // Per member and thread: the leader's event loop vs the followers', and V8's helper threads
    // (GC, concurrent compiles) vs the main thread.
    const threadMs: ThreadCpu[] = memberPids.map((pid, i) => threadCpuBetween(threads0[i]!, threadCpu(pid)));
    threadMs.forEach((t, i) => console.log(`store m${i + 1} per pod: ${formatThreadCpu(t, bursts * pods)}`));
    console.log(`all: API servers ${(apiMs / (bursts * pods)).toFixed(2)} ms of CPU per pod, store ` +
      `${(storeMs / (bursts * pods)).toFixed(2)} (${bursts} × ${pods} pods, ${watchers} + ` +
      `${NODES.length} watchers)`);
    const bench = process.cpuUsage(bench0);
    console.log(`bench process (writers, ${watchers} ${LEAN_WATCHERS ? 'lean' : 'full'} + ${NODES.length} ` +
      `${LEAN_KUBELET ? 'lean' : 'full'} ` +
      `watchers' decode): ${((bench.user + bench.system) / 1000 / (bursts * pods)).toFixed(2)} ms per pod`);
    console.log(`store net of its quiet rate (${(quietRate * 1000).toFixed(0)} ms/s over ` +
      `${(windowMs / bursts).toFixed(0)} ms per burst): ${((storeMs - quietRate * windowMs) / (bursts * pods)).toFixed(2)} ms per pod`);
    if (profEnv !== undefined) {
      toggleProfiling(pids);
      await sleep(2_000); // the profiles are written
      const profDir = profEnv.K8TS_BENCH_CPU_PROF_DIR ?? '';
      console.log(`\nprofiles (${profDir}), the API servers over the bursts, self time:`);
      for (const l of topLines(selfTimeByFunction(profDir, new Set(pids)), bursts * pods, 60)) console.log(l);
    }
    // A component's side: decoding one event of a Running pod as the server sends it.
    const running = await writer.get<KubeObject>(PODS, NS, `b${bursts - 1}-0`);
    const { full, lean } = podDecodeCosts(running);
    console.log(`a watcher's decode of one Running pod event: full ${full.us.toFixed(1)} µs ` +
      `(${full.bytes} B of JSON), without managedFields ${lean.us.toFixed(1)} µs (${lean.bytes} B)`);
    for (const w of watches) w.stop();
  } finally {
    for (const c of clients) c.close();
    // BENCH_MICRO_KEEP_LOGS=<dir>: the API servers' logs outlive the run (e.g. a --trace-gc hook's).
    if (process.env.BENCH_MICRO_KEEP_LOGS) {
      apis?.keepLogs(process.env.BENCH_MICRO_KEEP_LOGS);
      store.keepLogs(process.env.BENCH_MICRO_KEEP_LOGS);
    }
    await apis?.stop();
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (storeProfDir !== undefined) {
    // The members write their profiles as they exit (store.stop()).
    for (const f of readdirSync(storeProfDir).filter((n) => n.endsWith('.cpuprofile'))) {
      console.log(`\nstore member ${summarizeProfile(join(storeProfDir, f), 30)}`);
    }
  }
}

await main();
