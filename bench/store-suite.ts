/**
 * The store benchmark: the k8ts store against etcd 3.4, 3 members each, fsync on, same machine,
 * same client, same run. Each round starts a fresh cluster of one system, runs the whole suite,
 * stops it, then does the same for the other system; the order alternates (round 1 k8ts then etcd,
 * round 2 etcd then k8ts, ...) so drift on this shared box hits both alike, and only one system's
 * processes exist while a test runs. Reports are medians over rounds (bench/lib/store-report.ts).
 *
 * Suite (requests to the leader, 256-byte values, distinct keys, 1 s warm-up + N s measured):
 * Put at 1, 16, 64 and 256 in flight; linearizable and serializable single-key Range at 64 in
 * flight over keys the Puts wrote; watch delivery with 1 and 16 writers (watcher on a follower);
 * member RSS idle after start and after the suite; server CPU per op over every measured window.
 */
import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sleep } from './lib/cluster.js';
import type { Roles } from './lib/store-endpoint.js';
import { closedLoop, watchDelivery, type Measured, type WindowOptions } from './lib/store-load.js';
import { threadedPuts } from './lib/store-load-threads.js';
import { cpuBetween, rssMiB, sampleCpu } from './lib/store-proc.js';
import { startProfiling, summarizeProfile } from './lib/store-prof.js';
import { printReport, type RoundResult, type TestResult } from './lib/store-report.js';
import { EtcdStore, etcdVersionOrUndefined, K8tsStore, waitReady, type StoreSystem } from './lib/store-systems.js';

export interface StoreBenchOptions {
  members: number;
  rounds: number;
  warmupMs: number;
  measureMs: number;
  only: 'k8ts' | 'etcd' | undefined;
  /** Test name prefixes to run ("put", "range-ser", ...); empty runs all. */
  tests: string[];
  /** The command line, printed with the report. */
  command: string;
  /** k8ts members write V8 CPU profiles here (summarized after each round). */
  cpuProfDir: string | undefined;
  /** Unmeasured Puts at CLUSTER_WARMUP_INFLIGHT in flight after start, before the suite: a fresh
   *  Node process runs interpreted code until V8 has optimized its hot paths (Go needs none). */
  clusterWarmupMs: number;
  /** Member logs are copied here (<kind>-r<round>/) before each cluster is removed. */
  keepLogsDir: string | undefined;
  /** Put tests with at least this many in flight spread them over as many worker threads, each
   *  with its own connection (1: one event loop, one connection, as before). */
  clientThreads: number;
}

const CLUSTER_WARMUP_INFLIGHT = 16;

/** Loopback ports of this suite's clusters, apart from the API benchmark's stores (which use
 *  the systems' default ports), so both benchmarks can run at the same time; and below Linux's
 *  ephemeral range (32768–60999), where an outgoing connection's local port once took an etcd
 *  member's peer port ("bind: address already in use"). */
const K8TS_BASE_PORT = 29200;
const ETCD_BASE_PORT = 29479;

const VALUE = Buffer.alloc(256, 0x61);
const PUT_LEVELS = [1, 16, 64, 256] as const;
const READ_INFLIGHT = 64;
/** At most this many written keys are kept as the key set of the read tests. */
const READ_KEYS_MAX = 20_000;
/** Idle time before an RSS reading, so the reading is not of a process mid-burst. */
const RSS_SETTLE_MS = 2_000;
const BETWEEN_TESTS_MS = 300;

/** Systems currently running, stopped by the signal handler on Ctrl-C. */
const running = new Set<StoreSystem>();

