/**
 * Microbench of one node's share of a pod burst (issue 6, the nodes' CPU per pod): a real kubelet
 * (src/kubelet/main.ts) and a real process runtime (node-burst-runtime.ts), each a process of its
 * own as `k8ts up` runs them, against an in-process API server and store (test/support, not
 * measured). Each round creates P pods already bound to the node (the nodes bench's burst pod:
 * busybox sleep) at once and waits until its watch shows every one Running; reported per round:
 * CPU µs per pod of the kubelet and of the runtime with its children (spawner helpers,
 * containers), from /proc (in USER_HZ ticks, and finer from schedstat), and create → Running
 * p50/p99. Then the pods are deleted and the next round starts. No scheduler, no controllers, no other node: the kubelet's and the runtime's
 * work alone, so a change to either can be measured in CPU per pod on a noisy machine, base
 * and HEAD alternately.
 *
 *   node --import tsx bench/lib/node-burst-micro.ts [pods=50] [rounds=5] [--prof <dir>]
 *
 * Both processes run with the node arguments a cluster gives its components
 * (componentNodeArgs) and K8TS_NODE_ARGS after them, so a V8 flag can be tried here first.
 *
 * --prof: both processes load node-prof.ts's hook and are profiled during each round (not
 * start-up, not removal); the top self-time functions are printed at the end. With
 * K8TS_BENCH_HEAP_PROF=1 as well, each process's allocation per pod is printed too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pod } from '../../src/api/core/v1/pod-types.js';
import { ApiClient } from '../../src/client/api-client.js';
import { componentNodeArgs } from '../../src/cluster/build/launch.js';
import { connectCri } from '../../src/kubelet/cri/client.js';
import { startApiCluster } from '../../test/support/apiserver.js';
import { cpuMsOf, ensureNamespace, loadNote, processTree } from './node-cluster.js';
import {
  allocatedBytes, nodeProfilingEnv, selfTimeByFunction, toggleProfiling, topLines,
} from './node-prof.js';
import { schedCpuMs } from './sched-cpu.js';
import { threadCpu } from './thread-cpu.js';
import { summarize } from './stats.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const NS = 'bench';
const NODE = 'mw1';
/** The node's pod range: a loopback /24 of its own (127.64.0.0/16 is the tests'). */
const POD_CIDR = '127.65.201.0/24';
/** How long one round may take before the micro gives up. */
const ROUND_TIMEOUT_MS = 60_000;

function arg(i: number, dflt: number): number {
  const v = process.argv.slice(2).filter((a) => !a.startsWith('--') && !a.includes('/'))[i];
  return v === undefined ? dflt : Number(v);
}

const pods = arg(0, 50);
const rounds = arg(1, 5);
const profIx = process.argv.indexOf('--prof');
const profDir = profIx > 0 ? resolve(process.argv[profIx + 1] ?? '') : undefined;

function burstPod(r: number, i: number): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `r${r}-${i}`, namespace: NS, labels: { round: String(r) } },
    spec: {
      nodeName: NODE, terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
    },
  };
}

/**
 * The node arguments of both processes: what `k8ts up` gives a kubelet and a runtime
 * (componentNodeArgs: the same for both), then K8TS_NODE_ARGS (space-separated), as the
 * cluster's launches add it — so the micro measures the processes as a cluster runs them, and a
 * V8 flag can be tried here first.
 */
function nodeArgs(env: NodeJS.ProcessEnv): string[] {
  const extra = (env.K8TS_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  return [...componentNodeArgs('kubelet'), ...extra];
}

/** child starts a Node process through tsx; resolves once it printed `ready` (or at once). */
function child(args: string[], env: NodeJS.ProcessEnv, ready?: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, [...nodeArgs(env), '--import', 'tsx', ...args],
    { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    let out = '';
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready === undefined || out.includes(ready)) res(p);
    });
    p.once('exit', (code) => rej(new Error(`${args[0] ?? ''} exited (${String(code)}): ${out}`)));
    if (ready === undefined) res(p);
  });
}

