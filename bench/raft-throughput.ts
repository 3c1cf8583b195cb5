/**
 * Replicated-log throughput and commit latency: committed writes per second at 1, 16, 64 and 256
 * in flight (256-byte payloads) through the leader, with p50/p99 latency and member RSS, for k8ts
 * and for real etcd with the same timing, interleaved level by level (A/B) on this noisy box.
 */
import { closedLoop } from './lib/load.js';
import { rssBytes, sleep, type BenchCluster } from './lib/cluster.js';
import { ms, summarize } from './lib/stats.js';

export interface ThroughputOptions {
  levels: number[];
  warmupMs: number;
  measureMs: number;
}

interface Row {
  system: string;
  inflight: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
}

export async function runThroughput(systems: BenchCluster[], opts: ThroughputOptions): Promise<void> {
  for (const c of systems) await c.start();
  const rows: Row[] = [];
  try {
    for (const inflight of opts.levels) {
      for (const c of systems) {
        const leader = (await c.leader(1000))?.name;
        if (!leader) throw new Error(`${c.label}: no leader`);
        const res = await closedLoop(c, { inflight, warmupMs: opts.warmupMs, measureMs: opts.measureMs, valueBytes: 256, target: () => leader }, `${c.label.replace(/\W/g, '')}-${inflight}`);
        const s = summarize(res.latenciesMs);
        rows.push({ system: c.label, inflight, opsPerSec: res.ops / res.seconds, p50: s.p50, p99: s.p99, errors: res.errors });
        const last = rows[rows.length - 1]!;
        console.log(`${c.label.padEnd(14)} c${String(inflight).padEnd(4)} ${last.opsPerSec.toFixed(0).padStart(6)} writes/s  p50 ${ms(s.p50).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  errors ${res.errors}`);
        await sleep(300);
      }
    }
    for (const c of systems) {
      const rss = await Promise.all(c.names.map(async (n) => { const pid = c.pid(n); return pid ? rssBytes(pid) : 0; }));
      console.log(`${c.label.padEnd(14)} RSS after load: ${rss.map((b) => `${(b / 2 ** 20).toFixed(0)} MiB`).join(' / ')}`);
    }
    printRatios(rows, systems);
  } finally {
    for (const c of systems) await c.stop();
  }
}

function printRatios(rows: Row[], systems: BenchCluster[]): void {
  if (systems.length < 2) return;
  const [a, b] = [systems[0]!.label, systems[1]!.label];
  console.log(`\n| in flight | ${a} writes/s | ${b} writes/s | ratio | ${a} p50 / p99 | ${b} p50 / p99 |`);
  console.log('|---|---|---|---|---|---|');
  for (const lvl of new Set(rows.map((r) => r.inflight))) {
    const x = rows.find((r) => r.system === a && r.inflight === lvl)!;
    const y = rows.find((r) => r.system === b && r.inflight === lvl)!;
    console.log(`| ${lvl} | ${x.opsPerSec.toFixed(0)} | ${y.opsPerSec.toFixed(0)} | ${(x.opsPerSec / y.opsPerSec).toFixed(2)}× | ${ms(x.p50)} / ${ms(x.p99)} | ${ms(y.p50)} / ${ms(y.p99)} |`);
  }
}
