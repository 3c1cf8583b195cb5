/**
 * The API server benchmark (issue 4): the same three API server processes over a 3-member k8ts
 * store, then over a 3-member etcd 3.4 — so the ratio k8ts/etcd of every figure is the store's
 * share of API latency. One system's processes exist at a time, started fresh and removed after.
 *
 * Per system: namespaces, then `pods` pods pre-created in bench-list; then for each rate, each
 * operation as an open loop (bench/lib/api-load.ts) for 1 s warm-up + `seconds` measured,
 * requests round-robin over the three servers:
 *   create  POST a new pod into bench-create (bench-list stays at `pods`);
 *   get     GET a pod of bench-list;
 *   list    GET all pods of bench-list as plain JSON (no Table, no limit);
 *   update  PUT a pod of bench-list with one label changed and the resourceVersion the server
 *           last returned for it (a controller's update from its cache), never two at once.
 * Then the watch fan-out (bench/lib/api-watch.ts) in bench-watch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiClient } from './lib/api-client.js';
import { errorSum, openLoop } from './lib/api-load.js';
import { namespaceManifest, PodPool } from './lib/api-objects.js';
import { ApiServerProcs } from './lib/api-procs.js';
import {
  printApiReport, stepLine, type OpName, type StepCpu, type StepResult, type SystemRun,
} from './lib/api-report.js';
import { watchFanout } from './lib/api-watch.js';
import { sleep } from './lib/cluster.js';
import { percentile } from './lib/stats.js';
import { rssMiB, sampleCpu, type CpuSample } from './lib/store-proc.js';
import { profilingEnv, startProfiling, summarizeProfile } from './lib/store-prof.js';
import {
  EtcdStore, etcdVersionOrUndefined, K8tsStore, type StoreSystem,
} from './lib/store-systems.js';

export interface ApiBenchOptions {
  ratesPerSec: number[];
  seconds: number;
  only: 'k8ts' | 'etcd' | undefined;
  /** Pods pre-created in the listed namespace. */
  pods: number;
  watchers: number;
  /** The command line, printed with the report. */
  command: string;
  /** API server and store logs are copied here before each system is removed. */
  keepLogsDir: string | undefined;
  /** Operations to run (default all); a subset narrows a profile to them. */
  ops: OpName[];
  /** The API servers profile themselves (V8) from ready to stop and write the profiles here;
   *  summarized after each system. The figures of a profiled run are not comparable. */
  cpuProfDir: string | undefined;
}

/** Masters, as in the issue: three API servers over three store members. */
const MASTERS = 3;
const API_PORT = 36443;
const WARMUP_MS = 1_000;
/** In-flight cap of the load: kube-apiserver's default --max-mutating-requests-inflight. */
const MAX_INFLIGHT = 200;
/** Keep-alive connections per API server: above MAX_INFLIGHT / MASTERS, so the agent's queue
 *  never hides server time. */
const SOCKETS_PER_SERVER = 100;
/** The watch test's writer: modest, so the figure is delivery, not write saturation. */
export const WATCH_WRITES_PER_SEC = 20;
/** Pods are pre-created this many at a time, each retried this often. */
const SETUP_INFLIGHT = 16;
const SETUP_TRIES = 3;
/** After a step the servers must fall below SETTLE_CORES (API servers and store together) over
 *  a SETTLE_SAMPLE_MS window before the next starts: a client that gave up on a request (timeout)
 *  does not stop the server working on it, and that backlog must not land in the next step. */
const SETTLE_CORES = 0.25;
const SETTLE_SAMPLE_MS = 500;
const SETTLE_MAX_MS = 60_000;
/** Lists run last at each rate: at high rates they saturate the servers (each answer is the
 *  whole namespace), and the writes are the figures the target is about. */
const RUN_ORDER: readonly OpName[] = ['create', 'get', 'update', 'list'];

const PORT_TRIES = 4;
const PORT_RETRY_MS = 20_000;

const NS_LIST = 'bench-list';
const NS_CREATE = 'bench-create';
const NS_WATCH = 'bench-watch';