async function until(what: string, f: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (!(await f())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** round creates the round's pods at once; returns create → Running-seen ms of each. */
async function round(api: ApiClient, r: number): Promise<number[]> {
  const rv = (await api.list<Pod>(PODS, NS, { limit: 1 })).metadata.resourceVersion ?? '0';
  const w = api.watch<Pod>(PODS, NS, { resourceVersion: rv, labelSelector: `round=${r}` });
  const sent = new Map<string, number>();
  const running = new Map<string, number>();
  const seen = (async () => {
    for await (const e of w) {
      const name = e.object.metadata.name ?? '';
      if (e.object.status?.phase !== 'Running' || running.has(name)) continue;
      running.set(name, performance.now());
      if (running.size === pods) return;
    }
  })();
  const timer = setTimeout(() => w.stop(), ROUND_TIMEOUT_MS);
  try {
    await Promise.all(Array.from({ length: pods }, async (_, i) => {
      const pod = burstPod(r, i);
      sent.set(pod.metadata.name ?? '', performance.now());
      await api.create(PODS, NS, pod);
    }));
    await seen;
  } finally {
    clearTimeout(timer);
    w.stop();
  }
  if (running.size < pods) throw new Error(`round ${r}: ${running.size}/${pods} Running`);
  return [...running].map(([n, t]) => t - (sent.get(n) ?? t));
}

async function removeRound(api: ApiClient, r: number): Promise<void> {
  const list = (await api.list<Pod>(PODS, NS, { labelSelector: `round=${r}` })).items;
  await Promise.all(list.map((p) => api.delete(PODS, NS, p.metadata.name ?? '',
    { gracePeriodSeconds: 1 }).catch(() => undefined)));
  await until(`round ${r} removed`, async () =>
    (await api.list<Pod>(PODS, NS, { labelSelector: `round=${r}` })).items.length === 0,
  ROUND_TIMEOUT_MS);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-node-micro-'));
  const cluster = await startApiCluster();
  const api = new ApiClient({ endpoints: cluster.grpcEndpoints });
  const procs: ChildProcess[] = [];
  if (profDir !== undefined) mkdirSync(profDir, { recursive: true });
  const env = (profDir !== undefined
    ? nodeProfilingEnv({ ...process.env, K8TS_BENCH_CPU_PROF_DIR: profDir }) : undefined) ??
    process.env;
  try {
    await ensureNamespace(api, NS);
    const sock = join(dir, 'cri.sock');
    const runtime = await child([join('bench', 'lib', 'node-burst-runtime.ts'),
      join(dir, 'runtime'), POD_CIDR, sock], env, 'serving');
    procs.push(runtime);
    const cri = connectCri(sock);
    await cri.pullImage({ image: { image: 'busybox', annotations: {}, userSpecifiedImage: '',
      runtimeHandler: '', imageRef: '' }, auth: undefined, sandboxConfig: undefined });
    cri.close();
    const kubelet = await child([join('src', 'kubelet', 'main.ts'), '--node-name', NODE,
      '--address', '127.0.0.1', '--api', cluster.grpcEndpoints.join(','),
      '--runtime-socket', sock, '--root-dir', join(dir, 'kubelet'), '--pod-cidr', POD_CIDR,
      '--kubelet-port', '0'], env);
    procs.push(kubelet);
    await until('node registered', async () =>
      (await api.get(NODES, undefined, NODE).then(() => true, () => false)), 60_000);
    await new Promise((r) => setTimeout(r, 3_000));
    console.log(`# node burst micro: ${pods} pods x ${rounds} rounds; ` +
      `node ${nodeArgs(env).join(' ')}; ${loadNote()}`);
    console.log('| round | kubelet CPU µs/pod | runtime CPU µs/pod | kubelet (schedstat) | ' +
      'runtime (schedstat) | create → Running p50 / p99 ms | load |');
    console.log('|---|---|---|---|---|---|---|');
    const kl: number[] = [];
    const rt: number[] = [];
    const klNs: number[] = [];
    const rtNs: number[] = [];
    const parts = new Map<string, number>();
    const kparts = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      const units = (): Map<string, number[]> => new Map([
        ['kubelet', processTree(kubelet.pid ?? 0)], ['runtime', processTree(runtime.pid ?? 0)]]);
      const before = cpuMsOf(units(), /./);
      const fine0 = new Map([...units()].map(([u, pids]) => [u, schedCpuMs(pids)]));
      const parts0 = runtimeParts(runtime.pid ?? 0);
      const kparts0 = new Map(threadsOf(kubelet.pid ?? 0));
      if (profDir !== undefined) toggleProfiling([kubelet.pid ?? 0, runtime.pid ?? 0]);
      const lat = await round(api, r);
      if (profDir !== undefined) toggleProfiling([kubelet.pid ?? 0, runtime.pid ?? 0]);
      const after = cpuMsOf(units(), /./);
      // The tree after the round: helpers and containers started during it count from 0.
      const fine1 = new Map([...units()].map(([u, pids]) => [u, schedCpuMs(pids)]));
      const parts1 = runtimeParts(runtime.pid ?? 0);
      for (const [k, v] of parts1) parts.set(k, (parts.get(k) ?? 0) + v - (parts0.get(k) ?? 0));
      for (const [k, v] of threadsOf(kubelet.pid ?? 0)) {
        kparts.set(k, (kparts.get(k) ?? 0) + v - (kparts0.get(k) ?? 0));
      }
      const per = (u: string): number =>
        ((after.get(u) ?? 0) - (before.get(u) ?? 0)) * 1000 / pods;
      const fine = (u: string): number =>
        ((fine1.get(u) ?? 0) - (fine0.get(u) ?? 0)) * 1000 / pods;
      kl.push(per('kubelet'));
      rt.push(per('runtime'));
      klNs.push(fine('kubelet'));
      rtNs.push(fine('runtime'));
      const s = summarize(lat);
      console.log(`| ${r + 1} | ${per('kubelet').toFixed(0)} | ${per('runtime').toFixed(0)} | ` +
        `${fine('kubelet').toFixed(0)} | ${fine('runtime').toFixed(0)} | ` +
        `${s.p50.toFixed(0)} / ${s.p99.toFixed(0)} | ${loadNote()} |`);
      await removeRound(api, r);
      await new Promise((res) => setTimeout(res, 1_000));
    }
    const med = (xs: number[]): string => summarize(xs).median.toFixed(0);
    const mean = (xs: number[]): string => (xs.reduce((a, x) => a + x, 0) / xs.length).toFixed(0);
    console.log(`median over rounds: kubelet ${med(kl)} µs/pod, runtime ${med(rt)} µs/pod`);
    // Each round's figure moves in steps of 10 ms / pods (USER_HZ ticks): the mean is finer.
    console.log(`mean over rounds: kubelet ${mean(kl)} µs/pod, runtime ${mean(rt)} µs/pod`);
    // schedstat counts ns run on a CPU, so rounds need not be averaged to see 10 µs/pod; the
    // first round (cold: compiling, the log spares' first top-up) is left out of this mean.
    console.log(`schedstat, mean over rounds 2+: kubelet ${mean(klNs.slice(1))} µs/pod, ` +
      `runtime ${mean(rtNs.slice(1))} µs/pod (round 1: ${klNs[0]?.toFixed(0)}, ` +
      `${rtNs[0]?.toFixed(0)})`);
    console.log(`kubelet CPU by thread over all rounds, µs/pod: ${[...kparts].map(([k, v]) =>
      `${k.trim()} ${((v * 1000) / (pods * rounds)).toFixed(0)}`).join(', ')}`);
    console.log(`runtime CPU by part over all rounds, µs/pod: ${[...parts].map(([k, v]) =>
      `${k} ${((v * 1000) / (pods * rounds)).toFixed(0)}`).join(', ')}`);
    if (profDir !== undefined) {
      await new Promise((r) => setTimeout(r, 500));
      for (const [what, p] of [['kubelet', kubelet], ['runtime', runtime]] as const) {
        console.log(`\n${what} self time over the rounds:`);
        for (const l of topLines(selfTimeByFunction(profDir, new Set([p.pid ?? 0])),
          pods * rounds, 50)) console.log(l);
        const bytes = allocatedBytes(profDir, new Set([p.pid ?? 0]));
        if (bytes > 0) {
          console.log(`${what} allocated (sampling heap profile): ` +
            `${(bytes / 1024 / (pods * rounds)).toFixed(0)} KiB per pod`);
        }
      }
    }
  } finally {
    for (const p of procs.reverse()) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
    api.close();
    await cluster.stop();
    killLeftovers(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks per second. */
const CLOCK_TICKS = 100;

/** statTicks: [own utime+stime, reaped children's cutime+cstime] of pid in ticks (0 if gone). */
function statTicks(pid: number): [number, number] {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return [0, 0];
  }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return [(f[11] ?? 0) + (f[12] ?? 0), (f[13] ?? 0) + (f[14] ?? 0)];
}

/**
 * runtimeParts: the runtime tree's CPU ms by part — its own threads (event loop, libuv pool),
 * what it reaped (its short-lived children: mkfifo), its live children (the spawner helpers,
 * with what they reaped) and their children (the containers).
 */
function runtimeParts(root: number): Map<string, number> {
  const [own, reaped] = statTicks(root);
  const tree = processTree(root);
  const helpers = tree.filter((p) => parentOf(p) === root);
  const sum = (pids: number[]): number =>
    pids.reduce((a, p) => a + statTicks(p)[0] + statTicks(p)[1], 0);
  const ms = (t: number): number => (t * 1000) / CLOCK_TICKS;
  return new Map([['own', ms(own)], ...threadsOf(root), ['reaped', ms(reaped)],
    ['helpers', ms(sum(helpers))],
    ['containers', ms(sum(tree.filter((p) => p !== root && !helpers.includes(p))))]]);
}

/** threadsOf: pid's CPU ms on its main thread and on the others (libuv's pool, where the file
 *  system calls run, and V8's workers); nothing when pid is gone. */
function threadsOf(pid: number): [string, number][] {
  const t = threadCpu(pid);
  if (t.size === 0) return [];
  const main = t.get('main') ?? 0;
  const all = [...t.values()].reduce((x, y) => x + y, 0);
  return [['  main thread', main], ['  other threads', all - main]];
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** killLeftovers: containers of a round that failed (they outlive the runtime, in process
 *  groups of their own) are found by their working directory under dir and killed. */
function killLeftovers(dir: string): void {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/cwd`).startsWith(dir)) process.kill(Number(d), 'SIGKILL');
    } catch {
      // Gone, or not ours to read.
    }
  }
}

await main();
process.exit(0);
