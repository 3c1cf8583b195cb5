/**
 * store-alloc-prof: the bytes each store member allocates per Put, by stage, measured on real
 * members under the store benchmark's load (HTTP/2, gRPC, Raft, WAL, Replicate, MVCC and the
 * answer all included, which no single micro covers):
 *
 *   node --import tsx bench/lib/store-alloc-prof.ts run <dir> [test=put-c256]
 *   node --import tsx bench/lib/store-alloc-prof.ts report <dir>
 *
 * `run` starts `npm run bench -- store --only k8ts --rounds 1 --tests <test>` with every member
 * preloading a hook that runs V8's sampling heap profiler counting the objects young and old GCs
 * collected too (so it measures allocation, not what is still alive). Members sample from a
 * signal `run` sends inside the measured window (no start-up, no compile) for WINDOW_MS; the
 * window's wall times go with the profile. Stage tracing
 * (K8TS_PUT_TRACE) is on as well, so `report` counts the Puts the leader answered inside each
 * member's own window and divides by them. Why sampled and not counted: V8 has no cumulative
 * allocation counter, and the sampling profiler's sizes are scaled estimates of every byte
 * allocated (interval SAMPLE_BYTES) with the stack that allocated them.
 *
 * Bytes are attributed to the innermost frame in k8ts's sources (src/...) above the allocation,
 * so a Buffer.allocUnsafe in node:buffer is charged to the k8ts function that asked for it; what
 * has no k8ts frame at all (node:http2 callbacks, timers) is charged to its own innermost frame.
 * The stage trace's own records (src/rpc/stage-trace.ts) are left out of the totals.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceFile } from '../../src/rpc/stage-trace.js';

const WINDOW_MS = 4_000;
/** One sample per ~4 KiB allocated: a leader allocates ~15 KB per Put, and at 512 B the
 *  sampler's stack walks slowed members enough to change leader in 2 of 4 runs. */
const SAMPLE_BYTES = 4096;
const START_AFTER_MS = 1_500;

/** The hook: samples from SIGUSR2 (sent by `run` once the measured Puts have begun) for
 *  WINDOW_MS; it leaves a pid file so `run` knows whom to signal. */
const HOOK = `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const dir = process.env.K8TS_ALLOC_PROF_DIR;
writeFileSync(dir + '/pid.' + process.pid, '');
const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
let started = false;
process.on('SIGUSR2', () => {
  if (started) return;
  started = true;
  const startMs = performance.timeOrigin + performance.now();
  session.post('HeapProfiler.startSampling', { samplingInterval: ${SAMPLE_BYTES},
    includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  setTimeout(() => {
    const stopMs = performance.timeOrigin + performance.now();
    session.post('HeapProfiler.stopSampling', (err, res) => {
      if (err) return;
      writeFileSync(dir + '/HEAP.' + process.pid + '.json',
        JSON.stringify({ pid: process.pid, startMs, stopMs, profile: res.profile }));
    });
  }, ${WINDOW_MS}).unref();
});
`;

export interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

interface HeapFile {
  pid: number;
  startMs: number;
  stopMs: number;
  profile: { head: HeapNode };
}

/** Stages, first match wins, by the url of the frame bytes are charged to. */
const STAGES: [string, (url: string) => boolean][] = [
  ['stage trace (left out)', (u) => u.includes('/src/rpc/stage-trace')],
  ['gRPC serving, request decode, answer (src/rpc)', (u) => u.includes('/src/rpc/')],
  ['KV service, proposal encode (src/store/server)', (u) => u.includes('/src/store/server/') ||
    u.includes('/src/store/put-request-wire')],
  ['apply: decode, validate (src/store/apply)', (u) => u.includes('/src/store/apply/')],
  ['MVCC keep (src/store/mvcc)', (u) => u.includes('/src/store/mvcc/')],
  ['watch hub (src/store/watch)', (u) => u.includes('/src/store/watch/')],
  ['WAL (src/raft/io/wal*, durable-storage)', (u) => /\/src\/raft\/io\/(wal|durable|fs)/.test(u)],
  ['Replicate transport (src/raft/io)', (u) => u.includes('/src/raft/io/')],
  ['Raft core (src/raft/core)', (u) => u.includes('/src/raft/core/')],
  ['Raft node, member (src/raft)', (u) => u.includes('/src/raft/')],
  ['generated codecs (src/gen)', (u) => u.includes('/src/gen/')],
  ['other k8ts (src)', (u) => u.includes('/src/')],
  ['grpc-js', (u) => u.includes('/@grpc/')],
  ['node internals without a k8ts caller', () => true],
];

function frameName(n: HeapNode): string {
  const f = n.callFrame;
  return `${f.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${f.functionName || '(anonymous)'}`;
}

/** charge walks the tree, charging each node's bytes to its innermost src/ frame (or itself);
 *  leaves gets the same bytes keyed by that frame and the allocating (leaf) frame. */
