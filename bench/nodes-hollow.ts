/**
 * The hollow nodes benchmark (see bench/nodes-suite.ts): 3 masters (their control plane as static
 * pods of real kubelets) and N hollow nodes in P processes, started by the Supervisor; then one
 * Deployment of M pods. Progress comes from one informer of the benchmark namespace's pods (the
 * API's view: bound = spec.nodeName set, Running = status.phase), nodes from a list every 3 s.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Node } from '../src/api/core/v1/cluster-kinds.js';
import type { Pod } from '../src/api/core/v1/pod-types.js';
import { systemClock } from '../src/base/clock.js';
import type { ApiClient } from '../src/client/api-client.js';
import { SharedInformerFactory } from '../src/client/cache/factory.js';
import { HOLLOW_LABEL } from '../src/kubelet/hollow/options.js';
import { sleep } from './lib/cluster.js';
import { ensureNamespace, loadNote, NodeCluster } from './lib/node-cluster.js';
import { ms } from './lib/stats.js';
import type { NodesBenchOptions } from './nodes-suite.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
const NS = 'bench';
const MIB = 1024 * 1024;

function hollowYaml(o: NodesBenchOptions): string {
  const p = 37580;
  return [
    'name: bench-hollow',
    'members:',
    ...[1, 2, 3].map((i) => `  - { id: ${i}, name: m${i}, address: 127.0.9.${i}:${p}, ` +
      `client: 127.0.9.${i}:${p + 1}, api: 127.0.9.${i}:${p + 2}, grpc: 127.0.9.${i}:${p + 3} }`),
    // As cluster-configs/hollow-1000.yaml: etcd's own store timing (100 ms heartbeat, 1 s
    // election); with 150 ms a member's pause under a 30,000-pod state deposed the leader
    // ~100 times a run.
    'timing: { tickMs: 100, electionTicks: 10, heartbeatTicks: 1 }',
    'kubelet: { port: 10250, runtime: process }',
    // As cluster-configs/hollow-1000.yaml: Kubernetes' leader timing for a saturated control
    // plane (with the 550 ms default renew deadline, leaders churned hundreds of times a run).
    'controlPlane: { leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000 }',
    `hollow: { nodes: ${o.hollowNodes}, processes: ${o.hollowProcesses} }`,
    '',
  ].join('\n');
}

function isReady(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

async function readyHollow(api: ApiClient): Promise<number> {
  const list = await api.list<Node>(NODES, undefined, { labelSelector: `${HOLLOW_LABEL}=true` });
  return list.items.filter(isReady).length;
}

export async function runHollowBench(o: NodesBenchOptions): Promise<void> {
  const c = new NodeCluster({ yaml: hollowYaml(o) });
  const deadline = performance.now() + o.timeoutMin * 60_000;
  let failed = false;
  console.log(`\n## hollow: ${o.hollowNodes} hollow nodes in ${o.hollowProcesses} processes, ` +
    `${o.hollowPods} pods, 3 masters; bounded to ${o.timeoutMin} min`);
  try {
    const t0 = performance.now();
    console.log(`up (masters Ready) in ${ms(await c.start())}`);
    let ready = 0;
    while (ready < o.hollowNodes && performance.now() < deadline) {
      await sleep(3_000);
      ready = await readyHollow(c.api).catch(() => ready);
    }
    const nodesMs = performance.now() - t0;
    console.log(`${ready}/${o.hollowNodes} hollow nodes Ready ${ms(nodesMs)} after up began; ` +
      `${loadNote()}; RSS ${rssLine(c)}`);
    if (ready < o.hollowNodes) throw new Error('hollow nodes not all Ready in time');
    const pods = await runPods(c, o, deadline);
    if (Number.isNaN(pods.runningMs)) failed = true;
    const end = await readyHollow(c.api).catch(() => NaN);
    console.log(`\n| hollow nodes | pods | nodes Ready | all pods exist | all bound | ` +
      'all Running | total RSS | hollow nodes Ready at the end |');
    console.log('|---|---|---|---|---|---|---|---|');
    console.log(`| ${o.hollowNodes} (${o.hollowProcesses} processes) | ${o.hollowPods} | ` +
      `${ms(nodesMs)} | ${ms(pods.createdMs)} | ${ms(pods.boundMs)} | ${ms(pods.runningMs)} | ` +
      `${(totalRss(c) / MIB).toFixed(0)} MiB | ${end} |`);
    console.log(`RSS by process at the end: ${rssLine(c)}`);
  } catch (e) {
    console.log(`hollow failed: ${e instanceof Error ? e.message : String(e)}; RSS ${rssLine(c)}`);
    failed = true;
  } finally {
    console.log(`store at the end: ${await storeLine(c)}`);
    if (failed || o.keepLogsDir !== undefined) {
      const dir = o.keepLogsDir ?? mkdtempSync(join(tmpdir(), 'k8ts-bench-hollow-logs-'));
      c.keepLogs(dir);
      console.log(`component logs kept in ${dir}`);
    }
    await c.stop();
  }
}

interface PodTimes {
  createdMs: number;
  boundMs: number;
  runningMs: number;
}

/** runPods creates the Deployment and times (from its create) all pods existing, bound,
 *  Running; NaN for a milestone not reached before the deadline. */
