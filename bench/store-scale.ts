/**
 * store-scale: the store at the size of the 1,000-node / 30,000-pod run, without the cluster.
 * Three store members (real WAL with fdatasync, real peer transport, the store's state machine,
 * background snapshots), default store timing (10 ms tick, 150 ms election). Member 1 writes
 * `--keys` keys with pod-like values of `--value-bytes` through the Kubernetes txn shape
 * (compare mod_revision, put; on failure read the key), then `--updates` more rounds of the
 * same, `--inflight` at once, compacting like kube-apiserver (every `--compact-s` seconds to the
 * revision seen at the previous tick). Why: the hollow-node run lost its store leader dozens of
 * times near its first snapshot (member pauses past the election timeout), and this shows the
 * same pauses in minutes. Per member it prints the longest event-loop stall, GC pauses, the term
 * at the end (leader changes), heap and RSS, and every snapshot's time on the event loop.
 *
 *   npm run bench -- store-scale [--keys 30000] [--updates 4] [--snapshot-every 40000]
 *                                 [--compact-s 30] [--max-s 140] [--inflight 64] [--value-bytes 3072]
 *                                 [--writers 1] [--hogs 0] [--tick-ms 10 --election-ticks 15]
 * --writers W writes from members 1..W (each its share of the keys, --inflight each; followers
 * forward, as API servers connected to every member do); --hogs N runs N busy-loop processes at
 * nice 0 for the length of the writing (stand-ins for the ~20 busy processes of the hollow run,
 * so the members are starved of CPU as there); --tick-ms/--election-ticks/--heartbeat-ticks set
 * the members' timing (the hollow config: 100, 10, 1).
 *   node --import tsx bench/store-scale.ts [same flags] [--base 127.0.31.1]
 * Environment: STORE_SCALE_PROF=<dir> writes CPU profiles; STORE_SCALE_LOG=1 member logs.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/base/clock.js';
import {
  Compare_CompareResult as CR, Compare_CompareTarget as CT, type TxnResponse,
} from '../src/gen/etcdserverpb/rpc.js';
import { StoreRequest } from '../src/gen/k8ts/store/v1/store.js';
import { nodeFileSystem, type FileSystem } from '../src/raft/io/fs.js';
import { Member, type MemberTiming } from '../src/raft/member.js';
import type { SnapshotJob } from '../src/raft/node.js';
import { MvccState } from '../src/store/apply/state.js';
import { StoreLog } from '../src/store/server/store-log.js';
import { findLeader, ForkedMember } from './lib/forked-member.js';
import { ms, summarize } from './lib/stats.js';

/** One background snapshot as its member saw it. */
interface SnapStat {
  /** When packing began, seconds since the member's process started (as Report.terms). */
  atS: number;
  /** Wall time from capture to the file being recorded. */
  wallMs: number;
  /** Sum of the event-loop time its packing steps took, and the longest step. */
  loopMs: number;
  maxStepMs: number;
  steps: number;
}

/** What a member reports at the end. */
interface Report {
  id: number;
  term: number;
  role: string;
  maxStallMs: number;
  maxStallCpuMs: number;
  stallsOver100: number;
  elP99Ms: number;
  gcMaxMs: number;
  gcTotalMs: number;
  /** Longest synchronous file-system call on the loop, per kind (fdatasync, unlink...). */
  fsMaxMs: Record<string, number>;
  heapMiB: number;
  rssMiB: number;
  externalMiB: number;
  /** The store's own estimate of what it keeps (keys, values, per-version overhead). */
  stateMiB: number;
  snaps: SnapStat[];
  /** Each term this member saw begin: seconds since start, term, its role then, and whether a
   *  snapshot of this member was being packed or written at that moment. */
  terms: string[];
}

type Cmd =
  | { cmd: 'role' }
  | {
    cmd: 'load'; keys: number; rounds: number; inflight: number; valueBytes: number;
    compactS: number; maxS: number;
    /** This writer takes keys k with k % parts === part. */
    part: number; parts: number;
  }
  | { cmd: 'report' }
  | { cmd: 'stop' };

