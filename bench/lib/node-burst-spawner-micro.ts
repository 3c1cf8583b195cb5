/**
 * Microbench of the process runtime's container spawner alone (src/runtime/process/spawner.ts):
 * the share of node-burst-micro's runtime CPU that starting the containers costs, without the
 * CRI server, the log and scratch-root setup, or the kubelet around it. Each round spawns P
 * `sleep 3600` at once through a SpawnerPool, as a burst does, waits until every one is
 * started, then reads the CPU the helpers and the new processes have run (schedstat: the
 * helpers' fork and bookkeeping, each child's work until and including its exec) and the
 * bench process's own (encoding requests, decoding replies), then kills them and waits for
 * each exit report.
 *
 *   node --import tsx bench/lib/node-burst-spawner-micro.ts [spawns=100] [rounds=5]
 *
 * What it showed (session 13, load 5–6): ~1,050–1,250 µs per spawn of which the helpers
 * ~340–440 (fork and Node's spawn) and the rest the child until it sleeps (its exec and the
 * dynamic loader: the container's own start). A Perl helper in place of the Node one (a fork
 * of a 2.6 MiB-anon process instead of 8.7) measured 1,290–1,340 (helpers 385): no gain, so
 * the Node helper stays.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SpawnerPool, type Spawned } from '../../src/runtime/process/spawner.js';
import { loadNote, processTree } from './node-cluster.js';
import { schedCpuMs } from './sched-cpu.js';

const [spawns = 100, rounds = 5] = process.argv.slice(2).map(Number);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-spawner-micro-'));
  const out = join(dir, 'out');
  writeFileSync(out, '');
  const pool = new SpawnerPool();
  pool.start();
  // The spawner holds the event loop only while a spawn waits for its answer, not for exits.
  const alive = setInterval(() => undefined, 1_000);
  // Warm: every helper up and past its first spawn.
  await Promise.all(Array.from({ length: 6 }, async () => (await pool.spawn(
    { file: '/bin/true', args: [], argv0: 'true', cwd: dir, env: {}, stdout: out,
      stderr: undefined })).exited));
  console.log(`# spawner micro: ${spawns} spawns x ${rounds} rounds; ${loadNote()}`);
  console.log('| round | helpers + children µs/spawn | bench process µs/spawn | wall ms |');
  console.log('|---|---|---|---|');
  const tree: number[] = [];
  const own: number[] = [];
  const helperPart: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const helpers = processTree(process.pid).filter((p) => p !== process.pid);
      const t0 = schedCpuMs(helpers);
      const h0 = t0;
      const o0 = process.cpuUsage();
      const w0 = performance.now();
      const all: Spawned[] = await Promise.all(Array.from({ length: spawns }, () => pool.spawn({
        file: '/bin/sleep', args: ['3600'], argv0: 'sleep', cwd: dir,
        env: { PATH: '/usr/bin:/bin', HOSTNAME: 'pod', KUBERNETES_SERVICE_HOST: '10.96.0.1' },
        stdout: out, stderr: undefined,
      })));
      const wall = performance.now() - w0;
      const o1 = process.cpuUsage(o0);
      // The helpers (same pids) and every child, alive: schedstat of the whole tree.
      const t1 = schedCpuMs(processTree(process.pid).filter((p) => p !== process.pid));
      const h1 = schedCpuMs(helpers);
      helperPart.push(((h1 - h0) * 1000) / spawns);
      const perTree = ((t1 - t0) * 1000) / spawns;
      const perOwn = (o1.user + o1.system) / spawns;
      tree.push(perTree);
      own.push(perOwn);
      console.log(`| ${r + 1} | ${perTree.toFixed(0)} | ${perOwn.toFixed(0)} | ` +
        `${wall.toFixed(0)} |`);
      for (const s of all) process.kill(-s.pid, 'SIGKILL');
      await Promise.all(all.map((s) => s.exited));
    }
  } finally {
    clearInterval(alive);
    pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const mean = (xs: number[]): string =>
    (xs.slice(1).reduce((a, x) => a + x, 0) / Math.max(1, xs.length - 1)).toFixed(0);
  console.log(`mean over rounds 2+: helpers + children ${mean(tree)} µs/spawn ` +
    `(helpers ${mean(helperPart)}), ` +
    `bench process ${mean(own)} µs/spawn; ${loadNote()}`);
}

await main();
