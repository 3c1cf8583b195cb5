/**
 * The schedulers' and controller managers' CPU per burst pod, by role (issue 6): a whole control
 * plane started as `k8ts up` starts it (cp-cluster.ts: 3 store members, 3 API servers, 3
 * controller managers and 3 schedulers, of which one of each leads and two stand by with warm
 * informers), two Ready Node objects without kubelets, and bursts of bare pods driven the way a
 * nodes-bench burst drives them: the bench creates the pods, the real leader scheduler binds
 * them, then "kubelets" (clients of the bench) write each pod's status Pending, then Running, and
 * its 4 startup Events. Each elected process's CPU is read from /proc/<pid>/task/*\/schedstat
 * (ns, not 10 ms ticks) over each burst plus a settle time, net of that process's own idle rate
 * (measured for 4 s before the bursts), and printed per pod by role: the leader, and a standby
 * (the mean of the two). The API servers and the store are printed gross, for context.
 *
 *   node --import tsx bench/lib/cp-pod-micro.ts [bursts=4] [pods=100] [warm=2]
 *
 * Pods are deleted (grace 0) between bursts, outside the measured window. Far fewer processes
 * than the nodes bench: run base and HEAD alternately and note the load.
 *
 * K8TS_BENCH_CPU_PROF_DIR=<dir>: the elected processes are CPU-profiled over the measured bursts
 * (node-prof.ts) and each role's top self times printed (its CPU figures are then not comparable
 * with unprofiled runs). Ports: 37480 + BENCH_MICRO_PORT_OFFSET (default 0) and up, on
 * 127.0.3.1–3 (control-plane-suite.ts uses 37380).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { KubeObject } from '../../src/api/meta.js';
import type { ApiClient } from '../../src/client/api-client.js';
import { DEFAULT_CONTROL_PLANE } from '../../src/cluster/config.js';
import { until } from '../control-plane-suite.js';
import { burstEvent, burstPod, burstStatus } from './burst-pod-writes.js';
import { sleep } from './cluster.js';
import { CpCluster } from './cp-cluster.js';
import { componentsProfilingEnv, selfTimeByFunction, toggleProfiling, topLines } from './node-prof.js';
import { schedCpuMs } from './sched-cpu.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const NS = 'bench';
const WORKERS = ['w1', 'w2'];
/**
 * TIMING: Kubernetes' default leader election (lease 15 s, renew 10 s, retry 2 s) instead of
 * k8ts' (600 / 550 / 100 ms): with k8ts' the leaders renew and the standbys read the Lease 10
 * times a second, an idle rate of 5–27 ms/s per process that moved by more than a burst's whole
 * per-pod figure between runs, so subtracting it left noise (negative figures). What a pod
 * costs does not depend on the timing; K8TS_BENCH_CP_K8TS_TIMING=1 measures with k8ts' own.
 */
const TIMING = process.env.K8TS_BENCH_CP_K8TS_TIMING === '1' ? {}
  : { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const BASE_PORT = 37480 + Number(process.env.BENCH_MICRO_PORT_OFFSET ?? 0);
/** SETTLE_MS: after a burst's last write, the time the components get to react to it (the
 *  controller manager's handlers, the watchers' last deliveries) inside the measured window. */
const SETTLE_MS = 500;
/** IDLE_MS: how long each process's idle rate is measured before the bursts. */
const IDLE_MS = 4_000;

type Role = 'scheduler leader' | 'scheduler standby' | 'controller-manager leader' |
  'controller-manager standby' | 'apiserver' | 'store';
const ROLES: readonly Role[] = ['scheduler leader', 'scheduler standby', 'controller-manager leader',
  'controller-manager standby', 'apiserver', 'store'];
/** NET_ROLES: the roles whose idle rate is subtracted (the elected ones). */
const ELECTED = new Set<Role>(ROLES.slice(0, 4));

function node(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: { capacity: { cpu: '32', memory: '128Gi', pods: '110' },
      allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'bench node' }] } } as KubeObject;
}

/** boundWatch resolves once every named pod has a node, from a watch of the namespace's pods. */
function whenBound(api: ApiClient, names: readonly string[], fromRv: string): Promise<Map<string, string>> {
  const want = new Set(names);
  const bound = new Map<string, string>();
  return new Promise((resolve, reject) => {
    const w = api.watchEach<KubeObject & { spec?: { nodeName?: string } }>(PODS, NS, { resourceVersion: fromRv }, (e) => {
      const name = e.object.metadata.name ?? '';
      const nodeName = e.object.spec?.nodeName;
      if (!want.has(name) || nodeName === undefined || nodeName === '') return;
      bound.set(name, nodeName);
      if (bound.size === want.size) {
        w.stop();
        resolve(bound);
      }
    });
    w.done.catch(reject);
  });
}