const PORT = 32400;
const STALL_PROBE_MS = 5;

/** mainThreadCpuMs is the CPU time of this process's main thread (10 ms resolution). */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Loop watches this process's event loop: a 5 ms interval whose late firings are stalls. */
class Loop {
  maxStallMs = 0;
  /** The most CPU the main thread used between two probes: a stall's own work, without the
   *  time this process waited for a core (the machine is shared; wall stalls include that). */
  maxStallCpuMs = 0;
  stallsOver100 = 0;
  gcMaxMs = 0;
  gcTotalMs = 0;
  readonly fsMaxMs: Record<string, number> = {};
  readonly hist = monitorEventLoopDelay({ resolution: 10 });
  constructor() {
    this.hist.enable();
    let last = performance.now();
    let lastCpu = mainThreadCpuMs();
    setInterval(() => {
      const now = performance.now();
      const cpu = mainThreadCpuMs();
      const stall = now - last - STALL_PROBE_MS;
      this.maxStallCpuMs = Math.max(this.maxStallCpuMs, cpu - lastCpu);
      [last, lastCpu] = [now, cpu];
      if (stall > this.maxStallMs) this.maxStallMs = stall;
      if (stall > 100) this.stallsOver100++;
    }, STALL_PROBE_MS).unref();
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.gcTotalMs += e.duration;
        this.gcMaxMs = Math.max(this.gcMaxMs, e.duration);
      }
    }).observe({ entryTypes: ['gc'] });
  }
}

/** timeFs records the longest synchronous call of each kind this process's members make. */
function timeFs(maxMs: Record<string, number>): void {
  const fs = nodeFileSystem as unknown as Record<string, (...a: unknown[]) => unknown>;
  const kinds: (keyof FileSystem)[] = ['append', 'pwrite', 'fdatasync', 'syncDir', 'rename', 'unlink', 'readFile'];
  for (const kind of kinds) {
    const orig = fs[kind]!.bind(fs);
    fs[kind] = (...a: unknown[]): unknown => {
      const t0 = performance.now();
      try {
        return orig(...a);
      } finally {
        maxMs[kind] = Math.max(maxMs[kind] ?? 0, performance.now() - t0);
      }
    };
  }
}

/** timed wraps a state machine's snapshot jobs so each one's loop time is recorded. */
function timed(log: StoreLog, snaps: SnapStat[]): StoreLog {
  const make = log.snapshotJob.bind(log);
  log.snapshotJob = (): SnapshotJob => {
    const t0 = performance.now();
    const s: SnapStat = { atS: t0 / 1000, wallMs: 0, loopMs: 0, maxStepMs: 0, steps: 0 };
    snaps.push(s);
    const job = make();
    return {
      step(n: number): Buffer | undefined {
        const a = performance.now();
        const out = job.step(n);
        const d = performance.now() - a;
        s.loopMs += d;
        s.steps++;
        s.maxStepMs = Math.max(s.maxStepMs, d);
        if (out !== undefined) s.wallMs = performance.now() - t0;
        return out;
      },
    };
  };
  return log;
}

/** child runs one member and answers the parent's commands over IPC. */
async function child(
  id: number, base: string, dir: string, every: number, timing: MemberTiming,
): Promise<void> {
  const loop = new Loop();
  const snaps: SnapStat[] = [];
  timeFs(loop.fsMaxMs);
  const host = (i: number): string => base.replace(/\d+$/, (d) => String(Number(d) + i - 1));
  const members = [1, 2, 3].map((i) => ({ id: i, address: `${host(i)}:${PORT + i - 1}` }));
  const state = new MvccState();
  const m = new Member({
    id, name: `m${id}`, clusterId: 31, listen: members[id - 1]!.address, members,
    dataDir: join(dir, `m${id}`), timing,
    forwarding: true, tls: undefined, clock: systemClock, incarnation: 1,
    defer: (fn) => setImmediate(fn), // as src/cluster/member-main.ts runs a member
    log: (l) => { if (process.env.STORE_SCALE_LOG) console.error(`m${id}: ${l}`); },
    stateMachine: timed(new StoreLog(state), snaps), snapshotEveryEntries: every,
  });
  await m.start();
  const terms = watchTerms(m);
  process.on('message', (msg: Cmd) => void answer(m, state, loop, snaps, terms, msg));
  process.on('disconnect', () => process.exit(0)); // the parent is gone: so are we
  process.send!({ ready: true });
}

