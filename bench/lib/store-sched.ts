/**
 * store-sched: where each process of a store benchmark spends its wall time, from the kernel's
 * scheduler accounting — running, waiting for a core, blocked on the disk, or idle — for the
 * question "is anyone CPU-bound, or does the pipeline leave bubbles?" on a 2-core machine where
 * four single-threaded processes (load client, leader, two followers) share the cores:
 *
 *   node --import tsx bench/lib/store-sched.ts <seconds> <pid>[=name] ...
 *
 * (start it while a bench runs, e.g. 5 s after `npm run bench -- store --tests put-c256` began).
 * Per process it prints, as fractions of the window's wall time: its threads' CPU (main thread
 * and the rest apart), the main thread's wait on a run queue (/proc/<pid>/task/<tid>/schedstat:
 * runnable but no core free), and a 250 Hz sample of the main thread's state — R (running or
 * runnable), D (uninterruptible: a synchronous fdatasync or write on the event loop), S (idle
 * in epoll, or any other sleep). The machine's idle cores over the window close the report:
 * idle cores while a process is idle-waiting are pipeline bubbles, not a CPU limit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const SAMPLE_EVERY_MS = 4;

interface Sched {
  /** ns on a core, ns runnable on a run queue (schedstat's first two fields). */
  cpuNs: number;
  waitNs: number;
}

function schedOf(pid: number, tid: number): Sched {
  try {
    const [cpu, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ');
    return { cpuNs: Number(cpu), waitNs: Number(wait) };
  } catch {
    return { cpuNs: 0, waitNs: 0 };
  }
}

/** switchesOf reads the main thread's voluntary and involuntary context switches. */
function switchesOf(pid: number): [number, number] {
  try {
    const st = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
    const v = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1] ?? 0);
    const n = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1] ?? 0);
    return [v, n];
  } catch {
    return [0, 0];
  }
}

function threadsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** allThreadsCpuNs sums schedstat CPU over a process's current threads. */
function allThreadsCpuNs(pid: number): number {
  return threadsOf(pid).reduce((s, tid) => s + schedOf(pid, tid).cpuNs, 0);
}

/** stateOf reads the main thread's state letter and the CPU it last ran on (stat field 39). */
function stateOf(pid: number): { state: string; cpu: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state), so field 39 (processor) is rest[36].
    return { state: rest[0]!, cpu: Number(rest[36]) };
  } catch {
    return { state: '?', cpu: -1 };
  }
}

/** idleNs is the machine's idle + iowait time since boot, in ns (/proc/stat, USER_HZ = 100). */
function idleNs(): number {
  const v = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return ((v[3] ?? 0) + (v[4] ?? 0)) * 1e7;
}

interface Target {
  pid: number;
  name: string;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2]);
  const targets: Target[] = process.argv.slice(3).map((a) => {
    const [pid, name] = a.split('=');
    return { pid: Number(pid), name: name ?? pid! };
  });
  if (!(seconds > 0) || targets.length === 0) throw new Error('usage: store-sched.ts <seconds> <pid>[=name] ...');
  const t0 = process.hrtime.bigint();
  const idle0 = idleNs();
  const main0 = targets.map((t) => schedOf(t.pid, t.pid));
  const all0 = targets.map((t) => allThreadsCpuNs(t.pid));
  const sw0 = targets.map((t) => switchesOf(t.pid));
  const counts = targets.map(() => new Map<string, number>());
  const joint = new Map<string, number>();
  /** Samples where two or more main threads were R on one CPU while another CPU had none of
   *  them (a runnable thread queued behind another while a core it could use ran none of ours:
   *  placement, not CPU, limits), and samples with any two R on one CPU at all. */
  let stacked = 0;
  let stackedBesideFree = 0;
  const cpus = availableParallelism();
  const deadline = Date.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      let combo = '';
      const runningOn = new Array<number>(cpus).fill(0);
      targets.forEach((t, i) => {
        const { state: s, cpu } = stateOf(t.pid);
        combo += s;
        counts[i]!.set(s, (counts[i]!.get(s) ?? 0) + 1);
        if (s === 'R' && cpu >= 0 && cpu < cpus) runningOn[cpu]!++;
      });
      joint.set(combo, (joint.get(combo) ?? 0) + 1);
      if (runningOn.some((n) => n >= 2)) {
        stacked++;
        if (runningOn.some((n) => n === 0)) stackedBesideFree++;
      }
      if (Date.now() >= deadline) {
        clearInterval(timer);
        resolve();
      }
    }, SAMPLE_EVERY_MS);
  });
  const wallNs = Number(process.hrtime.bigint() - t0);
  const idleCores = (idleNs() - idle0) / wallNs;
  const pct = (x: number): string => `${(x * 100).toFixed(0).padStart(3)} %`;
  const wallS = wallNs / 1e9;
  console.log('process          main CPU  other threads  main runq wait   main sampled R / D / S   main switches/s vol / invol');
  targets.forEach((t, i) => {
    const m1 = schedOf(t.pid, t.pid);
    const mainCpu = (m1.cpuNs - main0[i]!.cpuNs) / wallNs;
    const other = (allThreadsCpuNs(t.pid) - all0[i]! - (m1.cpuNs - main0[i]!.cpuNs)) / wallNs;
    const wait = (m1.waitNs - main0[i]!.waitNs) / wallNs;
    const c = counts[i]!;
    const n = [...c.values()].reduce((a, b) => a + b, 0);
    const f = (s: string): string => pct((c.get(s) ?? 0) / n);
    const [v1, n1] = switchesOf(t.pid);
    const vol = ((v1 - sw0[i]![0]) / wallS).toFixed(0);
    const inv = ((n1 - sw0[i]![1]) / wallS).toFixed(0);
    console.log(`${t.name.padEnd(16)} ${pct(mainCpu)}     ${pct(other)}         ${pct(wait)}           ` +
      `${f('R')} / ${f('D')} / ${f('S')}     ${vol.padStart(6)} / ${inv}`);
  });
  console.log(`machine idle (incl. iowait): ${idleCores.toFixed(2)} cores`);
  const samples = [...joint.values()].reduce((a, b) => a + b, 0);
  const top = [...joint.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`main threads' joint states (${targets.map((t) => t.name).join(', ')}): ` +
    top.map(([k, n]) => `${k} ${pct(n / samples).trim()}`).join(', '));
  console.log(`two or more main threads runnable on one CPU: ${pct(stacked / samples).trim()} of samples; ` +
    `of them with another CPU running none of these threads: ${pct(stackedBesideFree / samples).trim()}`);
}

await main();
