/**
 * Node benchmarks (issue 6), each on fresh clusters started as `k8ts up` starts them
 * (bench/lib/node-cluster.ts):
 *
 *   startup  pod startup latency: bursts of 100 pods (busybox `sleep`) created at once on a
 *            cluster of 3 masters and 2 workers with real kubelets; per pod from just before its
 *            create call to the first watch event showing phase Running (scheduling included, as
 *            in Kubernetes' pod startup SLO). Per runtime: process always, runc when root.
 *            Targets p99 ≤ 500 ms (process), ≤ 1 s (runc); Kubernetes' SLO: p99 ≤ 5 s. Also the
 *            node's share alone (bound → Running, both as the watch shows them) and the CPU the
 *            workers' kubelets and runtimes (with their children) used per pod, from /proc.
 *            The image is pulled onto the workers first: the SLO excludes image pulls
 *            (BENCH_COLD_IMAGES=1: the first burst's pods pull it).
 *            `--tests startup:process` or `startup:runc` measures one runtime;
 *            `--warmup-bursts W` runs W bursts first and leaves them out of the summary (a
 *            cluster that has run a while, against the default's freshly started one).
 *            K8TS_BENCH_CPU_PROF_DIR=<dir>: the kubelets and runtimes are CPU-profiled during
 *            the bursts only (bench/lib/node-prof.ts) and the workers' top self times printed;
 *            bench/lib/node-burst-micro.ts measures one node's kubelet and runtime alone.
 *   hollow   3 masters and N hollow nodes (default 1,000 in 4 processes): time until every
 *            hollow node is Ready, then a Deployment of M pods (default 30,000): time until all
 *            exist, are bound and are Running per the API (one informer of the namespace), and
 *            the total RSS of the cluster's processes from /proc, by component.
 *   up       `k8ts up` (the CLI, as a user runs it) of the default config, renamed and moved to
 *            other loopback addresses, until it returns (every node Ready); median of N runs.
 *            Target ≤ 5 s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Event } from '../src/api/core/v1/event.js';
import type { Pod } from '../src/api/core/v1/pod-types.js';
import type { ApiClient } from '../src/client/api-client.js';
import { DEFAULT_CONFIG_YAML } from '../src/cluster/config.js';
import { sleep } from './lib/cluster.js';
import { BurstTimeline, type BenchMoments } from './lib/burst-timeline.js';
import {
  cpuMsOf, ensureNamespace, loadNote, NodeCluster, startupClusterYaml, UPSTREAM_LEASE_TIMING,
} from './lib/node-cluster.js';
import {
  componentsProfilingEnv, gcLine, gcStats, nodeProfilingEnv, selfTimeByFunction, toggleProfiling, topLines,
} from './lib/node-prof.js';
import { ms, summarize } from './lib/stats.js';
import { runHollowBench } from './nodes-hollow.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };
const NS = 'bench';
/** Pause between up and the first burst. */
const SETTLE_MS = 5_000;
/** The image of the bursts' pods. */
const BURST_IMAGE = 'busybox';
/** How long one burst may take before the benchmark gives up on it. */
const BURST_TIMEOUT_MS = 120_000;

export interface NodesBenchOptions {
  tests: string[];
  bursts: number;
  burstPods: number;
  /**
   * Bursts run first and left out of the summary (the table row and the "all bursts" lines):
   * a freshly started cluster's first bursts pay for V8's compiling and the caches' first fill,
   * which a cluster that has run a while has behind it. 0: every burst counts (a cold cluster).
   * Each burst's own lines are printed either way.
   */
  warmupBursts: number;
  hollowNodes: number;
  hollowProcesses: number;
  hollowPods: number;
  upRuns: number;
  timeoutMin: number;
  /** Hollow: the components' logs are copied here at the end, failed or not. */
  keepLogsDir: string | undefined;
  command: string;
}

