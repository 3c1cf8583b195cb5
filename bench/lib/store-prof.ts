/**
 * Where a k8ts member spends its CPU: a summary of a V8 .cpuprofile (written by a member started
 * with `--cpu-prof`, see `npm run bench -- store --cpu-prof <dir>`), as self time per function and
 * per area (grpc-js, protobuf, raft, store, node internals, GC).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Node 20 refuses `--cpu-prof` in NODE_OPTIONS, and the Supervisor owns the members' command
 * line, so members are profiled by a preloaded module (`--import`, allowed in NODE_OPTIONS) that
 * starts the in-process V8 profiler on SIGUSR2 (sent once the cluster is ready, so start-up and
 * TypeScript compilation stay out of the profile) and writes `CPU.<pid>.cpuprofile` when the
 * process exits (member-main ends with process.exit after a SIGTERM; the in-process inspector
 * answers synchronously, so the profile is written before the exit completes).
 *
 * Samples are wall time on the main thread: a synchronous syscall (fdatasync) shows up as busy
 * time although the process sleeps in it — it is event-loop time, not CPU.
 */
const HOOK = `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const dir = process.env.K8TS_BENCH_CPU_PROF_DIR;
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
let started = false;
process.on('SIGUSR2', () => {
  if (started) return;
  started = true;
  session.post('Profiler.start');
});
let written = false;
function flush() {
  if (written || !started) return;
  written = true;
  session.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(dir + '/CPU.' + process.pid + '.cpuprofile', JSON.stringify(res.profile));
  });
}
const exit = process.exit.bind(process);
process.exit = (code) => { flush(); return exit(code); };
process.on('exit', flush);
`;

/** startProfiling tells profiled members to start sampling now. */
export function startProfiling(pids: readonly number[]): void {
  for (const pid of pids) if (pid > 0) process.kill(pid, 'SIGUSR2');
}

/** profilingEnv writes the hook into dir and returns the environment that makes a Node process
 *  profile itself into dir. Profiled members run their TypeScript sources through tsx, not the
 *  esbuild bundle the Supervisor uses otherwise (K8TS_NO_BUNDLE): a profile names the script
 *  of each frame, and in the bundle every frame is in one file, so no area could be told. */
export function profilingEnv(dir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const hook = join(dir, 'profile-hook.mjs');
  writeFileSync(hook, HOOK);
  return {
    ...env,
    K8TS_NO_BUNDLE: '1',
    K8TS_BENCH_CPU_PROF_DIR: dir,
    NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${hook}`.trim(),
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Areas, first match wins; a frame's url (file) decides. */
const AREAS: [string, (url: string, fn: string) => boolean][] = [
  ['idle', (_u, f) => f === '(idle)'],
  ['gc', (_u, f) => f === '(garbage collector)'],
  ['program (native, unattributed)', (_u, f) => f === '(program)'],
  ['grpc-js', (u) => u.includes('/@grpc/')],
  ['protobuf (bufbuild wire)', (u) => u.includes('/@bufbuild/')],
  ['generated codecs (src/gen)', (u) => u.includes('/src/gen/')],
  ['raft (src/raft)', (u) => u.includes('/src/raft/')],
  ['store (src/store)', (u) => u.includes('/src/store/')],
  ['rpc (src/rpc)', (u) => u.includes('/src/rpc/')],
  ['other k8ts', (u) => u.includes('/src/')],
  ['tsx/esbuild', (u) => u.includes('/tsx/') || u.includes('/esbuild')],
  ['node internals', (u) => u.startsWith('node:') || u === ''],
];

function areaOf(url: string, fn: string): string {
  for (const [name, test] of AREAS) if (test(url, fn)) return name;
  return 'other';
}

/** shortUrl: a package-relative path for dependencies, a repo-relative one for k8ts files. Line
 *  numbers of k8ts files are those of tsx's output (1 for most), so the function name is the key. */
function shortUrl(url: string): string {
  if (url.includes('/node_modules/')) return url.replace(/^.*\/node_modules\//, '');
  return url.replace(/^.*?\/(src|bench|test)\//, '$1/');
}

/** Areas whose frames are charged to the nearest caller outside them ("who asked for it"). */
const PASS_THROUGH = new Set(['node internals', 'program (native, unattributed)', 'protobuf (bufbuild wire)', 'other']);

/** summarizeProfile returns, for one profile, the split of non-idle time by area (self time and
 *  charged to the nearest k8ts or grpc-js caller) and the top functions by that charge. */
export function summarizeProfile(file: string, top = 15): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const bySelfArea = new Map<string, number>();
  const byOwnerArea = new Map<string, number>();
  const byOwnerFn = new Map<string, number>();
  let busyUs = 0;
  let syncUs = 0;
  const add = (m: Map<string, number>, k: string, us: number): void => {
    m.set(k, (m.get(k) ?? 0) + us);
  };
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const area = areaOf(frame.url, frame.functionName);
    if (area === 'idle') continue;
    busyUs += us;
    if (frame.functionName === 'fdatasync') syncUs += us;
    add(bySelfArea, area, us);
    let owner = id;
    while (PASS_THROUGH.has(areaOf(byId.get(owner)!.callFrame.url, byId.get(owner)!.callFrame.functionName)) && parent.has(owner)) {
      owner = parent.get(owner)!;
    }
    const of = byId.get(owner)!.callFrame;
    const ownerArea = PASS_THROUGH.has(areaOf(of.url, of.functionName)) || owner === p.nodes[0]!.id ? area : areaOf(of.url, of.functionName);
    add(byOwnerArea, ownerArea, us);
    const where = of.url ? ` ${shortUrl(of.url)}:${of.lineNumber + 1}` : '';
    const name = owner === p.nodes[0]!.id ? '(node/native, no JS caller: http2 sessions, sockets, timers)' : of.functionName || '(anonymous)';
    add(byOwnerFn, owner === p.nodes[0]!.id ? name : `${name}${where}`, us);
  }
  const pct = (us: number): string => `${((100 * us) / Math.max(1, busyUs)).toFixed(1).padStart(5)} %`;
  const lines = [`${file}: ${(busyUs / 1e6).toFixed(2)} s not idle of ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s profiled, ` +
    `of which ${(syncUs / 1e6).toFixed(2)} s blocked in fdatasync (event loop stalled, not CPU)`];
  lines.push('  by area: self time | charged to the nearest caller in k8ts/grpc-js code');
  const areas = [...new Set([...bySelfArea.keys(), ...byOwnerArea.keys()])].sort((a, b) => (byOwnerArea.get(b) ?? 0) - (byOwnerArea.get(a) ?? 0));
  for (const a of areas) lines.push(`    ${pct(bySelfArea.get(a) ?? 0)} | ${pct(byOwnerArea.get(a) ?? 0)}  ${a}`);
  lines.push(`  top ${top} callers by charged time (their own time + node/native/protobuf work they called):`);
  for (const [fn, us] of [...byOwnerFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${pct(us)}  ${fn}`);
  lines.push('  longest event-loop holds (consecutive samples under one k8ts call path; back-to-back calls of one path merge):');
  for (const c of longCalls(p, byId, parent)) lines.push(`    ${(c.us / 1000).toFixed(0).padStart(5)} ms  ${c.name} at +${(c.atUs / 1e6).toFixed(1)} s`);
  return lines.join('\n');
}

