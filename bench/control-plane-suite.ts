/**
 * Control-plane benchmarks (issue 5), each on a fresh cluster started as `k8ts up` starts it
 * (bench/lib/cp-cluster.ts): 3 masters, each with a store member, an API server, a controller
 * manager and a scheduler.
 *
 *   failover  kill the master whose controller manager holds the lease (SIGKILL, every component
 *             of it), create a ReplicaSet at once, and time until its first pod exists (the new
 *             leader's first reconcile write, seen by a watch). The peer, run in the same
 *             invocation: the same cluster with Kubernetes' default leader election timing
 *             (lease 15 s, renew deadline 10 s, retry 2 s).
 *   schedule  1,000 Node objects and 10,000 pending pods created with every scheduler stopped;
 *             then the schedulers start: bind throughput (first bind → last bind) and the whole
 *             drain (scheduler start → last bind, incl. election and the informers' initial list).
 *   scaleup   a Deployment scaled from 0 to 1,000 replicas on those nodes: time until every pod
 *             is bound (ReplicaSet creates, scheduler binds; no kubelets).
 */
import { performance } from 'node:perf_hooks';
import type { KubeObject } from '../src/api/meta.js';
import type { Pod } from '../src/api/core/v1/pod-types.js';
import type { ApiClient } from '../src/client/api-client.js';
import { DEFAULT_CONTROL_PLANE, type ControlPlaneConfig } from '../src/cluster/config.js';
import { CpCluster } from './lib/cp-cluster.js';
import { sleep } from './lib/cluster.js';
import { ms, summarize } from './lib/stats.js';
import { startProfiling } from './lib/store-prof.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
/** Kubernetes' default leader election (component-base): the failover peer. */
const UPSTREAM_TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
/** Nodes in these benchmarks have no kubelet: keep the node lifecycle controller patient. */
const NO_NODE_MONITOR_MS = 3_600_000;
const BASE_PORT = 37380;

export interface CpBenchOptions {
  tests: string[];
  kills: number;
  upstreamKills: number;
  nodes: number;
  pods: number;
  replicas: number;
  command: string;
}

export async function runControlPlane(o: CpBenchOptions): Promise<void> {
  console.log(`# ${o.command}`);
  if (o.tests.includes('failover')) await failoverBench(o);
  if (o.tests.includes('schedule') || o.tests.includes('scaleup')) await schedulingBench(o);
}

async function withCluster<T>(cp: ControlPlaneConfig, fn: (c: CpCluster) => Promise<T>): Promise<T> {
  const c = new CpCluster({ controlPlane: cp, basePort: BASE_PORT });
  try {
    await c.start();
    return await fn(c);
  } finally {
    await c.stop();
  }
}

async function failoverBench(o: CpBenchOptions): Promise<void> {
  const k8ts = await withCluster({ ...DEFAULT_CONTROL_PLANE, nodeMonitorGracePeriodMs: NO_NODE_MONITOR_MS },
    (c) => failovers(c, o.kills));
  const upstream = o.upstreamKills === 0 ? [] : await withCluster(
    { ...UPSTREAM_TIMING, nodeMonitorGracePeriodMs: NO_NODE_MONITOR_MS }, (c) => failovers(c, o.upstreamKills));
  const t = DEFAULT_CONTROL_PLANE;
  console.log('\n| leader election timing | kills | first reconcile write after the kill: median | max |');
  console.log('|---|---|---|---|');
  const row = (label: string, xs: number[]) => {
    const s = summarize([...xs].sort((a, b) => a - b));
    console.log(`| ${label} | ${s.count} | ${ms(s.median)} | ${ms(s.max)} |`);
    return s.median;
  };
  const a = row(`k8ts (lease ${t.leaseDurationMs} ms, renew ${t.renewDeadlineMs} ms, retry ${t.retryPeriodMs} ms)`, k8ts);
  if (upstream.length === 0) return;
  const b = row('Kubernetes defaults (15 s / 10 s / 2 s)', upstream);
  console.log(`median ratio k8ts / Kubernetes defaults: ${(a / b).toFixed(3)}× (target: k8ts ≤ 1 s)`);
}

/**
 * failovers kills the controller-manager leader's master `kills` times (restarting it after).
 * Each round: SIGKILL the holder's master, then through the surviving masters only create a
 * probe ReplicaSet and watch from its revision for its first pod (so no watch of ours has to
 * fail over first). Also read when the new holder acquired the Lease (spec.acquireTime, the same
 * machine's wall clock) to split the time into takeover and first reconcile.
 */
