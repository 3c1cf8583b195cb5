/**
 * Where the nodes' processes spend a burst (nodes bench, startup, with K8TS_BENCH_CPU_PROF_DIR):
 * each process of the cluster preloads a hook (NODE_OPTIONS --import: Node 20 refuses
 * --cpu-prof there, and the Supervisor owns the command lines) that toggles the in-process V8
 * profiler on SIGUSR2 — the first signal starts it, the next one writes
 * `CPU.<pid>.<n>.cpuprofile` — so the bench profiles exactly the bursts (not `up`, not the pods'
 * removal) of the processes it signals, and summarizes them as self time per function.
 *
 * Samples are wall time on the main thread (a synchronous syscall counts as busy): set against
 * the CPU the process class used (/proc), not read as CPU alone. With K8TS_BENCH_HEAP_PROF=1 the
 * same signals also start and write V8's sampling heap profile (`HEAP.<pid>.<n>.heapprofile`):
 * what a burst allocates, a count that load does not move (allocatedBytes).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const HOOK = `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
const dir = process.env.K8TS_BENCH_CPU_PROF_DIR;
const heap = process.env.K8TS_BENCH_HEAP_PROF === '1';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 250 });
if (heap) session.post('HeapProfiler.enable');
let running = false;
let n = 0;
// GC pauses by kind (1 minor, 2 major, 4 incremental marking, 8 weak callbacks) while profiled.
let gc = {};
let cpu0 = process.cpuUsage();
new PerformanceObserver((list) => {
  if (!running) return;
  for (const e of list.getEntries()) {
    const k = String(e.detail?.kind ?? 0);
    const g = gc[k] ?? (gc[k] = { count: 0, ms: 0 });
    g.count++;
    g.ms += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    gc = {};
    cpu0 = process.cpuUsage();
    session.post('Profiler.start');
    if (heap) session.post('HeapProfiler.startSampling', { samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return;
  }
  running = false;
  const k = n++;
  const cpu = process.cpuUsage(cpu0);
  writeFileSync(dir + '/GC.' + process.pid + '.' + k + '.json',
    JSON.stringify({ gc, cpuMs: (cpu.user + cpu.system) / 1000 }));
  session.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(dir + '/CPU.' + process.pid + '.' + k + '.cpuprofile',
      JSON.stringify(res.profile));
  });
  if (heap) session.post('HeapProfiler.stopSampling', (err, res) => {
    if (!err) writeFileSync(dir + '/HEAP.' + process.pid + '.' + k + '.heapprofile',
      JSON.stringify(res.profile));
  });
});
`;

/** nodeProfilingEnv: with K8TS_BENCH_CPU_PROF_DIR set, writes the hook there and returns the
 *  environment whose Node processes load it (their TypeScript through tsx, not the bundle, so
 *  frames name their files); undefined without it. */