export async function runStore(opts: StoreBenchOptions): Promise<void> {
  const etcdVersion = etcdVersionOrUndefined();
  if (opts.only !== 'k8ts' && etcdVersion === undefined) {
    console.log('(etcd not installed: apt-get install -y etcd-server to compare against it)');
  }
  const make = (kind: 'k8ts' | 'etcd'): StoreSystem | undefined => {
    if (opts.only !== undefined && opts.only !== kind) return undefined;
    if (kind === 'etcd') return etcdVersion === undefined ? undefined : new EtcdStore(opts.members, etcdVersion, ETCD_BASE_PORT);
    return new K8tsStore(opts.members, opts.cpuProfDir, K8TS_BASE_PORT);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping ${running.size} cluster(s)`);
    void Promise.all([...running].map((s) => s.stop())).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: RoundResult[] = [];
  const labels = new Map<string, string>();
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      const order: ('k8ts' | 'etcd')[] = round % 2 === 1 ? ['k8ts', 'etcd'] : ['etcd', 'k8ts'];
      for (const kind of order) {
        const sys = make(kind);
        if (!sys) continue;
        labels.set(kind, sys.label);
        results.push(await runRound(sys, round, opts));
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  printReport(results, labels, opts);
}

/** runRound starts a fresh cluster of sys, runs the suite, and always stops the cluster. */
async function runRound(sys: StoreSystem, round: number, opts: StoreBenchOptions): Promise<RoundResult> {
  const out: RoundResult = { kind: sys.kind, round, tests: [], rssIdle: [], rssAfter: [], idleCores: NaN, notes: [] };
  const profileNames = new Map<number, string>();
  console.log(`\n## round ${round}: ${sys.label}`);
  running.add(sys);
  try {
    const startedAt = performance.now();
    await sys.start();
    out.notes.push(...sys.notes);
    let r = await waitReady(sys);
    console.log(`${sys.label}: ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s, leader ${r.leader + 1}, ${sys.notes.join('; ')}`);
    const idleFrom = sampleCpu(sys.pids());
    await sleep(RSS_SETTLE_MS);
    out.idleCores = cpuBetween(idleFrom, sampleCpu(sys.pids())).membersMs / RSS_SETTLE_MS;
    out.rssIdle = rssByRole(sys, r);
    if (opts.cpuProfDir !== undefined && sys.kind === 'k8ts') startProfiling(sys.pids());
    const ctx: SuiteContext = { sys, round, opts, written: [], roles: r };
    if (opts.clusterWarmupMs > 0) await clusterWarmup(ctx);
    for (const test of suite(opts)) {
      r = await waitReady(sys);
      if (r.leader !== ctx.roles.leader) out.notes.push(`leader changed before ${test.name}`);
      ctx.roles = r;
      const res = { ...(await test.run(ctx)), leader: ctx.roles.leader + 1 };
      out.tests.push(res);
      logLine(sys, round, res);
      await sleep(BETWEEN_TESTS_MS);
    }
    await sleep(RSS_SETTLE_MS);
    out.rssAfter = rssByRole(sys, ctx.roles);
    sys.pids().forEach((pid, i) => profileNames.set(pid, `${sys.kind}-r${round}-m${i + 1}-${i === ctx.roles.leader ? 'leader' : 'follower'}`));
    console.log(`${sys.label}: RSS MiB (leader first) idle ${fmtList(out.rssIdle)} → after suite ${fmtList(out.rssAfter)}; ` +
      `idle CPU after start ${out.idleCores.toFixed(2)} cores (all members)`);
  } catch (err) {
    out.failed = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0];
    console.error(`${sys.label} round ${round} FAILED: ${out.failed}\n${sys.logTail(15)}`);
  } finally {
    if (opts.keepLogsDir !== undefined) {
      try {
        sys.keepLogs(join(opts.keepLogsDir, `${sys.kind}-r${round}`));
      } catch (err) {
        console.error(`keeping logs failed: ${String(err)}`);
      }
    }
    await sys.stop();
    running.delete(sys);
  }
  if (opts.cpuProfDir !== undefined && sys.kind === 'k8ts') reportProfiles(opts.cpuProfDir, profileNames);
  return out;
}

/** reportProfiles names the members' new profiles after member, role and round, and prints
 *  their summaries (leader first). */
function reportProfiles(dir: string, names: Map<number, string>): void {
  const renamed: string[] = [];
  for (const f of readdirSync(dir)) {
    const pid = Number(/^CPU\.(\d+)\.cpuprofile$/.exec(f)?.[1]);
    const name = names.get(pid);
    if (name === undefined) continue;
    renameSync(join(dir, f), join(dir, `${name}.cpuprofile`));
    renamed.push(join(dir, `${name}.cpuprofile`));
  }
  renamed.sort((a, b) => Number(b.includes('leader')) - Number(a.includes('leader')));
  for (const f of renamed) console.log(summarizeProfile(f));
}