export async function runNodes(o: NodesBenchOptions): Promise<void> {
  console.log(`# ${o.command}`);
  console.log(`# ${loadNote()} at start`);
  const startup = startupRuntimes(o.tests);
  if (startup.length > 0) {
    const rows: string[] = [];
    for (const rt of startup) rows.push(await startupBench(rt, o));
    console.log('\n| runtime | pods | p50 | p99 | max | node side (bound → Running) p50 / p99 | ' +
      'node CPU per pod | target p99 | Kubernetes SLO p99 |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  }
  if (o.tests.includes('hollow')) await runHollowBench(o);
  if (o.tests.includes('up')) await upBench(o);
  console.log(`# ${loadNote()} at end`);
}

/**
 * startupRuntimes: the runtimes the startup test measures — "startup" means process, and runc
 * when root; "startup:process" or "startup:runc" picks one.
 */
function startupRuntimes(tests: readonly string[]): string[] {
  const picked = tests.filter((t) => t.startsWith('startup:')).map((t) => t.slice(8));
  if (!tests.includes('startup')) return picked;
  if (process.getuid?.() === 0) return ['process', 'runc'];
  console.log('(not root: the runc runtime is skipped)');
  return ['process'];
}

/**
 * startupYaml: 3 masters (process runtime) and 2 workers on the runtime measured. Masters on
 * 127.0.7.x, workers on 127.0.8.x; BENCH_STARTUP_NET=N moves them to 127.0.N.x and 127.0.N+1.x
 * (and the Services and the workers' pods to ranges of their own), so two helpers can run this
 * benchmark at once on one machine: the kubelets' fixed port collides otherwise. N uses two
 * nets, so two runs need N values at least 2 apart (N=2 and N=3 collide on 127.0.3.x).
 */
function startupYaml(runtime: string): string {
  const net = Number(process.env.BENCH_STARTUP_NET ?? '7');
  if (!Number.isInteger(net) || net < 1 || net > 120) {
    throw new Error('BENCH_STARTUP_NET must be an integer 1..120');
  }
  return startupClusterYaml({ name: `bench-startup-${runtime}`, runtime, net,
    upstreamLeases: leaseTiming().length > 0 });
}

/**
 * leaseTiming: the elected components' Lease timing of the startup cluster — k8ts' default
 * (renewals every 100 ms: ~20 Lease writes/s and ~40 standby reads/s while idle) unless
 * BENCH_STARTUP_LEASE=upstream asks for kube-scheduler's and kube-controller-manager's defaults
 * (15 s lease, 10 s renew deadline, 2 s retry), to measure what the fast handover costs a burst.
 */
function leaseTiming(): string[] {
  const v = process.env.BENCH_STARTUP_LEASE;
  if (v === undefined || v === '' || v === 'default') return [];
  if (v !== 'upstream') throw new Error('BENCH_STARTUP_LEASE must be default or upstream');
  return [UPSTREAM_LEASE_TIMING];
}

async function startupBench(runtime: string, o: NodesBenchOptions): Promise<string> {
  const tl = BurstTimeline.fromEnv();
  // K8TS_BENCH_PROF_UNITS names processes beyond the agents (static pods): every component
  // loads the hook then, through its node arguments.
  const profDir = process.env.K8TS_BENCH_CPU_PROF_DIR;
  const profEnv = process.env.K8TS_BENCH_PROF_UNITS !== undefined && profDir
    ? componentsProfilingEnv(profDir) : nodeProfilingEnv(process.env);
  const c = new NodeCluster({ yaml: startupYaml(runtime), env: profEnv });
  const target = runtime === 'runc' ? '≤ 1 s' : '≤ 500 ms';
  try {
    console.log(`\n## startup, ${runtime} runtime: up in ${ms(await c.start())}; ${loadNote()}` +
      (leaseTiming().length > 0 ? `; ${leaseTiming().join('')}` : ''));
    await ensureNamespace(c.api, NS);
    await prePull(c);
    // The control plane's leaders settle and the caches fill right after up: not measured.
    await sleep(SETTLE_MS / 2);
    // The idle rate of each class (lease renewals, node status, resyncs): the second half of the
    // settle, so a burst's CPU can be told from what the cluster burns anyway in as long.
    const idle0 = cpuMsOf(c.units(), /./);
    const idleT0 = performance.now();
    await sleep(SETTLE_MS / 2);
    const idleMs = performance.now() - idleT0;
    const idle = cpuByClass(new Map([...cpuMsOf(c.units(), /./)].map(([u, v]) =>
      [u, (v - (idle0.get(u) ?? 0)) / idleMs]))); // ms of CPU per ms
    console.log(`idle CPU by process class, ms per s: ${[...idle].filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1]).map(([k2, v]) => `${k2} ${(v * 1000).toFixed(0)}`).join(', ')}`);
    let burstMs = 0;
    const all: number[] = [];
    const node: number[] = [];
    let cpuMs = 0;
    const classMs = new Map<string, number>();
    const written = { ms: 0, classMs: new Map<string, number>() };
    // The bench's own process creates the pods and decodes the watch: not a cluster class, but it
    // takes the same two cores during a burst, so its share is printed beside the classes.
    let clientMs = 0;
    for (let k = 0; k < o.warmupBursts + o.bursts; k++) {
      const warmup = k < o.warmupBursts;
      const before = workerCpuMs(c);
      const all0 = cpuMsOf(c.units(), /./);
      tl?.clear();
      const profiled = profEnv === undefined ? [] : nodeRoots(c);
      toggleProfiling(profiled);
      const tb = performance.now();
      const self0 = process.cpuUsage();
      const r = await burst(c.api, runtime, k, o.burstPods);
      const self = process.cpuUsage(self0);
      const selfMs = (self.user + self.system) / 1000;
      if (!warmup) {
        burstMs += performance.now() - tb;
        clientMs += selfMs;
      }
      toggleProfiling(profiled);
      const used = diffCpu(before, workerCpuMs(c));
      const all1 = cpuMsOf(c.units(), /./);
      const cpu = new Map([...all1].map(([u, v]) => [u, v - (all0.get(u) ?? 0)]));
      for (const l of tl?.report(NS, r.at, cpu) ?? []) console.log(l);
      const byClass = cpuByClass(cpu);
      if (!warmup) {
        cpuMs += used.total;
        for (const [k2, v] of byClass) classMs.set(k2, (classMs.get(k2) ?? 0) + v);
      }
      const events = await eventsPerPod(c.api, k, o.burstPods);
      console.log(`burst ${k + 1}${warmup ? ' (warm-up, not counted)' : ''}: ${burstLine(r)}, ${events} Events per pod); ` +
        `workers' CPU ${used.text}; ${loadNote()}`);
      console.log(`burst ${k + 1} CPU per pod by process class: ${classLine(byClass, o.burstPods)}; ` +
        `the bench client (not in the total) ${(selfMs / o.burstPods).toFixed(1)} ms`);
      await untilEventsWritten(c, k, o.burstPods, { all0, t0: tb },
        warmup ? { ms: 0, classMs: new Map() } : written);
      console.log(await scheduledOrder(c.api, k));
      if (!warmup) {
        all.push(...r.running);
        node.push(...r.node);
      }
      await removeBurst(c.api, k);
      await sleep(2_000);
    }
    const s = summarize(all);
    const n = summarize(node);
    const allLabel = o.warmupBursts > 0 ? 'bursts after the warm-up' : 'all bursts';
    console.log(`${allLabel}, CPU per pod by process class: ${classLine(classMs, s.count)}; ` +
      `the bench client (not in the total) ${(clientMs / Math.max(1, s.count)).toFixed(1)} ms`);
    const net = new Map([...classMs].map(([k2, v]) => [k2, v - (idle.get(k2) ?? 0) * burstMs]));
    console.log(`${allLabel}, CPU per pod by process class less the idle rate over the bursts' ` +
      `${ms(burstMs)}: ${classLine(net, s.count)}`);
    const netWritten = new Map([...written.classMs].map(([k2, v]) =>
      [k2, v - (idle.get(k2) ?? 0) * written.ms]));
    console.log(`${allLabel} until their Events were written, CPU per pod by process class less ` +
      `the idle rate over ${ms(written.ms)}: ${classLine(netWritten, s.count)}`);
    if (profEnv !== undefined) printProfiles(c, profEnv, s.count);
    const label = o.warmupBursts > 0 ? `${runtime}, after ${o.warmupBursts} warm-up bursts` : runtime;
    return `| ${label} | ${s.count} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} | ` +
      `${ms(n.p50)} / ${ms(n.p99)} | ${ms(cpuMs / Math.max(1, s.count))} | ${target} | ≤ 5 s |`;
  } catch (e) {
    console.log(`startup (${runtime}) failed: ${e instanceof Error ? e.message : String(e)}`);
    return `| ${runtime} | failed | | | | | | ${target} | ≤ 5 s |`;
  } finally {
    // --keep-logs: the components' logs (event sinks log what they drop) outlive the cluster.
    if (o.keepLogsDir !== undefined) c.keepLogs(join(o.keepLogsDir, `startup-${runtime}`));
    await c.stop();
    tl?.remove();
  }
}

/**
 * cpuByClass: CPU ms by process class — the component of a unit ("m2-apiserver" → "apiserver"),
 * the masters' and the workers' apart ("w1-kubelet" → "w-kubelet"): the control plane's share of
 * a burst (API servers, store members, schedulers, controller managers) next to the nodes'.
 */
export function cpuByClass(cpu: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [unit, v] of cpu) {
    const dash = unit.indexOf('-');
    // A master's store member (raft and MVCC) is the unit named after the master alone.
    const component = dash < 0 ? 'store' : unit.slice(dash + 1);
    const cls = /^w\d+-/.test(unit) ? `w-${component}` : component;
    out.set(cls, (out.get(cls) ?? 0) + v);
  }
  return out;
}

/** classLine: CPU ms per pod of each class, biggest first, and the total. */
function classLine(byClass: Map<string, number>, pods: number): string {
  const per = (v: number): string => (v / Math.max(1, pods)).toFixed(1);
  const total = [...byClass.values()].reduce((a, b) => a + b, 0);
  return [...byClass].filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1])
    .map(([c, v]) => `${c} ${per(v)}`).concat(`total ${per(total)} ms`).join(', ');
}