interface LongCall {
  us: number;
  atUs: number;
  name: string;
}

/** Calls shorter than this are not listed: the election timeout under test is 150 ms. */
const LONG_CALL_US = 20_000;

/**
 * longCalls finds synchronous stretches of the event loop: runs of consecutive samples sharing a
 * k8ts frame (the deepest one present in ≥ 90 % of the run). A run of such samples is one call that
 * held the event loop — timers, heartbeats and replies wait for it to return.
 */
function longCalls(p: Profile, byId: Map<number, ProfileNode>, parent: Map<number, number>, max = 8): LongCall[] {
  const stackOf = (id: number): number[] => {
    const out: number[] = [];
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) out.push(n);
    return out.reverse();
  };
  const isK8ts = (id: number): boolean => /\/src\/(raft|store|rpc|cluster)\//.test(byId.get(id)!.callFrame.url);
  const calls: LongCall[] = [];
  const gcOrNative = (id: number): boolean => ['(garbage collector)', '(program)'].includes(byId.get(id)!.callFrame.functionName);
  let t = 0;
  let i = 0;
  while (i < p.samples.length) {
    const first = stackOf(p.samples[i]!).filter(isK8ts)[0];
    if (first === undefined) {
      t += p.timeDeltas[++i] ?? 0;
      continue;
    }
    // Extend the run while the outermost k8ts frame of the first sample stays on the stack.
    // GC and native samples inside the run (the call's own allocations) do not end it.
    const startUs = t;
    let j = i;
    const continues = (id: number): boolean => {
      const fn = byId.get(id)!.callFrame.functionName;
      return fn === '(garbage collector)' || fn === '(program)' || stackOf(id).includes(first);
    };
    while (j + 1 < p.samples.length && continues(p.samples[j + 1]!)) t += p.timeDeltas[++j] ?? 0;
    const us = t - startUs + (p.timeDeltas[j + 1] ?? 0);
    const stacks = p.samples.slice(i, j + 1).filter((id) => !gcOrNative(id)).map(stackOf);
    if (us >= LONG_CALL_US) calls.push({ us, atUs: startUs, name: deepestShared(stacks, byId) });
    i = j + 1;
    t += p.timeDeltas[i] ?? 0;
  }
  return calls.sort((a, b) => b.us - a.us).slice(0, max);
}

/** deepestShared names the deepest k8ts frame present in ≥ 90 % of the stacks. */
function deepestShared(stacks: number[][], byId: Map<number, ProfileNode>): string {
  const count = new Map<number, number>();
  for (const st of stacks) for (const id of new Set(st)) count.set(id, (count.get(id) ?? 0) + 1);
  let best: number | undefined;
  let bestDepth = -1;
  for (const st of stacks) {
    st.forEach((id, depth) => {
      const f = byId.get(id)!.callFrame;
      if (!/\/src\//.test(f.url) || (count.get(id) ?? 0) < 0.9 * stacks.length || depth <= bestDepth) return;
      best = id;
      bestDepth = depth;
    });
  }
  if (best === undefined) return '(no shared frame)';
  const f = byId.get(best)!.callFrame;
  return `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}`;
}