/** Everything running now, stopped by the signal handler on Ctrl-C. */
const running = new Set<{ stop(): Promise<void> }>();

export async function runApi(opts: ApiBenchOptions): Promise<void> {
  const etcdVersion = etcdVersionOrUndefined();
  if (opts.only !== 'k8ts' && etcdVersion === undefined) {
    console.log('(etcd not installed: apt-get install -y etcd-server to compare against it)');
  }
  const stores: StoreSystem[] = [];
  if (opts.only !== 'etcd') stores.push(new K8tsStore(MASTERS));
  if (opts.only !== 'k8ts' && etcdVersion !== undefined) {
    stores.push(new EtcdStore(MASTERS, etcdVersion));
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping ${running.size} process group(s)`);
    void Promise.all([...running].map((s) => s.stop())).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runs: SystemRun[] = [];
  try {
    for (const store of stores) runs.push(await runSystem(store, opts));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  printApiReport(runs, {
    command: opts.command,
    commit: commitOf(),
    pods: opts.pods,
    watchers: opts.watchers,
    watchWritesPerSec: WATCH_WRITES_PER_SEC,
  });
}

interface Ctx {
  store: StoreSystem;
  apis: ApiServerProcs;
  client: ApiClient;
  opts: ApiBenchOptions;
  run: SystemRun;
  listPool: PodPool;
  createPool: PodPool;
}

/** runSystem starts the store and the API servers, runs every step, and always stops both. */
async function runSystem(store: StoreSystem, opts: ApiBenchOptions): Promise<SystemRun> {
  const run: SystemRun = {
    kind: store.kind, label: store.label, steps: [], rssApiMiB: [], rssStoreMiB: [], notes: [],
  };
  console.log(`\n## ${store.label}`);
  let apis: ApiServerProcs | undefined;
  let client: ApiClient | undefined;
  let apiPids: number[] = [];
  running.add(store);
  try {
    const fromMs = performance.now();
    await withPortRetry(() => store.start());
    const etcdServers = store.endpoints.map((e) => e.address);
    const env = opts.cpuProfDir === undefined ? {} : profilingEnv(opts.cpuProfDir, {});
    apis = new ApiServerProcs({ etcdServers, count: MASTERS, port: API_PORT, env });
    running.add(apis);
    await withPortRetry(() => apis!.start());
    if (opts.cpuProfDir !== undefined) {
      startProfiling(apis.pids());
      run.notes.push(`API servers profiled (profiles in ${opts.cpuProfDir}): not comparable`);
    }
    apiPids = apis.pids();
    const readyS = ((performance.now() - fromMs) / 1000).toFixed(1);
    console.log(`${store.label}: store and ${MASTERS} API servers ready in ${readyS} s ` +
      `(store ${store.notes.join('; ')}; API servers ${apis.addresses.join(', ')})`);
    client = new ApiClient({
      servers: apis.addresses, tls: apis.tls, socketsPerServer: SOCKETS_PER_SERVER,
    });
    const ctx: Ctx = {
      store, apis, client, opts, run,
      listPool: new PodPool(client, NS_LIST),
      createPool: new PodPool(client, NS_CREATE),
    };
    await setup(ctx);
    for (const rate of opts.ratesPerSec) {
      for (const op of RUN_ORDER.filter((o) => opts.ops.includes(o))) {
        const s = await step(ctx, op, rate);
        run.steps.push(s);
        console.log(stepLine(store.label, s));
        await settle(ctx);
      }
    }
    await fanout(ctx);
    run.rssApiMiB = apis.pids().map(rssMiB);
    run.rssStoreMiB = store.pids().map(rssMiB);
  } catch (err) {
    run.failed = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0];
    console.error(`${store.label} FAILED: ${String(err)}`);
    console.error(`${apis?.logTail(15) ?? ''}\n${store.logTail(10)}`);
  } finally {
    client?.close();
    keepLogs(opts, store, apis);
    await apis?.stop();
    await store.stop();
    if (apis) running.delete(apis);
    running.delete(store);
  }
  if (opts.cpuProfDir !== undefined) reportProfiles(opts.cpuProfDir, store.kind, apiPids);
  return run;
}

