/**
 * Soak: full load for many minutes while watching for leader changes. Fast failover must not mean
 * flapping: the target is zero elections at steady state. Polls every member's view of the leader
 * and term every 100 ms; any term change is an election.
 */
import { performance } from 'node:perf_hooks';
import { closedLoop } from './lib/load.js';
import { rssBytes, sleep, type BenchCluster } from './lib/cluster.js';
import { ms, summarize } from './lib/stats.js';

export interface SoakOptions {
  minutes: number;
  inflight: number;
}

export async function runSoak(c: BenchCluster, opts: SoakOptions): Promise<void> {
  await c.start();
  try {
    const first = await c.leader(1000);
    if (!first) throw new Error('no leader');
    let stopped = false;
    const changes: string[] = [];
    let last = first;
    const watcher = (async () => {
      while (!stopped) {
        const now = await c.leader(300);
        if (now && (now.term !== last.term || now.name !== last.name)) {
          changes.push(`${(performance.now() / 1000).toFixed(1)}s: ${last.name}@${last.term} → ${now.name}@${now.term}`);
          last = now;
        }
        await sleep(100);
      }
    })();
    const durationMs = opts.minutes * 60_000;
    const t0 = performance.now();
    const res = await closedLoop(c, { inflight: opts.inflight, warmupMs: 0, measureMs: durationMs, valueBytes: 256, target: () => last.name }, 'soak');
    stopped = true;
    await watcher;
    const s = summarize(res.latenciesMs);
    const rss = await Promise.all(c.names.map(async (n) => { const pid = c.pid(n); return pid ? rssBytes(pid) : 0; }));
    console.log(`${c.label}: ${((performance.now() - t0) / 60_000).toFixed(1)} min at ${opts.inflight} in flight: ${res.ops} writes (${(res.ops / res.seconds).toFixed(0)}/s), p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)}, errors ${res.errors}`);
    console.log(`${c.label}: leader changes during the run: ${changes.length}${changes.length ? '\n  ' + changes.join('\n  ') : ''}`);
    console.log(`${c.label}: RSS at end: ${rss.map((b) => `${(b / 2 ** 20).toFixed(0)} MiB`).join(' / ')}`);
  } finally {
    await c.stop();
  }
}
