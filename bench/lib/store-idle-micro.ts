/**
 * A quiet k8ts store's own CPU: a 3-member group (as the startup cluster runs it: default
 * timing, 10 ms ticks, heartbeats every 3 ticks) with no client, its members' CPU per second
 * split by thread (thread-cpu.ts). Every burst figure of the nodes bench is gross of this
 * rate, so what the store burns doing nothing is part of its CPU per pod.
 *
 *   node --import tsx bench/lib/store-idle-micro.ts [seconds=10] [rounds=2]
 *
 * Ports 34700+BENCH_MICRO_PORT_OFFSET (peer) and +50 (client). K8TS_BENCH_STORE_CPU_PROF_DIR=<dir>:
 * the members are CPU-profiled over the rounds (store-prof.ts) and summarized (figures then not
 * comparable).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './cluster.js';
import { startProfiling, summarizeProfile } from './store-prof.js';
import { formatThreadCpu, threadCpu, threadCpuBetween } from './thread-cpu.js';
import { K8tsStore } from './store-systems.js';

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 10);
  const rounds = Number(process.argv[3] ?? 2);
  const profDir = process.env.K8TS_BENCH_STORE_CPU_PROF_DIR;
  const store = new K8tsStore(3, profDir, 34700 + Number(process.env.BENCH_MICRO_PORT_OFFSET ?? 0));
  try {
    await store.start();
    await sleep(3_000); // start-up compiles and the members' attribute publishing settle
    if (profDir !== undefined) startProfiling(store.pids());
    for (let r = 0; r < rounds; r++) {
      const pids = store.pids();
      const before = pids.map(threadCpu);
      await sleep(seconds * 1000);
      const per = pids.map((pid, i) => threadCpuBetween(before[i]!, threadCpu(pid)));
      const total = per.reduce((sum, t) => sum + [...t.values()].reduce((a, b) => a + b, 0), 0);
      console.log(`round ${r + 1}: members ${(total / seconds).toFixed(1)} ms of CPU per second (all 3)`);
      per.forEach((t, i) => console.log(`  m${i + 1} ms/s: ${formatThreadCpu(t, seconds)}`));
    }
  } finally {
    await store.stop();
  }
  if (profDir === undefined) return;
  // The members write their profiles as they exit (store.stop()).
  for (const f of readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile'))) {
    console.log(`\nstore member ${summarizeProfile(join(profDir, f), 25)}`);
  }
}

await main();
