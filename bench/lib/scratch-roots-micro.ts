/**
 * Microbench of the process runtime's file system work per burst pod (issue 6): what a pod's
 * start makes on the state directory's disk — its log directory, its container's scratch root
 * and log directory, the log file — and what its removal takes away, in rounds of P pods at
 * once, as a node's bursts do. Three ways, in one process on one directory tree, taking turns in
 * blocks of BLOCK rounds: `mkdir` (a new scratch root and new log directories and file, removed
 * with rm), `spare` (src/runtime/process/scratch-roots.ts: removed roots kept empty and renamed
 * back into use; logs as mkdir) and `logs` (spare roots, and the log directories and file taken
 * from the spares the kubelet's removal keeps: runtime/logs/spares.ts, kubelet/logs/cleanup.ts).
 * The log file is opened and closed by CriLogWriter in every way, with one line written.
 * Reported: CPU µs per pod (the whole process: the libuv threads run the syscalls) of the start
 * and of the removal, median over the rounds of each way.
 *
 * A pause between rounds (default 1 s) lets the freed inodes age as between a node's bursts
 * (ext4 skips inodes freed in the last 5-30 s when it allocates one).
 *
 *   node --import tsx bench/lib/scratch-roots-micro.ts [pods=100] [rounds=20] [pauseMs=1000]
 *     [dir=os.tmpdir()]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removePodLogs } from '../../src/kubelet/logs/cleanup.js';
import { LogSpares } from '../../src/runtime/logs/spares.js';
import { CriLogWriter } from '../../src/runtime/logs/writer.js';
import { ScratchRoots } from '../../src/runtime/process/scratch-roots.js';
import { loadNote } from './node-cluster.js';
import { percentile } from './stats.js';

const [podsArg, roundsArg, pauseArg, dirArg] = process.argv.slice(2);
const pods = Number(podsArg ?? 100);
const rounds = Number(roundsArg ?? 20);
const pauseMs = Number(pauseArg ?? 1000);
const base = mkdtempSync(join(dirArg ?? tmpdir(), 'k8ts-roots-micro-'));

type Way = 'mkdir' | 'spare' | 'logs';
const WAYS: readonly Way[] = ['mkdir', 'spare', 'logs'];

/** Rounds in a row of one way. */
const BLOCK = 5;

/** cpuUs: this process's CPU so far (every thread), µs. */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const logsRoot = join(base, 'logs');
const spares = new LogSpares();
const line = Buffer.from('hello from the pod\n');

async function startPod(way: Way, roots: ScratchRoots, r: number, i: number): Promise<void> {
  const logDir = join(logsRoot, `ns_pod-${r}-${i}_uid${r}-${i}`);
  if (way === 'logs') await spares.makePodDir(logDir);
  else await mkdir(logDir, { recursive: true });
  const id = `${way}-${r}-${i}`;
  if (way !== 'mkdir') await roots.make(id, []);
  else await mkdir(roots.path(id), { recursive: true });
  const w = await CriLogWriter.open({ logPath: join(logDir, 'c', '0.log'), wallMs: Date.now,
    ...(way === 'logs' ? { spares } : {}) });
  await w.write('stdout', line);
  await w.close();
}

async function removePod(way: Way, roots: ScratchRoots, r: number, i: number): Promise<void> {
  const id = `${way}-${r}-${i}`;
  await Promise.all([
    way === 'logs' ? removePodLogs(logsRoot, 'ns', `pod-${r}-${i}`, `uid${r}-${i}`)
      : rm(join(logsRoot, `ns_pod-${r}-${i}_uid${r}-${i}`), { recursive: true, force: true }),
    way !== 'mkdir' ? roots.remove(id) : rm(roots.path(id), { recursive: true, force: true }),
  ]);
}

async function main(): Promise<void> {
  const roots = new ScratchRoots(join(base, 'state'));
  await mkdir(logsRoot, { recursive: true });
  const out: Record<Way, { start: number[]; remove: number[] }> = {
    mkdir: { start: [], remove: [] }, spare: { start: [], remove: [] },
    logs: { start: [], remove: [] },
  };
  console.log(`# scratch roots micro: ${pods} pods x ${rounds} rounds per way, ${pauseMs} ms apart, ` +
    `in ${base}; ` +
    loadNote());
  for (let r = 0; r < WAYS.length * rounds; r++) {
    // Blocks of BLOCK rounds per way, not round by round: a round pays for the inodes the
    // round before it freed (ext4 skips recently freed ones), so alternating rounds would
    // charge each way with the other's churn.
    const way = WAYS[Math.floor(r / BLOCK) % WAYS.length] ?? 'mkdir';
    const ids = Array.from({ length: pods }, (_, i) => i);
    const t0 = cpuUs();
    await Promise.all(ids.map((i) => startPod(way, roots, r, i)));
    const t1 = cpuUs();
    await Promise.all(ids.map((i) => removePod(way, roots, r, i)));
    const t2 = cpuUs();
    await new Promise((res) => setTimeout(res, pauseMs));
    // The first round of each block carries the other way's churn (and the spare way's first
    // round has no spares): not counted.
    if (r % BLOCK !== 0) {
      out[way].start.push((t1 - t0) / pods);
      out[way].remove.push((t2 - t1) / pods);
    }
  }
  console.log('| way | start CPU µs/pod (median, p10-p90) | removal CPU µs/pod |');
  console.log('|---|---|---|');
  for (const way of WAYS) {
    console.log(`| ${way} | ${spread(out[way].start)} | ${spread(out[way].remove)} |`);
  }
  console.log(loadNote());
}

/** spread: "median (p10-p90)" of xs. */
function spread(xs: readonly number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const p = (q: number) => percentile(s, q).toFixed(0);
  return `${p(50)} (${p(10)}-${p(90)})`;
}

try {
  await main();
} finally {
  rmSync(base, { recursive: true, force: true });
}