/** reportProfiles names the API servers' profiles after system and member and prints their
 *  summaries (bench/lib/store-prof.ts: self time by area, top functions). */
function reportProfiles(dir: string, kind: string, pids: readonly number[]): void {
  pids.forEach((pid, i) => {
    const from = join(dir, `CPU.${pid}.cpuprofile`);
    if (!existsSync(from)) return;
    const to = join(dir, `apiserver-${kind}-m${i + 1}.cpuprofile`);
    renameSync(from, to);
    console.log(summarizeProfile(to));
  });
}

function keepLogs(opts: ApiBenchOptions, store: StoreSystem, apis?: ApiServerProcs): void {
  if (opts.keepLogsDir === undefined) return;
  try {
    const dir = join(opts.keepLogsDir, `api-${store.kind}`);
    store.keepLogs(dir);
    apis?.keepLogs(dir);
  } catch (err) {
    console.error(`keeping logs failed: ${String(err)}`);
  }
}

/** withPortRetry retries a start that found its fixed port taken: those ports lie in Linux's
 *  ephemeral range, where another program's short-lived client connection (a test suite on this
 *  shared machine) can hold one for a minute (TIME_WAIT). Starts check ports before any work. */
async function withPortRetry(start: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= PORT_TRIES || !/in use/.test(String(err))) throw err;
      console.log(`${String(err)}; retrying in ${PORT_RETRY_MS / 1000} s`);
      await sleep(PORT_RETRY_MS);
    }
  }
}

/** setup creates the namespaces and pre-creates the listed pods, then checks a list sees them. */
async function setup(ctx: Ctx): Promise<void> {
  for (const ns of [NS_LIST, NS_CREATE, NS_WATCH]) {
    const res = await ctx.client.request('POST', '/api/v1/namespaces', namespaceManifest(ns));
    if (res.status !== 201) {
      const why = res.body.toString().slice(0, 300);
      throw new Error(`create namespace ${ns}: HTTP ${res.status} ${why}`);
    }
  }
  const fromMs = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ctx.opts.pods; i = next++) {
      const name = `p-${String(i).padStart(5, '0')}`;
      let status = 0;
      for (let t = 0; t < SETUP_TRIES && status !== 201; t++) {
        status = (await ctx.listPool.create(name)).status;
      }
      if (status !== 201) throw new Error(`pre-creating ${NS_LIST}/${name}: HTTP ${status}`);
    }
  };
  await Promise.all(Array.from({ length: SETUP_INFLIGHT }, worker));
  const res = await ctx.client.request('GET', `/api/v1/namespaces/${NS_LIST}/pods`);
  const items = res.status === 200
    ? (JSON.parse(res.body.toString('utf8')) as { items: unknown[] }).items.length
    : -1;
  if (items !== ctx.opts.pods) {
    throw new Error(`list ${NS_LIST}: HTTP ${res.status}, ${items} items, not ${ctx.opts.pods}`);
  }
  const s = (performance.now() - fromMs) / 1000;
  console.log(`${ctx.store.label}: ${ctx.opts.pods} pods created in ${s.toFixed(1)} s ` +
    `(${SETUP_INFLIGHT} in flight, ${(ctx.opts.pods / s).toFixed(0)}/s, not measured); ` +
    `one list answer is ${(res.body.length / 1024).toFixed(0)} KiB`);
}

/** settle waits (bounded) until the servers are nearly idle; notes it when they never were. */
async function settle(ctx: Ctx): Promise<void> {
  const pids = (): number[] => [...ctx.apis.pids(), ...ctx.store.pids()];
  const fromMs = performance.now();
  for (;;) {
    const a = sampleCpu(pids());
    await sleep(SETTLE_SAMPLE_MS);
    const b = sampleCpu(pids());
    const cores = (b.membersMs - a.membersMs) / (b.atMs - a.atMs);
    if (cores < SETTLE_CORES) return;
    if (performance.now() - fromMs > SETTLE_MAX_MS) {
      const busy = `${cores.toFixed(2)} cores`;
      ctx.run.notes.push(`servers still busy (${busy}) ${SETTLE_MAX_MS} ms after a step`);
      return;
    }
  }
}