function charge(
  n: HeapNode, owner: HeapNode | undefined, out: Map<string, number>, leaves: Map<string, number>,
): void {
  const own = n.callFrame.url.includes('/src/') ? n : owner;
  const key = frameName(own ?? n);
  if (n.selfSize > 0) {
    out.set(key, (out.get(key) ?? 0) + n.selfSize);
    const leaf = own === n || own === undefined ? key : `${key} ← ${frameName(n)}`;
    leaves.set(leaf, (leaves.get(leaf) ?? 0) + n.selfSize);
  }
  for (const c of n.children) charge(c, own, out, leaves);
}

/** printAlloc prints a sampled heap profile's bytes per put by stage, by innermost k8ts frame
 *  and by that frame and the allocating one; returns the bytes per put (stage trace left out). */
export function printAlloc(head: HeapNode, puts: number, top = 25): number {
  const by = new Map<string, number>();
  const leaves = new Map<string, number>();
  charge(head, undefined, by, leaves);
  const stages = new Map<string, number>();
  for (const [k, b] of by) stages.set(stageOf(k), (stages.get(stageOf(k)) ?? 0) + b);
  const traceBytes = stages.get(STAGES[0]![0]) ?? 0;
  const total = [...by.values()].reduce((a, b) => a + b, 0) - traceBytes;
  const per = (b: number): string => (b / Math.max(1, puts)).toFixed(0).padStart(7);
  console.log(`  ${per(total)} B/put in all (stage trace's own ${per(traceBytes).trim()} left out)`);
  for (const [s, b] of [...stages].sort((a, b) => b[1] - a[1])) console.log(`  ${s.padEnd(52)} ${per(b)} B/put`);
  console.log('  top functions (innermost k8ts frame):');
  for (const [k, b] of [...by].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`    ${per(b)} B/put  ${k}`);
  console.log('  top (innermost k8ts frame ← allocating frame):');
  for (const [k, b] of [...leaves].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`    ${per(b)} B/put  ${k}`);
  return total / Math.max(1, puts);
}

function stageOf(key: string): string {
  const url = `/${key}`;
  return STAGES.find(([, is]) => is(url))![0];
}

/** putsIn counts the leader's answered Puts (answer stamp c[4]) inside [from, to]. */
function putsIn(leader: TraceFile, from: number, to: number): number {
  return leader.calls.filter((c) => c[4] >= from && c[4] <= to && c[5] > 0).length;
}

function report(dir: string): void {
  const names = readdirSync(dir);
  const traces = names.filter((f) => f.startsWith('trace.'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as TraceFile);
  if (traces.length === 0) throw new Error(`no trace.*.json in ${dir}`);
  const leader = traces.reduce((a, b) => (b.calls.length > a.calls.length ? b : a));
  for (const f of names.filter((n) => n.startsWith('HEAP.'))) {
    const h = JSON.parse(readFileSync(join(dir, f), 'utf8')) as HeapFile;
    const puts = putsIn(leader, h.startMs, h.stopMs);
    const role = h.pid === leader.pid ? 'leader' : 'follower';
    console.log(`${role} pid ${h.pid}: ${puts} puts in its ${((h.stopMs - h.startMs) / 1000).toFixed(1)} s window`);
    printAlloc(h.profile.head, puts);
  }
}

function run(dir: string, test: string): Promise<number> {
  const hook = join(dir, 'alloc-hook.mjs');
  writeFileSync(hook, HOOK);
  const env = {
    ...process.env,
    K8TS_NO_BUNDLE: '1', // frames name their source files (the bundle is one file)
    K8TS_PUT_TRACE: dir,
    K8TS_ALLOC_PROF_DIR: dir,
    K8TS_BENCH_MEMBER_NODE_OPTIONS: `${process.env.K8TS_BENCH_MEMBER_NODE_OPTIONS ?? ''} --import=${hook}`.trim(),
  };
  const args = ['run', 'bench', '--', 'store', '--only', 'k8ts', '--rounds', '1', '--tests', test];
  const child = spawn('npm', args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  // The bench prints the cluster warm-up's line when the test's Puts begin; after its own 1 s
  // warm-up (START_AFTER_MS) the members sample for WINDOW_MS of its 6 s measured window.
  let signalled = false;
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (signalled || !chunk.toString().includes('cluster warm-up')) return;
    signalled = true;
    setTimeout(() => {
      for (const f of readdirSync(dir).filter((n) => n.startsWith('pid.'))) {
        try { process.kill(Number(f.slice(4)), 'SIGUSR2'); } catch { /* already gone */ }
      }
    }, START_AFTER_MS);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<void> {
  const [cmd, dir, test] = process.argv.slice(2);
  if (dir === undefined || (cmd !== 'run' && cmd !== 'report')) {
    throw new Error('usage: store-alloc-prof.ts run|report <dir> [test=put-c256]');
  }
  if (cmd === 'report') return report(dir);
  const code = await run(dir, test ?? 'put-c256');
  if (code !== 0) throw new Error(`bench exited ${code}`);
  report(dir);
}

// Run as a script only (store-leader-micro imports printAlloc).
if (process.argv[1]?.endsWith("store-alloc-prof.ts")) void main();
