/**
 * What an idle cluster burns (issue 6): a 3-master + 2-worker cluster (process runtime, the
 * nodes bench's startup cluster on loopback net N) is started as `k8ts up` starts it, left to
 * settle, then its CPU per process is read from /proc over W windows of S seconds each, as ms of
 * CPU per second of wall time, per unit ("m1-apiserver") and per process class (bench/nodes-suite's
 * cpuByClass). Every ms/s of idle is taken from the cores a pod burst needs.
 *
 *   node --import tsx bench/lib/idle-cpu.ts [--seconds 10] [--windows 3] [--settle 8] [--net 40]
 *        [--lease default|upstream]  (upstream: kube-scheduler's and kube-controller-manager's
 *                          15 s / 10 s / 2 s lease timing instead of k8ts' 100 ms renewals)
 *        [--extra-renewals N] (odd windows only: this process renews a Lease of its own N times
 *                          a second as the elector renews, so even minus odd windows over N is
 *                          what one renewal costs each class — same cluster, same sitting)
 *        [--extra-body full|nomf]   (the renewal's body as returned, or without managedFields)
 *        [--extra-watchers K]       (K watches of that Lease by name, as standbys watch)
 *        [--prof <dir>]   (every process CPU-profiled over the windows, bench/lib/node-prof.ts;
 *                          top self times per class printed)
 *
 * With --prof the numbers are of a cluster with a profiler attached: read the profiles for
 * where the time goes, and a run without for how much.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Lease } from '../../src/api/coordination/v1/lease.js';
import type { ApiClient } from '../../src/client/api-client.js';
import { LEASES, newLease, renewed } from '../../src/client/leader/lease-record.js';
import { sleep } from './cluster.js';
import { cpuMsOf, loadNote, NodeCluster, startupClusterYaml } from './node-cluster.js';
import { componentsProfilingEnv, selfTimeByFunction, toggleProfiling, topLines } from './node-prof.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    windows: { type: 'string', default: '3' },
    settle: { type: 'string', default: '8' },
    net: { type: 'string', default: '40' },
    prof: { type: 'string' },
    lease: { type: 'string', default: 'default' },
    'extra-renewals': { type: 'string', default: '0' },
    'extra-body': { type: 'string', default: 'full' },
    'extra-watchers': { type: 'string', default: '0' },
  },
});

/** idleYaml: the nodes bench's startup cluster (process runtime) moved to 127.0.net.x. */
function idleYaml(net: number, lease: string): string {
  if (lease !== 'default' && lease !== 'upstream') throw new Error('--lease: default or upstream');
  return startupClusterYaml({ name: `idle-cpu-${net}`, runtime: 'process', net,
    upstreamLeases: lease === 'upstream' });
}

/** classOf: the process class of a unit, as the nodes bench names them. */
function classOf(unit: string): string {
  const dash = unit.indexOf('-');
  const component = dash < 0 ? 'store' : unit.slice(dash + 1);
  return /^w\d+-/.test(unit) ? `w-${component}` : component;
}

function sumByClass(perUnit: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [u, v] of perUnit) out.set(classOf(u), (out.get(classOf(u)) ?? 0) + v);
  return out;
}