/** opFor is the request of one operation; resolves with its HTTP status. */
function opFor(ctx: Ctx, op: OpName, rate: number): (i: number) => Promise<number> {
  const base = `/api/v1/namespaces/${NS_LIST}/pods`;
  switch (op) {
    case 'create':
      return async (i) => (await ctx.createPool.create(`c-${rate}-${i}`)).status;
    case 'get':
      return async (i) => {
        const res = await ctx.client.request('GET', `${base}/${ctx.listPool.name(i)}`);
        return res.status;
      };
    case 'list':
      return async () => (await ctx.client.request('GET', base)).status;
    case 'update':
      return async () => (await ctx.listPool.update()).status;
  }
}

/** step runs one operation at one rate and measures where the CPU went meanwhile. */
async function step(ctx: Ctx, op: OpName, rate: number): Promise<StepResult> {
  let from: [CpuSample, CpuSample] | undefined;
  let to: [CpuSample, CpuSample] | undefined;
  const sample = (): [CpuSample, CpuSample] =>
    [sampleCpu(ctx.apis.pids()), sampleCpu(ctx.store.pids())];
  const r = await openLoop({
    ratePerSec: rate,
    warmupMs: WARMUP_MS,
    measureMs: ctx.opts.seconds * 1000,
    maxInflight: MAX_INFLIGHT,
    op: opFor(ctx, op, rate),
    onWindow: (edge) => {
      if (edge === 'start') from = sample();
      else to = sample();
    },
  });
  return { op, ratePerSec: rate, r, cpu: cpuOf(from, to) };
}

/** cpuOf turns two [API servers, store members] samples into cores used in between. */
function cpuOf(
  from: [CpuSample, CpuSample] | undefined,
  to: [CpuSample, CpuSample] | undefined,
): StepCpu {
  if (!from || !to) return { apiCores: NaN, storeCores: NaN, clientCores: NaN, foreignCores: NaN };
  const [a0, s0] = from;
  const [a1, s1] = to;
  const ms = a1.atMs - a0.atMs;
  const api = a1.membersMs - a0.membersMs;
  const store = s1.membersMs - s0.membersMs;
  const client = a1.benchMs - a0.benchMs;
  const machine = a1.machineMs - a0.machineMs;
  return {
    apiCores: api / ms,
    storeCores: store / ms,
    clientCores: client / ms,
    foreignCores: (machine - api - store - client) / ms,
  };
}

async function fanout(ctx: Ctx): Promise<void> {
  const pool = new PodPool(ctx.client, NS_WATCH);
  const f = await watchFanout({
    client: ctx.client,
    namespace: NS_WATCH,
    watchers: ctx.opts.watchers,
    writesPerSec: WATCH_WRITES_PER_SEC,
    seconds: ctx.opts.seconds,
    write: (j) => (j % 2 === 0 || pool.size === 0 ? pool.create(`w-${j}`) : pool.update()),
  });
  ctx.run.fanout = f;
  const p = (q: number): string => percentile(f.fromAckMs, q).toFixed(2);
  console.log(`${ctx.store.label.padEnd(12)} watch  ${ctx.opts.watchers} watchers, ` +
    `${f.acked} writes (errors ${errorSum(f.writes.errors) + f.writes.dropped}): delivery from ` +
    `answer p50 ${p(50)} p99 ${p(99)} max ${p(100)} ms; missing ${f.missing} duplicate ` +
    `${f.duplicate} out-of-order ${f.outOfOrder} unanswered ${f.unacknowledged} ` +
    `failed streams ${f.failedWatchers}`);
}

/** commitOf is HEAD's short hash, marked when bench/ or src/ has uncommitted changes. */
function commitOf(): string {
  const git = (...args: string[]): string =>
    spawnSync('git', args, { encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'src', 'bench');
  return dirty === '' ? head : `${head} + uncommitted changes in src/ or bench/`;
}
