/**
 * Micro-benchmark of the pure scheduling path (no API): N nodes, P pending pods, each pod's
 * cycle plus the assume that follows, as the scheduler's loop does. Prints cycles per second.
 * Not a test (no assertions on speed): run it by hand when changing plugins or the snapshot:
 *   node --import tsx test/scheduler/micro-bench.ts [nodes=1000] [pods=10000] [spread]
 * "spread" gives every pod a zone topology spread constraint and a hostname anti-affinity term.
 */
import { Prng } from '../../src/base/prng.js';
import { defaultProfile } from '../../src/scheduler/default-profile.js';
import { runCycle } from '../../src/scheduler/framework/runner.js';
import { PodInfo } from '../../src/scheduler/snapshot/pod-info.js';
import { node, pod, snapshotOf } from './fixtures.js';

const numNodes = Number(process.argv[2] ?? 1000);
const numPods = Number(process.argv[3] ?? 10000);
const spread = process.argv[4] === 'spread';

const snap = snapshotOf(Array.from({ length: numNodes }, (_, i) =>
  node(`n${i}`, { cpu: '32', memory: '128Gi', labels: { zone: `z${i % 10}` } })));
const profile = defaultProfile();
const infos = Array.from({ length: numPods }, (_, i) => new PodInfo(pod(`p${i}`, {
  cpu: '100m', memory: '128Mi', labels: { app: `app${i % 100}` },
  ...(spread ? { spec: {
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app: `app${i % 100}` } } }],
    affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10,
      podAffinityTerm: { topologyKey: 'kubernetes.io/hostname',
        labelSelector: { matchLabels: { app: `app${i % 100}` } } } }] } },
  } } : {}),
})));
const prng = new Prng(1);
let start = 0;
let placed = 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (const info of infos) {
  const out = runCycle(profile, snap, info, { startIndex: start, prng });
  start = out.nextStartIndex;
  if (out.kind === 'fit') {
    snap.assume(info, out.nodeName);
    placed++;
  }
}
const ms = performance.now() - t0;
const cpuMs = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000;
const what = spread ? ' (spread + anti-affinity)' : '';
process.stdout.write(`${numNodes} nodes, ${numPods} pods${what}: ` +
  `${placed} placed in ${ms.toFixed(0)} ms (${cpuMs.toFixed(0)} ms CPU) = ` +
  `${(numPods / (cpuMs / 1000)).toFixed(0)} cycles per CPU second\n`);