/** watchTerms notes every term change (see Report.terms). */
function watchTerms(m: Member): string[] {
  const out: string[] = [];
  let term = 0;
  setInterval(() => {
    const st = m.node.status();
    if (st.term === term) return;
    term = st.term;
    const busy = (m.node as unknown as { snapshotWork?: unknown }).snapshotWork !== undefined;
    const at = (performance.now() / 1000).toFixed(1);
    out.push(`${at}s t${term} ${st.role}${busy ? ' (snapshotting)' : ''}`);
  }, 10).unref();
  return out;
}

async function answer(
  m: Member, state: MvccState, loop: Loop, snaps: SnapStat[], terms: string[], msg: Cmd,
): Promise<void> {
  if (msg.cmd === 'role') process.send!({ role: m.node.status().role });
  else if (msg.cmd === 'load') process.send!({ load: await load(m, state, msg) });
  else if (msg.cmd === 'report') {
    const mem = process.memoryUsage();
    const st = m.node.status();
    const r: Report = {
      id: m.node.id, term: st.term, role: st.role, maxStallMs: loop.maxStallMs,
      maxStallCpuMs: loop.maxStallCpuMs,
      stallsOver100: loop.stallsOver100, elP99Ms: loop.hist.percentile(99) / 1e6,
      gcMaxMs: loop.gcMaxMs, gcTotalMs: loop.gcTotalMs, fsMaxMs: loop.fsMaxMs, heapMiB: mem.heapUsed / 2 ** 20,
      rssMiB: mem.rss / 2 ** 20, externalMiB: mem.arrayBuffers / 2 ** 20,
      stateMiB: state.sizeBytes() / 2 ** 20, snaps, terms,
    };
    process.send!({ report: r });
  } else {
    await m.stop();
    process.send!({ x: true }, () => process.exit(0));
  }
}

/** load writes every key `rounds` times (first a create, then updates), `inflight` at once;
 *  returns the latencies (ms) and how many proposals failed (leader changes, timeouts). */