async function runPods(c: NodeCluster, o: NodesBenchOptions, deadline: number): Promise<PodTimes> {
  await ensureNamespace(c.api, NS);
  const informers = new SharedInformerFactory(c.api, { clock: systemClock });
  const pods = informers.informerFor<Pod>(PODS, { namespace: NS });
  informers.start();
  await informers.waitForSync();
  const count = () => {
    const all = pods.lister.list(NS);
    return { exist: all.length, bound: all.filter((p) => (p.spec?.nodeName ?? '') !== '').length,
      running: all.filter((p) => p.status?.phase === 'Running').length };
  };
  const t0 = performance.now();
  await c.api.create(DEPLOYMENTS, NS, deployment(o.hollowPods));
  const times: PodTimes = { createdMs: NaN, boundMs: NaN, runningMs: NaN };
  let lastPrint = t0;
  try {
    while (performance.now() < deadline && Number.isNaN(times.runningMs)) {
      await sleep(1_000);
      const n = count();
      const at = performance.now() - t0;
      if (n.exist >= o.hollowPods && Number.isNaN(times.createdMs)) times.createdMs = at;
      if (n.bound >= o.hollowPods && Number.isNaN(times.boundMs)) times.boundMs = at;
      if (n.running >= o.hollowPods) times.runningMs = at;
      if (performance.now() - lastPrint >= 30_000 || !Number.isNaN(times.runningMs)) {
        lastPrint = performance.now();
        console.log(`+${(at / 1000).toFixed(0)} s: ${n.exist} exist, ${n.bound} bound, ` +
          `${n.running} Running; ${loadNote()}`);
      }
    }
  } finally {
    await informers.stopAndWait();
  }
  return times;
}

function deployment(replicas: number) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big', namespace: NS },
    spec: {
      replicas, selector: { matchLabels: { app: 'big' } },
      template: { metadata: { labels: { app: 'big' } },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] } },
    },
  };
}

/** storeLine: each store member's role, term, applied and snapshot index — the term counts the
 *  elections the run went through (1–2 for a steady store), so leader churn shows in the output. */
async function storeLine(c: NodeCluster): Promise<string> {
  const rows = await c.sup.rows().catch(() => []);
  return rows.map((r) => r.status === undefined ? `${r.spec.name} unreachable` :
    `${r.spec.name} ${r.status.role} term ${r.status.term} applied ${r.status.applied} ` +
    `snapshot ${r.status.snapshotIndex}`).join('; ') || 'no member answered';
}

function totalRss(c: NodeCluster): number {
  return [...c.rssByUnit().values()].reduce((a, b) => a + b, 0);
}

/** rssLine: "total N MiB (unit a MiB, ...)", units grouped by component. */
function rssLine(c: NodeCluster): string {
  const groups = new Map<string, number>();
  for (const [unit, bytes] of c.rssByUnit()) {
    // "m1" is a store member; "m1-apiserver", "w1-kubelet", "hollow0-hollow" name their kind.
    const key = /^[a-z]+\d+$/.test(unit) ? 'store' : unit.replace(/^[a-z]+\d+-/, '');
    groups.set(key, (groups.get(key) ?? 0) + bytes);
  }
  const total = [...groups.values()].reduce((a, b) => a + b, 0);
  const parts = [...groups].map(([k, v]) => `${k} ${(v / MIB).toFixed(0)}`).join(', ');
  return `total ${(total / MIB).toFixed(0)} MiB (${parts})`;
}