async function failovers(c: CpCluster, kills: number): Promise<number[]> {
  await ensureNamespace(c.api, 'bench');
  const out: number[] = [];
  for (let i = 0; i < kills; i++) {
    const victim = await until('a controller-manager leader', 60_000, () => c.holder('kube-controller-manager'));
    const survivors = c.clientFor(['m1', 'm2', 'm3'].filter((m) => m !== victim));
    try {
      c.sup.kill(victim);
      const t0 = performance.now();
      const wall0 = Date.now();
      const probe = `p${i}`;
      const rs = await until('the probe ReplicaSet created', 30_000, async () =>
        survivors.create(REPLICASETS, 'bench', replicaSet(probe)).catch(() => undefined));
      const firstPodMs = await firstPodAfter(survivors, probe, rs.metadata.resourceVersion ?? '0');
      const took = firstPodMs - t0;
      const acquired = await acquiredAfter(survivors, wall0);
      out.push(took);
      console.log(`kill ${i + 1}: ${victim} killed; lease taken after ${ms(acquired)}, ` +
        `first pod of the new leader after ${ms(took)}`);
    } finally {
      survivors.close();
    }
    await c.sup.restart(victim, 30_000);
    await sleep(2_000);
  }
  return out;
}

/** firstPodAfter: when the first pod with label probe=<probe> shows up (performance.now()). */
async function firstPodAfter(api: ApiClient, probe: string, fromRv: string): Promise<number> {
  const w = api.watch<Pod>(PODS, 'bench', { resourceVersion: fromRv, labelSelector: `probe=${probe}` });
  const timer = setTimeout(() => w.stop(), 120_000);
  try {
    for await (const e of w) if (e.type === 'ADDED') return performance.now();
  } finally {
    clearTimeout(timer);
    w.stop();
  }
  throw new Error(`no pod of ${probe} within 120 s`);
}

/** acquiredAfter: ms from wall0 to the Lease's acquireTime (microsecond wall time). */
async function acquiredAfter(api: ApiClient, wall0: number): Promise<number> {
  const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
  const l = await api.get<KubeObject & { spec?: { acquireTime?: string } }>(LEASES, 'kube-system', 'kube-controller-manager');
  const t = Date.parse(l.spec?.acquireTime ?? '');
  return Number.isNaN(t) ? NaN : t - wall0;
}

async function schedulingBench(o: CpBenchOptions): Promise<void> {
  await withCluster({ ...DEFAULT_CONTROL_PLANE, nodeMonitorGracePeriodMs: NO_NODE_MONITOR_MS }, async (c) => {
    await ensureNamespace(c.api, 'bench');
    for (const m of ['m1', 'm2', 'm3']) c.sup.kill(`${m}/scheduler`);
    let t = performance.now();
    await pool(o.nodes, 32, (i) => c.api.create(NODES, undefined, node(i)));
    console.log(`${o.nodes} nodes created in ${ms(performance.now() - t)}`);
    if (o.tests.includes('schedule')) {
      t = performance.now();
      await pool(o.pods, 64, (i) => c.api.create(PODS, 'bench', pod(`pending-${i}`)));
      console.log(`${o.pods} pending pods created in ${ms(performance.now() - t)} (schedulers stopped)`);
    }
    const background = await backgroundRate(c, BACKGROUND_MS);
    const bound = boundTimes(c.api);
    const startMs = performance.now();
    for (const m of ['m1', 'm2', 'm3']) await c.sup.restart(`${m}/scheduler`);
    if (o.tests.includes('schedule')) {
      await until('a first bind', 600_000, async () => (bound.count('pending-') > 0 ? true : undefined));
      const window = await costWindow(c, () => bound.count('pending-'), background);
      await until(`${o.pods} pods bound`, 600_000, async () => (bound.count('pending-') >= o.pods ? true : undefined));
      await window.report('bound pod');
      const times = bound.times('pending-');
      const first = Math.min(...times);
      const last = Math.max(...times);
      const rate = (o.pods - 1) / ((last - first) / 1000);
      console.log(`\n| scheduling ${o.pods} pending pods on ${o.nodes} nodes | value |`);
      console.log('|---|---|');
      console.log(`| bind throughput (first → last bind) | ${rate.toFixed(0)} pods/s |`);
      console.log(`| scheduler start → first bind (election + informer sync) | ${ms(first - startMs)} |`);
      console.log(`| scheduler start → last bind | ${ms(last - startMs)} (${(o.pods / ((last - startMs) / 1000)).toFixed(0)} pods/s) |`);
      console.log(`ratio to the target (1,000 pods/s): ${(rate / 1000).toFixed(2)}×; ` +
        'kube-scheduler\'s CI floor for 5,000 nodes / 10,000 pods is 680 pods/s (published, not run here)');
    }
    if (o.tests.includes('scaleup')) await scaleUp(c, { ...bound, background }, o.replicas);
    bound.stop();
  });
}

