/**
 * Leader failover: SIGKILL the leader, then from every survivor probe a write every 10 ms; the
 * failover time is from the kill to the first write (sent after the kill) that commits. The killed
 * member is restarted and allowed to catch up before the next round. Same method as the etcd
 * anchor in shared/reference/etcd-api.md §5, so the two are comparable.
 */
import { performance } from 'node:perf_hooks';
import { sleep, type BenchCluster } from './lib/cluster.js';
import { ms, summarize } from './lib/stats.js';

export interface FailoverOptions {
  kills: number;
  settleMs: number;
}

export interface FailoverSample {
  /** Kill → first write (sent after the kill) committed through a survivor. */
  writeMs: number;
  /** Kill → a survivor reports itself leader. */
  leaderMs: number;
}

export async function runFailover(c: BenchCluster, opts: FailoverOptions): Promise<FailoverSample[]> {
  await c.start();
  const samples: FailoverSample[] = [];
  try {
    for (let round = 1; round <= opts.kills; round++) {
      await waitStable(c);
      await sleep(opts.settleMs);
      const leader = await c.leader(1000);
      if (!leader) { round--; continue; }
      const t = await killAndProbe(c, leader.name, round);
      samples.push(t);
      const after = await c.leader(1000);
      console.log(`${c.label} round ${String(round).padStart(2)}: killed ${leader.name} (term ${leader.term}) → new leader ${after?.name ?? '?'} (term ${after?.term ?? '?'}) seen after ${ms(t.leaderMs)}, write OK after ${ms(t.writeMs)}`);
      await c.restart(leader.name);
    }
    const w = samples.map((x) => x.writeMs);
    const s = summarize(w);
    const sorted = [...w].sort((a, b) => a - b).map((x) => x.toFixed(0)).join(', ');
    console.log(`${c.label}: ${samples.length} kills, write OK median ${ms(s.median)}, max ${ms(s.max)}; new leader seen median ${ms(summarize(samples.map((x) => x.leaderMs)).median)}; sorted write OK: ${sorted} ms`);
    return samples;
  } finally {
    await c.stop();
  }
}

async function killAndProbe(c: BenchCluster, victim: string, round: number): Promise<FailoverSample> {
  const survivors = c.names.filter((n) => n !== victim);
  const t0 = performance.now();
  c.kill(victim);
  let done: number | undefined;
  let seen: number | undefined;
  const watcher = (async () => {
    while (seen === undefined && performance.now() - t0 < 10_000) {
      const l = await c.leader(200);
      if (l && l.name !== victim) seen = performance.now() - t0;
      else await sleep(5);
    }
  })();
  let seq = 0;
  const probes: Promise<void>[] = [];
  while (done === undefined && performance.now() - t0 < 10_000) {
    for (const s of survivors) {
      const key = `/failover/${round}/${s}/${seq++}`;
      probes.push(c.write(s, key, Buffer.from('x'), 3000).then(() => { done ??= performance.now() - t0; }, () => {}));
    }
    await sleep(10);
  }
  await Promise.all(probes);
  await watcher;
  if (done === undefined) throw new Error(`${c.label}: no write committed within 10 s of killing ${victim}`);
  return { writeMs: done, leaderMs: seen ?? NaN };
}

/** waitStable waits until every member is up, agrees on a leader and has applied within 50
 *  entries of the others. */
async function waitStable(c: BenchCluster): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const leader = await c.leader(500);
    const applied = await Promise.all(c.names.map((n) => c.applied(n)));
    if (leader && applied.every((a) => a !== undefined)) {
      const nums = applied as number[];
      if (Math.max(...nums) - Math.min(...nums) <= 50) {
        // A write through every member proves each one is serving again.
        try {
          for (const n of c.names) await c.write(n, `/stable/${n}/${i}`, Buffer.from('s'), 2000);
          return;
        } catch { /* not yet */ }
      }
    }
    await sleep(100);
  }
  throw new Error(`${c.label}: cluster did not become stable`);
}