async function load(m: Member, state: MvccState, c: Extract<Cmd, { cmd: 'load' }>):
  Promise<{ lat: number[]; failed: number; ms: number }> {
  const lat: number[] = [];
  const modRev = new Float64Array(c.keys);
  let failed = 0;
  const t0 = performance.now();
  const compactor = compactLoop(m, state, c.compactS);
  const deadline = t0 + c.maxS * 1000;
  for (let round = 0; round < c.rounds && performance.now() < deadline; round++) {
    let next = c.part;
    const take = (): number => {
      const k = next;
      next += c.parts;
      return k;
    };
    const worker = async (): Promise<void> => {
      for (let k = take(); k < c.keys && performance.now() < deadline; k = take()) {
        for (;;) {
          const a = performance.now();
          try {
            const done = m.node.propose(txnRequest(k, modRev[k]!, podValue(k, round, c.valueBytes)));
            m.kick();
            const res = (await done).result as { response?: TxnResponse } | undefined;
            lat.push(performance.now() - a);
            modRev[k] = revisionOf(res?.response, state);
            break;
          } catch {
            failed++;
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: c.inflight }, worker));
  }
  compactor.stop();
  return { lat, failed, ms: performance.now() - t0 };
}

/** revisionOf is the key's mod revision after a txn: the put's revision when it succeeded, the
 *  read one when the compare failed (as an API server would retry with what it read). */
function revisionOf(res: TxnResponse | undefined, state: MvccState): number {
  if (res?.succeeded) return Number(res.header?.revision ?? 0);
  const r = res?.responses[0]?.response;
  if (r?.$case === 'responseRange') return Number(r.value.kvs[0]?.modRevision ?? 0);
  return Number(state.revision()); // no answer (forwarded): the next compare fails and reads
}

/** compactLoop compacts, as kube-apiserver does, to the revision seen one period earlier. */
function compactLoop(m: Member, state: MvccState, periodS: number): { stop(): void } {
  if (periodS <= 0) return { stop: () => {} };
  let seen = 0;
  const t = setInterval(() => {
    const target = seen;
    seen = state.revision();
    if (target <= state.compactRevision()) return;
    const op = { $case: 'compaction' as const, value: { revision: BigInt(target), physical: false } };
    m.node.propose(Buffer.from(StoreRequest.encode({ op }).finish())).catch(() => {});
    m.kick();
  }, periodS * 1000);
  return { stop: () => clearInterval(t) };
}

const keyOf = (k: number): Buffer => Buffer.from(`/registry/pods/ns-${k % 100}/pod-${k}`);

/** txnRequest is the log payload of a Kubernetes create or update of key k. */
function txnRequest(k: number, modRevision: number, value: Buffer): Buffer {
  const key = keyOf(k);
  const op = {
    $case: 'txn' as const,
    value: {
      compare: [{
        result: CR.EQUAL, target: CT.MOD, key, rangeEnd: Buffer.alloc(0),
        targetUnion: { $case: 'modRevision' as const, value: BigInt(modRevision) },
      }],
      success: [{ request: { $case: 'requestPut' as const, value: {
        key, value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false,
      } } }],
      failure: [{ request: { $case: 'requestRange' as const, value: rangeOf(key) } }],
    },
  };
  return Buffer.from(StoreRequest.encode({ op }).finish());
}

function rangeOf(key: Buffer): import('../src/gen/etcdserverpb/rpc.js').RangeRequest {
  return {
    key, rangeEnd: Buffer.alloc(0), limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0,
    serializable: false, keysOnly: false, countOnly: false, minModRevision: 0n,
    maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n,
  };
}

/** podValue is a pod-like JSON body of about `bytes` bytes (distinct per key and round). */
function podValue(k: number, round: number, bytes: number): Buffer {
  const head = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"pod-${k}","generation":${round}},`;
  const pad = Math.max(0, bytes - head.length - 20);
  return Buffer.from(`${head}"spec":{"x":"${'s'.repeat(pad)}"}}`);
}


/** runStoreScale forks the members, runs the load from member 1 and prints the reports. */
export async function runStoreScale(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, allowPositionals: true, strict: false, options: {
    keys: { type: 'string', default: '30000' },
    updates: { type: 'string', default: '4' },
    inflight: { type: 'string', default: '64' },
    'value-bytes': { type: 'string', default: '3072' },
    'snapshot-every': { type: 'string', default: '40000' },
    'compact-s': { type: 'string', default: '30' },
    /** Bound on the writing, so a run on a busy machine still reports (it says how far it got). */
    'max-s': { type: 'string', default: '140' },
    base: { type: 'string', default: '127.0.31.1' },
    writers: { type: 'string', default: '1' },
    hogs: { type: 'string', default: '0' },
    'tick-ms': { type: 'string', default: '10' },
    'election-ticks': { type: 'string', default: '15' },
    'heartbeat-ticks': { type: 'string', default: '3' },
  } });
  const num = (k: keyof typeof values): number => Number(values[k]);
  const dir = mkdtempSync(join(tmpdir(), 'store-scale-'));
  const procs = [1, 2, 3].map((id) => {
    const timing = [values['tick-ms'], values['election-ticks'], values['heartbeat-ticks']].map(String);
    const args = ['--child', String(id), String(values.base), dir, String(values['snapshot-every']), ...timing];
    const execArgv = ['--import', 'tsx', ...profArgs(id)];
    return new ForkedMember<Cmd>(fork(import.meta.filename, args, { execArgv }));
  });
  let hogs: ChildProcess[] = [];
  try {
    await Promise.all(procs.map((p) => p.next('ready')));
    await findLeader(procs);
    hogs = startHogs(num('hogs'), num('max-s'));
    const writers = Math.min(3, Math.max(1, num('writers')));
    const loads = procs.slice(0, writers).map((p, part) => p.ask<LoadResult>({
      cmd: 'load', keys: num('keys'), rounds: 1 + num('updates'), inflight: num('inflight'),
      valueBytes: num('value-bytes'), compactS: part === 0 ? num('compact-s') : 0, maxS: num('max-s'),
      part, parts: writers,
    }, 'load'));
    const res = mergeLoads(await Promise.all(loads));
    for (const h of hogs) h.kill();
    const s = summarize(res.lat.sort((a, b) => a - b));
    console.log(`writes ${res.lat.length} in ${(res.ms / 1000).toFixed(1)} s ` +
      `(${(res.lat.length / res.ms * 1000).toFixed(0)}/s), failed ${res.failed}, ` +
      `p50 ${ms(s.p50)} p99 ${ms(s.p99)} max ${ms(s.max)}`);
    for (const r of await Promise.all(procs.map((p) => p.ask<Report>({ cmd: 'report' }, 'report')))) {
      printReport(r);
    }
  } finally {
    for (const h of hogs) h.kill();
    await Promise.all(procs.map((p) => p.ask({ cmd: 'stop' }, 'x').catch(() => {})));
    rmSync(dir, { recursive: true, force: true });
  }
}

interface LoadResult {
  lat: number[];
  failed: number;
  ms: number;
}

function mergeLoads(rs: LoadResult[]): LoadResult {
  return {
    lat: rs.flatMap((r) => r.lat),
    failed: rs.reduce((n, r) => n + r.failed, 0),
    ms: Math.max(...rs.map((r) => r.ms)),
  };
}

/** startHogs runs n busy loops at nice 0, each ending on its own after maxS (bounded even if
 *  this process dies without killing them). */
function startHogs(n: number, maxS: number): ChildProcess[] {
  const code = `const end = Date.now() + ${Math.ceil(maxS + 30) * 1000}; let x = 0; ` +
    'while (Date.now() < end) x += Math.sqrt(x + 1);';
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', code], { stdio: 'ignore' }));
}

function printReport(r: Report): void {
  const f = (x: number): string => x.toFixed(0);
  console.log(`m${r.id} ${r.role.padEnd(9)} term ${r.term}  stall max ${f(r.maxStallMs)} ms ` +
    `(>100 ms: ${r.stallsOver100}; its CPU max ${f(r.maxStallCpuMs)} ms)  loop p99 ${f(r.elP99Ms)} ms  gc max ${f(r.gcMaxMs)} ms ` +
    `total ${f(r.gcTotalMs)} ms  heap ${f(r.heapMiB)} MiB  buffers ${f(r.externalMiB)} MiB  ` +
    `state ${f(r.stateMiB)} MiB  ` +
    `rss ${f(r.rssMiB)} MiB`);
  const fsMax = Object.entries(r.fsMaxMs).map(([k, v]) => `${k} ${f(v)}`).join(', ');
  console.log(`    longest sync fs call, ms: ${fsMax}`);
  console.log(`    terms: ${r.terms.join(', ')}`);
  for (const s of r.snaps) {
    console.log(`    snapshot at ${s.atS.toFixed(1)}s: ${f(s.wallMs)} ms to pack, ${f(s.loopMs)} ms on the loop in ` +
      `${s.steps} steps, longest step ${f(s.maxStepMs)} ms`);
  }
}

/** profArgs: STORE_SCALE_PROF=<dir> writes each member's V8 CPU profile there. */
function profArgs(id: number): string[] {
  const dir = process.env.STORE_SCALE_PROF;
  if (dir === undefined) return [];
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `m${id}.cpuprofile`];
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  const timing = { tickMs: Number(argv[5]), electionTicks: Number(argv[6]), heartbeatTicks: Number(argv[7]) };
  await child(Number(argv[1]), argv[2]!, argv[3]!, Number(argv[4]), timing);
} else if (import.meta.filename === process.argv[1]) await runStoreScale(argv);