export function nodeProfilingEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | undefined {
  const dir = env.K8TS_BENCH_CPU_PROF_DIR;
  if (dir === undefined || dir === '') return undefined;
  const hook = join(dir, 'node-prof-hook.mjs');
  writeFileSync(hook, HOOK);
  return { ...env, K8TS_NO_BUNDLE: '1',
    NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${hook}`.trim() };
}

/**
 * componentsProfilingEnv: every component — the static pods too — loads the hook through
 * K8TS_NODE_ARGS. A static pod's environment is its manifest's (only K8TS_* variables are passed
 * on, not NODE_OPTIONS), so the hook names its directory itself instead of reading
 * K8TS_BENCH_CPU_PROF_DIR; the bundle stays (functions keep their names). intervalUs: the
 * sampling interval (an idle process's profiler should not be its main cost: 1000).
 */
export function componentsProfilingEnv(dir: string, intervalUs = 250): NodeJS.ProcessEnv {
  const hook = join(dir, 'node-prof-hook.mjs');
  writeFileSync(hook, HOOK
    .replace('process.env.K8TS_BENCH_CPU_PROF_DIR', JSON.stringify(dir))
    .replace('{ interval: 250 }', `{ interval: ${intervalUs} }`));
  return { ...process.env, K8TS_BENCH_CPU_PROF_DIR: dir,
    K8TS_NODE_ARGS: `${process.env.K8TS_NODE_ARGS ?? ''} --import=${hook}`.trim() };
}

/** toggleProfiling signals each pid (the first signal starts its profiler, the next writes). */
export function toggleProfiling(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      // Gone: nothing to profile.
    }
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * selfTimeByFunction: the not-idle self time (µs) of every function in the profiles of dir
 * written by pids, keyed "name file:line" (file relative to src/ or node_modules/).
 */
export function selfTimeByFunction(dir: string, pids: ReadonlySet<number>): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    const m = /^CPU\.(\d+)\.\d+\.cpuprofile$/.exec(f);
    if (m === null || !pids.has(Number(m[1]))) continue;
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
    // Sample 0 carries the time from Profiler.start to the first tick (the hook's own call).
    for (let i = 1; i < p.samples.length; i++) {
      const frame = byId.get(p.samples[i] ?? -1);
      if (frame === undefined || frame.functionName === '(idle)') continue;
      const url = frame.url.replace(/^.*\/node_modules\//, '').replace(/^.*?\/src\//, 'src/');
      const key = `${frame.functionName || '(anonymous)'} ${url}:${frame.lineNumber + 1}`;
      out.set(key, (out.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
  }
  return out;
}

/** GcStats: what the hook counted in one process over its profiled windows. */
export interface GcStats {
  /** GC pauses by kind ("1" minor, "2" major, "4" incremental marking, "8" weak callbacks). */
  byKind: Map<string, { count: number; ms: number }>;
  /** The process's own CPU time over the windows (process.cpuUsage). */
  cpuMs: number;
}

/** gcStats: the GC pauses and CPU the hook recorded for pids over all their windows. */
export function gcStats(dir: string, pids: ReadonlySet<number>): GcStats {
  const out: GcStats = { byKind: new Map(), cpuMs: 0 };
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    const m = /^GC\.(\d+)\.\d+\.json$/.exec(f);
    if (m === null || !pids.has(Number(m[1]))) continue;
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as
      { gc: Record<string, { count: number; ms: number }>; cpuMs: number };
    out.cpuMs += r.cpuMs;
    for (const [k, g] of Object.entries(r.gc)) {
      const t = out.byKind.get(k) ?? { count: 0, ms: 0 };
      out.byKind.set(k, { count: t.count + g.count, ms: t.ms + g.ms });
    }
  }
  return out;
}

/** gcLine: "CPU 12.3 ms/pod, GC 4.1 ms/pod (minor 120 × 2.1 ms, major 3 × ...)". */
export function gcLine(g: GcStats, pods: number): string {
  const names: Record<string, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak' };
  const total = [...g.byKind.values()].reduce((a, b) => a + b.ms, 0);
  const per = (v: number): string => (v / Math.max(1, pods)).toFixed(2);
  const kinds = [...g.byKind].sort((a, b) => b[1].ms - a[1].ms)
    .map(([k, v]) => `${names[k] ?? k} ${v.count} × ${(v.ms / Math.max(1, v.count)).toFixed(2)} ms`);
  return `CPU ${per(g.cpuMs)} ms/pod, GC pauses ${per(total)} ms/pod (${kinds.join(', ')})`;
}

interface HeapNode {
  selfSize: number;
  children?: HeapNode[];
}

/**
 * allocatedBytes: the bytes the sampling heap profiles of dir (K8TS_BENCH_HEAP_PROF=1) say pids
 * allocated while profiled — a count, unlike CPU time, that load barely moves (V8 scales each
 * 4 KiB sample to an estimate; collected objects included).
 */
export function allocatedBytes(dir: string, pids: ReadonlySet<number>): number {
  let total = 0;
  if (!existsSync(dir)) return total;
  for (const f of readdirSync(dir)) {
    const m = /^HEAP\.(\d+)\.\d+\.heapprofile$/.exec(f);
    if (m === null || !pids.has(Number(m[1]))) continue;
    const stack = [(JSON.parse(readFileSync(join(dir, f), 'utf8')) as { head: HeapNode }).head];
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      total += n.selfSize;
      stack.push(...(n.children ?? []));
    }
  }
  return total;
}

/** topLines: the top n functions by self time, as µs per pod and share of the total. */
export function topLines(self: Map<string, number>, pods: number, n = 40): string[] {
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const lines = [`not idle ${(total / 1000).toFixed(0)} ms sampled, ` +
    `${(total / Math.max(1, pods)).toFixed(0)} µs per pod`];
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    lines.push(`  ${(us / Math.max(1, pods)).toFixed(0).padStart(6)} µs/pod ` +
      `${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)} %  ${k}`);
  }
  return lines;
}