interface SuiteContext {
  sys: StoreSystem;
  round: number;
  opts: StoreBenchOptions;
  /** Keys acknowledged by the Put tests: the key set of the read tests. */
  written: Buffer[];
  roles: Roles;
}

interface SuiteTest {
  name: string;
  run(ctx: SuiteContext): Promise<TestResult>;
}

function suite(opts: StoreBenchOptions): SuiteTest[] {
  const all: SuiteTest[] = [
    ...PUT_LEVELS.map((n) => ({ name: `put-c${n}`, run: (ctx: SuiteContext) => putTest(ctx, `put-c${n}`, n) })),
    { name: `range-lin-c${READ_INFLIGHT}`, run: (ctx) => rangeTest(ctx, `range-lin-c${READ_INFLIGHT}`, false) },
    { name: `range-ser-c${READ_INFLIGHT}`, run: (ctx) => rangeTest(ctx, `range-ser-c${READ_INFLIGHT}`, true) },
    { name: 'watch-w1', run: (ctx) => watchTest(ctx, 'watch-w1', 1) },
    { name: 'watch-w16', run: (ctx) => watchTest(ctx, 'watch-w16', 16) },
  ];
  if (opts.tests.length === 0) return all;
  return all.filter((t) => opts.tests.some((p) => t.name.startsWith(p)));
}

/** clusterWarmup writes (unmeasured, its own prefix) so both systems start the suite warm. */
async function clusterWarmup(ctx: SuiteContext): Promise<void> {
  const leader = ctx.sys.endpoints[ctx.roles.leader]!;
  const prefix = prefixOf(ctx, 'warmup');
  const m = await closedLoop({
    warmupMs: 0,
    measureMs: ctx.opts.clusterWarmupMs,
    pids: ctx.sys.pids(),
    inflight: CLUSTER_WARMUP_INFLIGHT,
    op: (w, i) => leader.put(Buffer.from(`${prefix}${w}/${i}`, 'latin1'), VALUE),
  });
  console.log(`${ctx.sys.label.padEnd(12)} r${ctx.round} cluster warm-up: ${m.ops} puts in ${m.seconds.toFixed(1)} s (not measured)`);
  await sleep(BETWEEN_TESTS_MS);
}

function windowOf(ctx: SuiteContext): WindowOptions {
  return { warmupMs: ctx.opts.warmupMs, measureMs: ctx.opts.measureMs, pids: ctx.sys.pids() };
}

function prefixOf(ctx: SuiteContext, test: string): string {
  return `/bench/${ctx.sys.kind}/r${ctx.round}/${test}/`;
}

async function putTest(ctx: SuiteContext, name: string, inflight: number): Promise<TestResult> {
  const leader = ctx.sys.endpoints[ctx.roles.leader]!;
  const prefix = prefixOf(ctx, name);
  const threads = ctx.opts.clientThreads;
  if (threads > 1 && inflight >= threads) {
    const room = Math.max(0, READ_KEYS_MAX - ctx.written.length);
    const t = await threadedPuts({
      ...windowOf(ctx), address: leader.address, inflight, threads, prefix, value: VALUE, keepKeys: room,
    });
    ctx.written.push(...t.keys.slice(0, room));
    return toResult(name, t.m, ctx.roles);
  }
  const m = await closedLoop({
    ...windowOf(ctx),
    inflight,
    op: async (w, i) => {
      const key = Buffer.from(`${prefix}${w}/${i}`, 'latin1');
      await leader.put(key, VALUE);
      if (ctx.written.length < READ_KEYS_MAX) ctx.written.push(key);
    },
  });
  return toResult(name, m, ctx.roles);
}

async function rangeTest(ctx: SuiteContext, name: string, serializable: boolean): Promise<TestResult> {
  const leader = ctx.sys.endpoints[ctx.roles.leader]!;
  const keys = ctx.written;
  if (keys.length === 0) throw new Error(`${name}: no written keys to read (run the put tests first)`);
  let next = 0;
  const m = await closedLoop({
    ...windowOf(ctx),
    inflight: READ_INFLIGHT,
    op: async () => {
      const found = await leader.get(keys[next++ % keys.length]!, serializable);
      if (found !== 1) throw new Error(`range found ${found} kvs for a written key`);
    },
  });
  return toResult(name, m, ctx.roles);
}