/** PROF_UNITS: the units whose bursts K8TS_BENCH_CPU_PROF_DIR profiles — the node agents, or
 *  K8TS_BENCH_PROF_UNITS (a regular expression over unit names such as m3-controller-manager,
 *  w1-kubelet, m1 for a store member) to see where any other process spends a burst. */
const PROF_UNITS = new RegExp(process.env.K8TS_BENCH_PROF_UNITS ?? '^(w|m)\\d+-(kubelet|runtime)$');

/** nodeRoots: the pids of the profiled units (not their children: containers). */
function nodeRoots(c: NodeCluster): number[] {
  return [...c.units()].filter(([u]) => PROF_UNITS.test(u)).map(([, pids]) => pids[0] ?? 0);
}

/** printProfiles: the self time over the bursts of the workers' kubelets and runtimes together,
 *  or with K8TS_BENCH_PROF_UNITS of each profiled unit on its own. */
function printProfiles(c: NodeCluster, env: NodeJS.ProcessEnv, pods: number): void {
  const dir = env.K8TS_BENCH_CPU_PROF_DIR ?? '';
  const groups: [string, RegExp][] = process.env.K8TS_BENCH_PROF_UNITS === undefined
    ? [['workers\' kubelets', /^w\d+-kubelet$/], ['workers\' runtimes', /^w\d+-runtime$/]]
    : [...c.units().keys()].filter((u) => PROF_UNITS.test(u)).sort()
      .map((u) => [u, new RegExp(`^${u}$`)]);
  for (const [label, re] of groups) {
    const pids = [...c.units()].filter(([u]) => re.test(u)).map(([, p]) => p[0] ?? 0);
    console.log(`\nprofiles (${dir}), ${label} over the bursts: ` +
      `${gcLine(gcStats(dir, new Set(pids)), pods)}; self time:`);
    for (const l of topLines(selfTimeByFunction(dir, new Set(pids)), pods)) console.log(l);
  }
}