async function scaleUp(c: CpCluster,
  bound: ReturnType<typeof boundTimes> & { background: Background },
  replicas: number): Promise<void> {
  await c.api.create(DEPLOYMENTS, 'bench', deployment('scale', 0));
  await sleep(1_000);
  const t0 = performance.now();
  await c.api.patch(DEPLOYMENTS, 'bench', 'scale', 'application/merge-patch+json', { spec: { replicas } });
  const window = await costWindow(c, () => bound.count('scale-'), bound.background);
  await until(`${replicas} pods bound`, 600_000, async () => (bound.count('scale-') >= replicas ? true : undefined));
  await window.report('scaled-up pod');
  const last = Math.max(...bound.times('scale-'));
  const created = bound.seenTimes('scale-').sort((a, b) => a - b);
  const s = (last - t0) / 1000;
  console.log(`\n| Deployment scale-up 0 → ${replicas} | value |`);
  console.log('|---|---|');
  console.log(`| scale → first pod seen | ${ms((created[0] ?? NaN) - t0)} |`);
  console.log(`| scale → ${replicas}th pod seen (ReplicaSet creates) | ` +
    `${ms((created[replicas - 1] ?? NaN) - t0)} |`);
  console.log(`| scale → every pod bound | ${s.toFixed(2)} s (${(replicas / s).toFixed(0)} pods/s) |`);
}

/** How long the idle cluster's own CPU use is sampled before the schedulers start. */
const BACKGROUND_MS = 5_000;
/** Settled: store writes per second no more than this (lease renewals, a few events). */
const SETTLED_WRITES_PER_S = 20;
/** Seconds to wait at most for the set-up's writes to settle. */
const SETTLE_MAX_S = 60;

/** Background: CPU ms per second of each process while nothing is being scheduled. */
type Background = Map<string, number>;

/**
 * backgroundRate samples what each process spends per second with the objects in place and the
 * schedulers stopped (lease renewals, bookmarks, progress notifications, paced events, node
 * monitoring): time-based cost, not per-pod cost. A cost window reports its items' CPU with
 * and without it, so a slow run (fewer pods per second) does not read as dearer pods. The
 * schedulers are not running then: their background counts as 0 (all their CPU is charged).
 */
async function backgroundRate(c: CpCluster, ms: number): Promise<Background> {
  // First let the writes the set-up caused settle (the controller manager's paced
  // RegisteredNode events for every node): only lease renewals and the like should remain.
  for (let i = 0; i < SETTLE_MAX_S; i++) {
    const r0 = await storeRevision(c.api);
    await sleep(1_000);
    if ((await storeRevision(c.api)) - r0 <= SETTLED_WRITES_PER_S) break;
  }
  const [before, rev0] = [c.cpuMs(), await storeRevision(c.api)];
  await sleep(ms);
  const [after, rev1] = [c.cpuMs(), await storeRevision(c.api)];
  console.log(`background (schedulers stopped): ${((rev1 - rev0) * 1000 / ms).toFixed(0)} store ` +
    'writes/s');
  const rate = (unit: string, v: number): number => ((v - (before.get(unit) ?? v)) * 1000) / ms;
  return new Map([...after].map(([unit, v]) => [unit, rate(unit, v)]));
}

/**
 * costWindow measures what each counted item (a bound pod) costs from now until report(): CPU ms
 * per item of every component process (/proc utime+stime, so it survives a noisy machine better
 * than throughput does), also net of the background rate measured before, and store revisions
 * per item (every store write transaction — binds, events, status patches, lease renewals —
 * advances the revision by one).
 */
