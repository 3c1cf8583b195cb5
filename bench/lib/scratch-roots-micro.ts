/**
 * Microbench of the process runtime's file system work per burst pod (issue 6): what a pod's
 * start makes on the state directory's disk — its log directory, its container's scratch root
 * and log directory, the log file — and what its removal takes away, in rounds of P pods at
 * once, as a node's bursts do. Two ways to make the scratch root, in one process on one
 * directory tree, taking turns in blocks of BLOCK rounds: `mkdir` (a new directory, removed
 * with rm) and `spare` (src/runtime/process/scratch-roots.ts: removed roots kept empty and
 * renamed back into use).
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
import { mkdir, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchRoots } from '../../src/runtime/process/scratch-roots.js';
import { loadNote } from './node-cluster.js';
import { percentile } from './stats.js';

const [podsArg, roundsArg, pauseArg, dirArg] = process.argv.slice(2);
const pods = Number(podsArg ?? 100);
const rounds = Number(roundsArg ?? 20);
const pauseMs = Number(pauseArg ?? 1000);
const base = mkdtempSync(join(dirArg ?? tmpdir(), 'k8ts-roots-micro-'));

type Way = 'mkdir' | 'spare';

/** Rounds in a row of one way. */
const BLOCK = 5;

/** cpuUs: this process's CPU so far (every thread), µs. */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function startPod(way: Way, roots: ScratchRoots, r: number, i: number): Promise<void> {
  const logDir = join(base, 'logs', `ns_pod-${r}-${i}_uid`);
  await mkdir(logDir, { recursive: true });
  const id = `${way}-${r}-${i}`;
  if (way === 'spare') await roots.make(id, []);
  else await mkdir(roots.path(id), { recursive: true });
  await mkdir(join(logDir, 'c'), { recursive: true, mode: 0o755 });
  await (await open(join(logDir, 'c', '0.log'), 'a', 0o640)).close();
}

async function removePod(way: Way, roots: ScratchRoots, r: number, i: number): Promise<void> {
  const id = `${way}-${r}-${i}`;
  await Promise.all([
    rm(join(base, 'logs', `ns_pod-${r}-${i}_uid`), { recursive: true, force: true }),
    way === 'spare' ? roots.remove(id) : rm(roots.path(id), { recursive: true, force: true }),
  ]);
}

async function main(): Promise<void> {
  const roots = new ScratchRoots(join(base, 'state'));
  await mkdir(join(base, 'logs'), { recursive: true });
  const out: Record<Way, { start: number[]; remove: number[] }> = {
    mkdir: { start: [], remove: [] }, spare: { start: [], remove: [] },
  };
  console.log(`# scratch roots micro: ${pods} pods x ${rounds} rounds per way, ${pauseMs} ms apart, ` +
    `in ${base}; ` +
    loadNote());
  for (let r = 0; r < 2 * rounds; r++) {
    // Blocks of BLOCK rounds per way, not round by round: a round pays for the inodes the
    // round before it freed (ext4 skips recently freed ones), so alternating rounds would
    // charge each way with the other's churn.
    const way: Way = Math.floor(r / BLOCK) % 2 === 0 ? 'mkdir' : 'spare';
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
  for (const way of ['mkdir', 'spare'] as const) {
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