/** WORKERS: the nodes the bursts' pods run on (the masters are tainted). */
const WORKERS = ['w1', 'w2'];

/**
 * prePull pulls the bursts' image onto the workers before anything is measured, as Kubernetes'
 * density tests do: its pod startup SLO excludes image pulls. BENCH_COLD_IMAGES=1 leaves the
 * image for the first burst's pods to pull (50 pulls per node at once, with their events).
 */
async function prePull(c: NodeCluster): Promise<void> {
  if (process.env.BENCH_COLD_IMAGES === '1') {
    console.log('images not pre-pulled (BENCH_COLD_IMAGES=1): the first burst pulls busybox');
    return;
  }
  const t0 = performance.now();
  await c.pullImage(WORKERS, BURST_IMAGE);
  console.log(`${BURST_IMAGE} pulled on ${WORKERS.join(', ')} in ${ms(performance.now() - t0)} ` +
    '(before the bursts: the SLO excludes pulls)');
}

/** burstLine: a burst's latencies as text (the caller closes the parenthesis). */
function burstLine(r: BurstResult): string {
  const [s, c, b, n] = [r.running, r.created, r.bound, r.node].map(summarize);
  const p = (x: ReturnType<typeof summarize> | undefined): string =>
    `p50 ${ms(x?.p50 ?? 0)}, p99 ${ms(x?.p99 ?? 0)}`;
  return `${s?.count ?? 0} pods Running, ${p(s)}, max ${ms(s?.max ?? 0)} (created: ${p(c)}; ` +
    `bound: ${p(b)}; bound → Running: ${p(n)}; ${r.updates.toFixed(2)} updates per pod until ` +
    'Running';
}