async function costWindow(c: CpCluster, count: () => number, background: Background):
  Promise<{ report(what: string): Promise<void> }> {
  // Profiled processes (a hook in NODE_OPTIONS, as bench/lib/store-prof.ts's) start sampling
  // now; the second SIGUSR2, at report(), lets a hook that supports it write its profile.
  if (process.env.K8TS_BENCH_CPU_PROF_DIR !== undefined) startProfiling([...c.pids().values()]);
  const cpu0 = c.cpuMs();
  const n0 = count();
  const rev0 = await storeRevision(c.api);
  const t0 = performance.now();
  return {
    report: async (what) => {
      const cpu1 = c.cpuMs();
      if (process.env.K8TS_BENCH_CPU_PROF_DIR !== undefined) startProfiling([...c.pids().values()]);
      const n = count() - n0;
      const revs = (await storeRevision(c.api)) - rev0;
      const scheduler = await c.holder('kube-scheduler');
      const cm = await c.holder('kube-controller-manager');
      console.log(`\ncost per ${what} over ${n} of them (${ms(performance.now() - t0)}; ` +
        `scheduler leader ${scheduler ?? '?'}, controller-manager leader ${cm ?? '?'}): ` +
        `${(revs / n).toFixed(2)} store writes per ${what}`);
      const seconds = (performance.now() - t0) / 1000;
      console.log('| process | CPU ms per item | CPU ms total | background ms/s | ' +
        'CPU ms per item net of background |');
      console.log('|---|---|---|---|---|');
      let [total, totalBg, totalNet] = [0, 0, 0];
      for (const [unit, after] of cpu1) {
        const used = after - (cpu0.get(unit) ?? after);
        const bg = background.get(unit) ?? 0;
        const net = Math.max(0, used - bg * seconds);
        [total, totalBg, totalNet] = [total + used, totalBg + bg, totalNet + net];
        console.log(`| ${unit} | ${(used / n).toFixed(3)} | ${used.toFixed(0)} | ` +
          `${bg.toFixed(0)} | ${(net / n).toFixed(3)} |`);
      }
      console.log(`| all | ${(total / n).toFixed(3)} | ${total.toFixed(0)} | ` +
        `${totalBg.toFixed(0)} | ${(totalNet / n).toFixed(3)} |`);
    },
  };
}

/** storeRevision: the store's current revision (a list's resourceVersion). */
async function storeRevision(api: ApiClient): Promise<number> {
  const l = await api.list(NAMESPACES, undefined, { limit: 1 });
  return Number(l.metadata.resourceVersion ?? NaN);
}

/** boundTimes watches pods of ns bench and records when each was first seen, and first seen
 *  bound. */
function boundTimes(api: ApiClient) {
  const at = new Map<string, number>();
  const seen = new Map<string, number>();
  const w = watchAlways<Pod>(api, undefined, (p) => {
    const name = p.metadata.name ?? '';
    if (!seen.has(name)) seen.set(name, performance.now());
    if (p.spec?.nodeName && !at.has(name)) at.set(name, performance.now());
  });
  const select = (m: Map<string, number>, prefix: string) =>
    [...m].filter(([n]) => n.startsWith(prefix)).map(([, t]) => t);
  const of = (prefix: string) => select(at, prefix);
  return { count: (prefix: string) => of(prefix).length, times: of,
    seenTimes: (prefix: string) => select(seen, prefix), stop: () => w.stop() };
}

/**
 * watchAlways watches pods of ns bench (optionally by label selector) through kills of the API
 * server it is connected to: whenever the watch ends or fails it watches again from the last
 * resourceVersion it saw (or lists afresh after a 410), so the timings never miss an event.
 */
function watchAlways<T extends KubeObject>(api: ApiClient, labelSelector: string | undefined,
  onObject: (o: T) => void): { stop(): void } {
  let stopped = false;
  let current: { stop(): void } | undefined;
  void (async () => {
    let rv = '0';
    while (!stopped) {
      const w = api.watch<T>(PODS, 'bench', { resourceVersion: rv, ...(labelSelector ? { labelSelector } : {}) });
      current = w;
      try {
        for await (const e of w) {
          rv = e.object.metadata.resourceVersion ?? rv;
          if (e.type !== 'DELETED' && e.type !== 'BOOKMARK') onObject(e.object);
        }
      } catch (err) {
        if ((err as { code?: number }).code === 410) rv = '0';
        await sleep(50);
      }
    }
  })();
  return { stop: () => { stopped = true; current?.stop(); } };
}

/** ensureNamespace creates the namespace, retrying while the fresh cluster is not ready yet
 *  (only AlreadyExists counts as done: a create lost to a failover may have gone through). */
async function ensureNamespace(api: ApiClient, name: string): Promise<void> {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  await until(`namespace ${name}`, 30_000, () => api.create(NAMESPACES, undefined, ns).then(() => true,
    (err: unknown) => ((err as { code?: number }).code === 409 ? true : undefined)));
}

function node(i: number): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}` } },
    spec: {},
    status: {
      capacity: { cpu: '32', memory: '128Gi', pods: '110' },
      allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'bench node' }],
    },
  };
}

function container() {
  return { name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '10m', memory: '16Mi' } } };
}

function pod(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { bench: 'schedule' } }, spec: { containers: [container()] } };
}

function replicaSet(probe: string): KubeObject {
  const labels = { probe };
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `probe-${probe}`, labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container()] } } },
  };
}

function deployment(name: string, replicas: number): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container()] } } },
  };
}

/** pool runs fn(0..n-1) with at most `width` in flight. */
async function pool(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

/** until polls probe every 20 ms until it answers, or throws after timeoutMs (what it waited for named). */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