function line(m: Map<string, number>): string {
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  return [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .concat(`total ${total.toFixed(0)}`).join(', ');
}

async function main(): Promise<void> {
  const net = Number(values.net);
  const seconds = Number(values.seconds);
  const windows = Number(values.windows);
  const profDir = values.prof === undefined ? undefined : resolve(values.prof);
  if (profDir !== undefined) mkdirSync(profDir, { recursive: true });
  const env = profDir === undefined ? undefined : componentsProfilingEnv(profDir, 1000);
  const c = new NodeCluster({ yaml: idleYaml(net, values.lease), env });
  try {
    const upMs = await c.start();
    console.log(`# up in ${upMs.toFixed(0)} ms; lease timing ${values.lease}; ${loadNote()}`);
    await sleep(Number(values.settle) * 1000);
    const roots = [...c.units()].map(([, pids]) => pids[0] ?? 0);
    if (profDir !== undefined) toggleProfiling(roots);
    const totals = new Map<string, number>();
    const extra = Number(values['extra-renewals']);
    const renewer = extra > 0 ? await ExtraRenewer.start(c.api, Number(values['extra-watchers']),
      values['extra-body'] === 'nomf') : undefined;
    const split = { on: new Map<string, number>(), off: new Map<string, number>(), onMs: 0,
      offMs: 0, renewals: 0, clientUs: 0, clientIdleUs: 0 };
    let wallMs = 0;
    for (let w = 0; w < windows; w++) {
      const c0 = cpuMsOf(c.units(), /./);
      const t0 = performance.now();
      const on = renewer !== undefined && w % 2 === 0;
      const n0 = renewer?.count ?? 0;
      const u0 = process.cpuUsage();
      if (on) await renewer.run(extra, seconds * 1000);
      else await sleep(seconds * 1000);
      const u1 = process.cpuUsage(u0);
      if (on) split.clientUs += u1.user + u1.system;
      else split.clientIdleUs += u1.user + u1.system;
      const dt = performance.now() - t0;
      if (renewer !== undefined) {
        const c1 = cpuMsOf(c.units(), /./);
        const into = on ? split.on : split.off;
        for (const [u, v] of sumByClass(new Map([...c1].map(([u2, v2]) => [u2, v2 - (c0.get(u2) ?? 0)])))) {
          into.set(u, (into.get(u) ?? 0) + v);
        }
        if (on) [split.onMs, split.renewals] = [split.onMs + dt, split.renewals + renewer.count - n0];
        else split.offMs += dt;
      }
      const c1 = cpuMsOf(c.units(), /./);
      const rate = new Map([...c1].map(([u, v]) => [u, ((v - (c0.get(u) ?? 0)) * 1000) / dt]));
      for (const [u, v] of rate) totals.set(u, (totals.get(u) ?? 0) + v * dt);
      wallMs += dt;
      console.log(`window ${w + 1} (${(dt / 1000).toFixed(1)} s, ${loadNote()}), ms/s by class: ` +
        line(sumByClass(rate)));
    }
    if (profDir !== undefined) toggleProfiling(roots);
    if (renewer !== undefined) {
      await renewer.stop();
      // CPU per extra renewal: (on-window CPU - the off-windows' rate over as long) / renewals.
      const per = new Map([...split.on].map(([k, v]) =>
        [k, (1000 * (v - ((split.off.get(k) ?? 0) * split.onMs) / Math.max(1, split.offMs))) /
          Math.max(1, split.renewals)]));
      const total = [...per.values()].reduce((a, b) => a + b, 0);
      console.log(`\nextra renewals: ${split.renewals} in ${(split.onMs / 1000).toFixed(1)} s ` +
        `(body ${values['extra-body']}, ${values['extra-watchers']} watchers); CPU µs per renewal ` +
        `by class: ${[...per].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', ')}, total ${total.toFixed(0)}; the renewing client (this process) ` +
        `${((split.clientUs - (split.clientIdleUs * split.onMs) / Math.max(1, split.offMs)) /
          Math.max(1, split.renewals)).toFixed(0)}`);
    }
    const mean = new Map([...totals].map(([u, v]) => [u, v / wallMs]));
    console.log(`\nall windows, ms/s by unit: ${line(mean)}`);
    console.log(`all windows, ms/s by class: ${line(sumByClass(mean))}`);
    if (profDir !== undefined) {
      await sleep(2000); // the profiles are written asynchronously
      const byClass = new Map<string, Set<number>>();
      for (const [u, pids] of c.units()) {
        const s = byClass.get(classOf(u)) ?? new Set<number>();
        s.add(pids[0] ?? 0);
        byClass.set(classOf(u), s);
      }
      for (const [cls, pids] of byClass) {
        console.log(`\nprofile ${cls} (${pids.size} processes), self time per second of idle:`);
        // topLines divides by "pods": pass the seconds, so the figures are µs per second.
        for (const l of topLines(selfTimeByFunction(profDir, pids), wallMs / 1000, 25)) {
          console.log(l.replace('µs/pod', 'µs/s').replace('µs per pod', 'µs per s'));
        }
      }
    }
  } finally {
    await c.stop();
  }
}

/** ExtraRenewer: a Lease renewed as the elector renews one (update with the last answer's
 *  resourceVersion), and watchers of it by name as standbys watch theirs. */
class ExtraRenewer {
  count = 0;
  private readonly stops: (() => void)[] = [];
  private lease: Lease;

  private constructor(private readonly api: ApiClient, first: Lease, private readonly nomf: boolean) {
    this.lease = first;
  }

  static async start(api: ApiClient, watchers: number, nomf: boolean): Promise<ExtraRenewer> {
    const fresh = newLease('kube-system', 'idle-bench', 'idle-bench', 600, Date.now());
    const got = await api.create<Lease>(LEASES, 'kube-system', fresh)
      .catch(() => api.get<Lease>(LEASES, 'kube-system', 'idle-bench'));
    const r = new ExtraRenewer(api, got, nomf);
    for (let i = 0; i < watchers; i++) {
      const w = api.watch<Lease>(LEASES, 'kube-system', { fieldSelector: 'metadata.name=idle-bench' });
      r.stops.push(() => w.stop());
      void (async () => {
        try {
          for await (const _ of w) { /* delivered: the standby's cost */ }
        } catch { /* stopped */ }
      })();
    }
    return r;
  }

  /** run renews every 1000/perSecond ms (after the previous answer, as renewLoop) for ms. */
  async run(perSecond: number, ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const t = performance.now();
      const next = renewed(this.lease, 600, Date.now());
      if (this.nomf) delete next.metadata.managedFields;
      this.lease = await this.api.update<Lease>(LEASES, 'kube-system', next);
      this.count++;
      await sleep(Math.max(0, 1000 / perSecond - (performance.now() - t)));
    }
  }

  async stop(): Promise<void> {
    for (const s of this.stops) s();
    await this.api.delete(LEASES, 'kube-system', 'idle-bench').catch(() => undefined);
  }
}

await main();