/** WORKER_UNITS: the node-side processes of the workers the pods run on (kubelets, runtimes). */
const WORKER_UNITS = /^w\d+-(kubelet|runtime)$/;

/** workerCpuMs: CPU ms used so far by each worker kubelet and runtime (with its children). */
function workerCpuMs(c: NodeCluster): Map<string, number> {
  return cpuMsOf(c.units(), WORKER_UNITS);
}

/** diffCpu: CPU ms used between two readings, in total and as text by component. */
function diffCpu(before: Map<string, number>, after: Map<string, number>) {
  const by = { kubelet: 0, runtime: 0 };
  for (const [unit, t] of after) {
    const d = t - (before.get(unit) ?? 0);
    if (unit.endsWith('-kubelet')) by.kubelet += d;
    else by.runtime += d;
  }
  const total = by.kubelet + by.runtime;
  return { total, text: `${ms(total)} (kubelets ${ms(by.kubelet)}, runtimes ${ms(by.runtime)})` };
}

function burstPod(runtime: string, k: number, i: number): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `b${k}-${i}`, namespace: NS, labels: { burst: String(k), runtime } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: BURST_IMAGE, command: ['sleep', '3600'] }],
    },
  };
}

/** Latencies of one burst's pods (ms from just before each create call). */
interface BurstResult {
  /** Until the watch showed the pod Running. */
  running: number[];
  /** Until its create call returned: the API's write path under the burst. */
  created: number[];
  /** Until the watch showed it bound (spec.nodeName): the scheduler's share. */
  bound: number[];
  /** From bound to Running, both as the watch showed them: the node's share. */
  node: number[];
  /** Updates per pod the watch showed until Running (the bind, the kubelets' status writes). */
  updates: number;
  /** The moments themselves (performance.now()), for the burst timeline (BENCH_TIMELINE=1). */
  at: BenchMoments;
}

/** burst creates n pods at once and returns each one's create → bound/Running-seen latency. */
async function burst(api: ApiClient, runtime: string, k: number, n: number): Promise<BurstResult> {
  const rv = (await api.list<Pod>(PODS, NS, { limit: 1 })).metadata.resourceVersion ?? '0';
  const w = api.watch<Pod>(PODS, NS, { resourceVersion: rv, labelSelector: `burst=${k}` });
  const sent = new Map<string, number>();
  const seen = new Map<string, number>();
  const bound = new Map<string, number>();
  const created = new Map<string, number>();
  let updates = 0;
  const watched = (async () => {
    for await (const e of w) {
      const name = e.object.metadata.name ?? '';
      if (e.type === 'DELETED') continue;
      if (e.type === 'MODIFIED') updates++;
      if ((e.object.spec?.nodeName ?? '') !== '' && !bound.has(name)) {
        bound.set(name, performance.now());
      }
      if (e.object.status?.phase !== 'Running' || seen.has(name)) continue;
      seen.set(name, performance.now());
      if (seen.size === n) return;
    }
  })();
  // Handled here, thrown by the await below: a watch that fails while the creates are still in
  // flight (a server whose cache lags the list's resourceVersion answers 504 after 3 s) must not
  // kill the bench as an unhandled rejection, which would leave the cluster running.
  watched.catch(() => undefined);
  const timer = setTimeout(() => w.stop(), BURST_TIMEOUT_MS);
  try {
    await Promise.all(Array.from({ length: n }, async (_, i) => {
      const pod = burstPod(runtime, k, i);
      sent.set(pod.metadata.name ?? '', performance.now());
      await api.create(PODS, NS, pod);
      created.set(pod.metadata.name ?? '', performance.now());
    }));
    await watched;
  } finally {
    clearTimeout(timer);
    w.stop();
  }
  if (seen.size < n) throw new Error(`burst ${k}: ${seen.size}/${n} pods Running within ${BURST_TIMEOUT_MS} ms`);
  const since = (m: Map<string, number>): number[] =>
    [...m].map(([name, at]) => at - (sent.get(name) ?? at));
  const node = [...seen].map(([name, at]) => at - (bound.get(name) ?? at));
  return {
    running: since(seen), created: since(created), bound: since(bound), node, updates: updates / n,
    at: { sent, created, bound, running: seen },
  };
}