/** burst: create, the scheduler binds, the kubelets' status writes and Events. */
async function burst(k: number, n: number, c: CpCluster, kubelets: Map<string, ApiClient>): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `b${k}-${i}`);
  const created = await Promise.all(names.map((name) => c.api.create(PODS, NS, burstPod(name, NS))));
  const minRv = created.map((p) => Number(p.metadata.resourceVersion)).reduce((a, b) => Math.min(a, b));
  const bound = await whenBound(c.api, names, String(minRv - 1));
  await Promise.all(created.map(async (pod) => {
    const nodeName = bound.get(pod.metadata.name ?? '') ?? 'w1';
    const kubelet = kubelets.get(nodeName)!;
    const hostIP = nodeName === 'w1' ? '127.0.8.1' : '127.0.8.2';
    // No resourceVersion: the kubelet writes from its watch's copy, which saw the bind.
    const unversioned = { ...pod, metadata: { ...pod.metadata, resourceVersion: undefined } };
    await kubelet.update(PODS, NS, burstStatus(unversioned, false, hostIP), { subresource: 'status' });
    await kubelet.update(PODS, NS, burstStatus(unversioned, true, hostIP), { subresource: 'status' });
  }));
  const events = created.flatMap((pod) => ['Scheduled', 'Pulled', 'Created', 'Started']
    .map((reason, i) => ({ r: EVENTS, ns: NS, obj: burstEvent(pod, NS, bound.get(pod.metadata.name ?? '') ?? 'w1', reason, i) })));
  for (let i = 0; i < events.length; i += 50) await c.api.createBatch(events.slice(i, i + 50));
  return names;
}

/** cleanUp deletes the burst's pods at once (no kubelet would finish a graceful deletion). */
async function cleanUp(c: CpCluster, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => c.api.delete(PODS, NS, name, { gracePeriodSeconds: 0 })));
}

/** roles: every process's pid by role, from who holds the two Leases now. */
async function roles(c: CpCluster): Promise<Map<Role, number[]>> {
  const sched = await until('a scheduler leader', 60_000, () => c.holder('kube-scheduler'));
  const cm = await until('a controller-manager leader', 60_000, () => c.holder('kube-controller-manager'));
  const out = new Map<Role, number[]>(ROLES.map((r) => [r, []]));
  for (const [unit, pid] of c.pids()) {
    const [m, comp] = unit.split('/') as [string, string];
    const role: Role = comp === 'scheduler' ? (m === sched ? 'scheduler leader' : 'scheduler standby')
      : comp === 'controller-manager' ? (m === cm ? 'controller-manager leader' : 'controller-manager standby')
        : comp === 'apiserver' ? 'apiserver' : 'store';
    out.get(role)!.push(pid);
  }
  return out;
}

/** mainThreadMs: the CPU ms the process's main thread (its event loop, and with
 *  --single-threaded-gc its GC) has run, from schedstat; the rest of a process's CPU is V8's
 *  helper threads (concurrent compiles) and libuv's pool. 0 when the process is gone. */
function mainThreadMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ', 1)[0]) / 1e6;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const bursts = Number(process.argv[2] ?? 4);
  const pods = Number(process.argv[3] ?? 100);
  const warm = Number(process.argv[4] ?? 2);
  const profDir = process.env.K8TS_BENCH_CPU_PROF_DIR;
  if (profDir !== undefined && profDir !== '') {
    // A coarse interval by default: at 250 µs the profiler cost a standby ~10x its figure.
    Object.assign(process.env, componentsProfilingEnv(profDir,
      Number(process.env.K8TS_BENCH_PROF_INTERVAL_US ?? 1000)));
  }
  const c = new CpCluster({
    controlPlane: { ...DEFAULT_CONTROL_PLANE, ...TIMING, nodeMonitorGracePeriodMs: 3_600_000 },
    basePort: BASE_PORT,
  });
  const kubelets = new Map<string, ApiClient>();
  try {
    await c.start();
    await until(`namespace ${NS}`, 30_000, () => c.api.create(NAMESPACES, undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject)
      .then(() => true, (err: unknown) => ((err as { code?: number }).code === 409 ? true : undefined)));
    for (const w of WORKERS) await c.api.create(NODES, undefined, node(w));
    WORKERS.forEach((w, i) => kubelets.set(w, c.clientFor([`m${(i % 3) + 1}`])));
    const byRole = await roles(c);
    for (let k = 0; k < warm; k++) {
      await cleanUp(c, await burst(1000 + k, pods, c, kubelets));
      await sleep(1_000);
    }
    console.log(`warm-up done (${warm} bursts of ${pods}): roles ` +
      [...byRole].map(([r, p]) => `${r} ${p.join(',')}`).join('; '));
    const idle0 = new Map(ROLES.map((r) => [r, byRole.get(r)!.map((p) => schedCpuMs([p]))]));
    const tIdle = performance.now();
    await sleep(IDLE_MS);
    const idleWindow = performance.now() - tIdle;
    /** idleRate[role][i]: ms of CPU per ms of wall time of that process while nothing happens. */
    const idleRate = new Map(ROLES.map((r) => [r, byRole.get(r)!.map((p, i) =>
      (schedCpuMs([p]) - idle0.get(r)![i]!) / idleWindow)]));
    const profiled = [...ELECTED].flatMap((r) => byRole.get(r)!);
    if (profDir !== undefined) toggleProfiling(profiled);
    const totals = new Map<Role, number>(ROLES.map((r) => [r, 0]));
    /** helperTotals: the part of totals on threads other than the main one (gross). */
    const helperTotals = new Map<Role, number>(ROLES.map((r) => [r, 0]));
    /** grossTotals: totals without the idle rate subtracted. With upstream's lease timing a
     *  truly idle elected process burns ~1 ms/s; a higher rate measured before the bursts is
     *  mostly the warm-up's deferred work (GC, compiles), so gross is the steadier figure. */
    const grossTotals = new Map<Role, number>(ROLES.map((r) => [r, 0]));
    for (let k = 0; k < bursts; k++) {
      const before = new Map(ROLES.map((r) => [r, byRole.get(r)!.map((p) => schedCpuMs([p]))]));
      const mainBefore = new Map(ROLES.map((r) => [r, byRole.get(r)!.map(mainThreadMs)]));
      const t0 = performance.now();
      const names = await burst(k, pods, c, kubelets);
      await sleep(SETTLE_MS);
      const windowMs = performance.now() - t0;
      const line: string[] = [];
      for (const r of ROLES) {
        const pids = byRole.get(r)!;
        let ms = 0;
        let grossMs = 0;
        let helperMs = 0;
        pids.forEach((p, i) => {
          const all = schedCpuMs([p]) - before.get(r)![i]!;
          grossMs += all;
          ms += all - (ELECTED.has(r) ? idleRate.get(r)![i]! * windowMs : 0);
          helperMs += all - (mainThreadMs(p) - mainBefore.get(r)![i]!);
        });
        // A standby's figure is one standby's (the mean); API servers and store are their sum.
        const n = ELECTED.has(r) ? pids.length : 1;
        const per = ms / n * 1000 / pods;
        const helpers = helperMs / n * 1000 / pods;
        totals.set(r, totals.get(r)! + per);
        grossTotals.set(r, grossTotals.get(r)! + grossMs / n * 1000 / pods);
        helperTotals.set(r, helperTotals.get(r)! + helpers);
        line.push(`${r} ${per.toFixed(0)} (helpers ${helpers.toFixed(0)})`);
      }
      console.log(`burst ${k + 1} (${windowMs.toFixed(0)} ms): µs CPU per pod: ${line.join(', ')}`);
      await cleanUp(c, names);
      await sleep(1_000);
    }
    console.log(`\nall ${bursts} bursts of ${pods} pods, µs of CPU per pod (elected roles net of idle, ` +
      'one process each; apiserver and store: all members, gross):');
    for (const r of ROLES) {
      const idle = ELECTED.has(r) ? `  (idle ${(idleRate.get(r)!.reduce((a, b) => a + b, 0) /
        byRole.get(r)!.length * 1000).toFixed(1)} ms/s)` : '';
      console.log(`  ${r.padEnd(27)} ${(totals.get(r)! / bursts).toFixed(0).padStart(6)}  ` +
        `gross ${(grossTotals.get(r)! / bursts).toFixed(0).padStart(5)}  helper threads ${(helperTotals.get(r)! / bursts).toFixed(0).padStart(4)}${idle}`);
    }
    const cls = (t: Map<Role, number>, l: Role, s: Role) => ((t.get(l)! + 2 * t.get(s)!) / bursts)
      .toFixed(0).padStart(6);
    for (const [label, l, s] of [['schedulers (3, summed)', 'scheduler leader', 'scheduler standby'],
      ['controller managers (3)', 'controller-manager leader', 'controller-manager standby']] as const) {
      console.log(`  ${label.padEnd(27)} ${cls(totals, l, s)}  gross ${cls(grossTotals, l, s)}`);
    }
    if (profDir !== undefined) {
      toggleProfiling(profiled);
      await sleep(2_000); // the profiles are written
      for (const r of ELECTED) {
        console.log(`\nprofile of ${r} (${byRole.get(r)!.join(',')}), self time over the bursts:`);
        const n = bursts * pods * byRole.get(r)!.length;
        for (const l of topLines(selfTimeByFunction(profDir, new Set(byRole.get(r))), n, 30)) console.log(l);
      }
    }
  } finally {
    for (const k of kubelets.values()) k.close();
    await c.stop();
  }
}

await main();