async function watchTest(ctx: SuiteContext, name: string, writers: number): Promise<TestResult> {
  const w = await watchDelivery({
    ...windowOf(ctx),
    watcher: ctx.sys.endpoints[ctx.roles.followers[0]!]!,
    writer: ctx.sys.endpoints[ctx.roles.leader]!,
    writers,
    prefix: prefixOf(ctx, name),
    value: VALUE,
  });
  return { ...toResult(name, w.puts, ctx.roles), deliveryMs: w.deliveryMs, missed: w.missed };
}

function toResult(name: string, m: Measured, roles: Roles): TestResult {
  const perOp = (ms: number): number => (m.ops > 0 ? (ms * 1000) / m.ops : NaN);
  return {
    name,
    opsPerSec: m.ops / m.seconds,
    latenciesMs: m.latenciesMs,
    errors: m.errors,
    firstError: m.firstError,
    serverUsPerOp: perOp(m.cpu.membersMs),
    memberUsPerOp: [roles.leader, ...roles.followers].map((i) => perOp(m.cpu.perMemberMs[i] ?? NaN)),
    clientUsPerOp: m.ops > 0 ? (m.cpu.benchMs * 1000) / m.ops : NaN,
    serverCores: m.cpu.membersMs / 1000 / m.seconds,
    foreignCores: m.cpu.foreignCores,
    idleCores: m.cpu.idleCores,
    membersWaitCores: m.cpu.membersWaitCores,
    clientWaitCores: m.cpu.benchWaitCores,
    flushesPerSec: m.cpu.flushesPerSec,
    msPerFlush: m.cpu.msPerFlush,
    clientGcMs: m.cpu.clientGcMs,
    clientGcMaxMs: m.cpu.clientGcMaxMs,
    clientMinorGcs: m.cpu.clientMinorGcs,
    clientMajorGcs: m.cpu.clientMajorGcs,
    clientMajorGcMs: m.cpu.clientMajorGcMs,
  };
}

/** rssByRole lists member RSS in MiB, the leader first. */
function rssByRole(sys: StoreSystem, r: Roles): number[] {
  const pids = sys.pids();
  return [r.leader, ...r.followers].map((i) => rssMiB(pids[i] ?? 0));
}

function fmtList(xs: readonly number[]): string {
  return xs.map((x) => x.toFixed(0)).join(' / ');
}

function logLine(sys: StoreSystem, round: number, t: TestResult): void {
  const lat = t.deliveryMs ?? t.latenciesMs;
  const sorted = [...lat].sort((a, b) => a - b);
  const p = (q: number): string => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!.toFixed(2) : 'n/a');
  const what = t.deliveryMs ? 'delivery' : 'latency';
  console.log(
    `${sys.label.padEnd(12)} r${round} ${t.name.padEnd(13)} ${t.opsPerSec.toFixed(0).padStart(6)} ops/s  ` +
    `${what} p50 ${p(0.5)} p99 ${p(0.99)} ms  server ${t.serverUsPerOp.toFixed(0)} µs/op (${t.serverCores.toFixed(2)} cores; ` +
    `leader / followers ${fmtList(t.memberUsPerOp ?? [])})  ` +
    `client ${t.clientUsPerOp.toFixed(0)} µs/op  foreign ${t.foreignCores.toFixed(2)} idle ${t.idleCores.toFixed(2)} cores, ` +
    `waiting for a core: members ${t.membersWaitCores.toFixed(2)} client ${t.clientWaitCores.toFixed(2)}; ` +
    `disk ${t.flushesPerSec.toFixed(0)} flushes/s, ${t.msPerFlush.toFixed(2)} ms each; ` +
    `client GC ${t.clientGcMs.toFixed(0)} ms (longest ${t.clientGcMaxMs.toFixed(1)}; ` +
    `${t.clientMinorGcs} scavenges, ${t.clientMajorGcs} major ${t.clientMajorGcMs.toFixed(0)} ms)` +
    `${t.errors ? `  errors ${t.errors} (${t.firstError})` : ''}${t.missed ? `  MISSED ${t.missed} events` : ''}`,
  );
}