/** eventsPerPod: Events about a burst's pods (each one a write of the API; repeats of one are
 *  counted in it, not as more), per pod, as text. */
async function eventsPerPod(api: ApiClient, k: number, n: number): Promise<string> {
  const list = await api.list<Event>(EVENTS, NS);
  const about = list.items.filter((e) => e.involvedObject.name?.startsWith(`b${k}-`) === true);
  return (about.length / n).toFixed(2);
}

/** STARTUP_EVENTS: the Events of a pod's start (Scheduled, Pulled, Created, Started). */
const STARTUP_EVENTS = 4;
/** Longest a burst waits for its Events after Running (they are best effort). */
const EVENTS_TIMEOUT_MS = 30_000;

/**
 * untilEventsWritten extends a burst's measurement until its pods' startup Events are written
 * (they trail Running: best effort, paced, written by sinks in the background): adds the wall ms
 * since the burst began (from.t0) and the CPU since then by class (from.all0) to acc.
 */
async function untilEventsWritten(c: NodeCluster, k: number, n: number,
  from: { all0: Map<string, number>; t0: number },
  acc: { ms: number; classMs: Map<string, number> }): Promise<void> {
  const waitedMs = await eventsWritten(c.api, k, n);
  const all = cpuMsOf(c.units(), /./);
  acc.ms += performance.now() - from.t0;
  const cpu = new Map([...all].map(([u, v]) => [u, v - (from.all0.get(u) ?? 0)]));
  for (const [cls, v] of cpuByClass(cpu)) acc.classMs.set(cls, (acc.classMs.get(cls) ?? 0) + v);
  console.log(`burst ${k + 1}: its ${STARTUP_EVENTS} Events per pod written ${ms(waitedMs)} ` +
    'after the last pod was Running');
}

/** eventsWritten waits until a burst's pods have their startup Events (or EVENTS_TIMEOUT_MS)
 *  and returns how long it waited; it lists the Events every 250 ms. */
async function eventsWritten(api: ApiClient, k: number, n: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < EVENTS_TIMEOUT_MS) {
    if (Number(await eventsPerPod(api, k, n)) >= STARTUP_EVENTS) return performance.now() - t0;
    await sleep(250);
  }
  const waited = performance.now() - t0;
  for (const l of await missingEvents(api, k)) console.log(l);
  return waited;
}

/**
 * scheduledOrder: for how many of a burst's pods the scheduler's Scheduled Event was made in
 * the same wall ms as one of the kubelet's, or later than its first (the bind's answer reaches
 * the scheduler after the watch reached the kubelet). Event names carry their wall time
 * (<pod>.<ns in hex>); with whole-ms names a same-ms pair was one name and one Event lost.
 */
async function scheduledOrder(api: ApiClient, k: number): Promise<string> {
  const items = (await api.list<Event>(EVENTS, NS)).items
    .filter((e) => e.involvedObject.name?.startsWith(`b${k}-`) === true);
  const msOf = (e: Event): number =>
    Number(BigInt(`0x${e.metadata.name?.split('.').at(-1) ?? '0'}`) / 1_000_000n);
  const byPod = new Map<string, Event[]>();
  for (const e of items) {
    const pod = e.involvedObject.name ?? '';
    byPod.set(pod, [...(byPod.get(pod) ?? []), e]);
  }
  let later = 0;
  let sameMs = 0;
  for (const evs of byPod.values()) {
    const sched = evs.find((e) => e.reason === 'Scheduled');
    const kubelet = evs.filter((e) => e.source?.component === 'kubelet').map(msOf);
    if (sched === undefined || kubelet.length === 0) continue;
    if (kubelet.includes(msOf(sched))) sameMs++;
    if (msOf(sched) > Math.min(...kubelet)) later++;
  }
  return `burst ${k + 1}: Scheduled made after the kubelet's first Event for ${later} of ` +
    `${byPod.size} pods, in the same ms as one of the kubelet's for ${sameMs}`;
}

/** STARTUP_REASONS: the reasons of a pod's startup Events, one each. */
const STARTUP_REASONS = ['Scheduled', 'Pulled', 'Created', 'Started'];

/**
 * missingEvents, for a burst whose Events did not all arrive: which pods lack which startup
 * reason, with the Events each such pod does have (name, reason, writer), so a loss can be told
 * from a count (an aggregated repeat) or a name another Event took.
 */
async function missingEvents(api: ApiClient, k: number): Promise<string[]> {
  const items = (await api.list<Event>(EVENTS, NS)).items
    .filter((e) => e.involvedObject.name?.startsWith(`b${k}-`) === true);
  const pods = (await api.list<Pod>(PODS, NS, { labelSelector: `burst=${k}` })).items;
  const byPod = new Map<string, Event[]>(pods.map((p) => [p.metadata.name ?? '', []]));
  for (const e of items) byPod.get(e.involvedObject.name ?? '')?.push(e);
  const out: string[] = [];
  for (const [pod, evs] of byPod) {
    const missing = STARTUP_REASONS.filter((r) => !evs.some((e) => e.reason === r));
    if (missing.length === 0) continue;
    const have = evs.map((e) => `${e.metadata.name ?? ''} ${e.reason ?? ''} ` +
      `by ${e.source?.component ?? ''}@${e.source?.host ?? ''} x${e.count ?? 1}`);
    out.push(`burst ${k + 1}: ${pod} on ${pods.find((p) => p.metadata.name === pod)?.spec
      ?.nodeName ?? '?'} lacks ${missing.join(', ')}; has ${have.join('; ')}`);
  }
  return [`burst ${k + 1}: ${out.length} of ${pods.length} pods lack startup Events ` +
    `(${items.length} Events about them)`, ...out.slice(0, 20)];
}

/** removeBurst deletes a burst's pods (1 s grace: the kubelets stop them) and waits until gone. */
async function removeBurst(api: ApiClient, k: number): Promise<void> {
  const pods = (await api.list<Pod>(PODS, NS, { labelSelector: `burst=${k}` })).items;
  await Promise.all(pods.map((p) => api.delete(PODS, NS, p.metadata.name ?? '',
    { gracePeriodSeconds: 1 }).catch(() => undefined)));
  const deadline = performance.now() + BURST_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const left = (await api.list<Pod>(PODS, NS, { labelSelector: `burst=${k}` })).items.length;
    if (left === 0) return;
    await sleep(250);
  }
  throw new Error(`burst ${k}: pods still there ${BURST_TIMEOUT_MS} ms after their deletion`);
}

/** upYaml: the default config under another name and other loopback addresses. */
function upYaml(): string {
  return DEFAULT_CONFIG_YAML.replace(/^name: .*$/m, 'name: bench-up')
    .replaceAll('127.0.1.', '127.0.10.').replaceAll('127.0.2.', '127.0.11.');
}

/** k8tsCli runs bin/k8ts.js with K8TS_HOME=home; resolves with the exit code and output. */
function k8tsCli(home: string, args: string[], timeoutMs: number):
  Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/k8ts.js', ...args],
      { env: { ...process.env, K8TS_HOME: home, K8TS_NO_MERGE: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

async function upBench(o: NodesBenchOptions): Promise<void> {
  console.log(`\n## up: \`k8ts up\` of the default config (renamed bench-up, 127.0.10/11.x), ` +
    `${o.upRuns} runs`);
  const xs: number[] = [];
  for (let i = 0; i < o.upRuns; i++) {
    const home = mkdtempSync(join(tmpdir(), 'k8ts-bench-up-'));
    const file = join(home, 'bench-up.yaml');
    writeFileSync(file, upYaml());
    try {
      const load = loadNote();
      const t0 = performance.now();
      const r = await k8tsCli(home, ['up', '-f', file, '--no-merge'], 180_000);
      const took = performance.now() - t0;
      if (r.code !== 0) {
        console.log(`run ${i + 1}: k8ts up failed (${r.code}):\n${r.out.slice(-2_000)}`);
        continue;
      }
      xs.push(took);
      console.log(`run ${i + 1}: ${ms(took)} (${load} before)`);
    } finally {
      await k8tsCli(home, ['down', '--name', 'bench-up', '--purge'], 120_000);
      rmSync(home, { recursive: true, force: true });
    }
    await sleep(2_000);
  }
  const s = summarize(xs);
  console.log(`\n| k8ts up, default config | runs | median | max | target |`);
  console.log('|---|---|---|---|---|');
  console.log(`| 3 masters + 2 workers, process runtime | ${s.count} | ${ms(s.median)} | ` +
    `${ms(s.max)} | ≤ 5 s |`);
}
