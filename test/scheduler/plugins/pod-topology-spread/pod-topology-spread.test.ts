/**
 * PodTopologySpread: the skew rule over eligible domains (node affinity honoured, missing
 * topology labels unresolvable, minDomains, self-match), who is counted (namespace, selector,
 * not terminating), counts kept incrementally as pods come and go, and the ScheduleAnyway score.
 */
import assert from 'node:assert/strict';
import type { Pod, TopologySpreadConstraint } from '../../../../src/api/core/v1/pod-types.js';
import { Code } from '../../../../src/scheduler/framework/status.js';
import {
  podTopologySpreadPlugin,
} from '../../../../src/scheduler/plugins/pod-topology-spread/pod-topology-spread.js';
import { PodInfo } from '../../../../src/scheduler/snapshot/pod-info.js';
import { node, pod, reasonsByNode, runFilter, runScore, snapshotOf } from '../../fixtures.js';

const SKEW = "node(s) didn't match pod topology spread constraints";
const NO_LABEL = `${SKEW} (missing required label)`;
const web = { app: 'web' };

function spread(c: Partial<TopologySpreadConstraint> = {}, extra: Partial<Pod['spec']> = {},
  labels = web): Pod {
  const constraint: TopologySpreadConstraint = { maxSkew: 1, topologyKey: 'zone',
    whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: web }, ...c };
  return pod('new', { labels, spec: { topologySpreadConstraints: [constraint], ...extra } });
}

describe('scheduler plugin PodTopologySpread', () => {
  const nodes = [
    node('a', { labels: { zone: 'z1' } }),
    node('b', { labels: { zone: 'z1' } }),
    node('c', { labels: { zone: 'z2' } }),
    node('nolabel'),
  ];
  const placed = [
    pod('w1', { nodeName: 'a', labels: web }),
    pod('w2', { nodeName: 'b', labels: web }),
    pod('other-ns', { nodeName: 'c', labels: web, ns: 'elsewhere' }),
    pod('db', { nodeName: 'c', labels: { app: 'db' } }),
  ];

  it('skips pods without constraints', () => {
    assert.equal(runFilter(podTopologySpreadPlugin(), snapshotOf(nodes, placed), pod('p')), 'skip');
  });

  it('rejects domains that would exceed maxSkew; a node without the key is unresolvable', () => {
    const got = runFilter(podTopologySpreadPlugin(), snapshotOf(nodes, placed), spread());
    assert.deepEqual(reasonsByNode(got), { a: SKEW, b: SKEW, c: '', nolabel: NO_LABEL });
    assert.ok(got !== 'skip');
    assert.equal(got.get('a')?.code, Code.Unschedulable);
    assert.equal(got.get('nolabel')?.code, Code.UnschedulableAndUnresolvable);
  });

  it('a pod that does not match its own selector adds nothing to the domain', () => {
    const got = runFilter(podTopologySpreadPlugin(), snapshotOf(nodes, placed),
      spread({ maxSkew: 2 }, {}, { app: 'other' }));
    assert.deepEqual(reasonsByNode(got), { a: '', b: '', c: '', nolabel: NO_LABEL });
  });

  it('counts only domains of nodes matching the node selector (nodeAffinityPolicy Honor)', () => {
    const snap = snapshotOf(nodes, placed);
    const z1 = { nodeSelector: { zone: 'z1' } };
    const honored = runFilter(podTopologySpreadPlugin(), snap, spread({}, z1));
    assert.deepEqual(reasonsByNode(honored), { a: '', b: '', c: '', nolabel: NO_LABEL },
      'only z1 is a domain: its min is 2, skew 1');
    const ignored = runFilter(podTopologySpreadPlugin(), snap,
      spread({ nodeAffinityPolicy: 'Ignore' }, { nodeSelector: { zone: 'z1' } }));
    assert.equal(reasonsByNode(ignored).a, SKEW);
  });

  it('treats the global minimum as 0 while there are fewer domains than minDomains', () => {
    const snap = snapshotOf(nodes, [...placed, pod('w3', { nodeName: 'c', labels: web })]);
    const plain = runFilter(podTopologySpreadPlugin(), snap, spread({ maxSkew: 2 }));
    assert.deepEqual(reasonsByNode(plain), { a: '', b: '', c: '', nolabel: NO_LABEL },
      'z1=2, z2=1: min 1, the worst skew is 2');
    const three = runFilter(podTopologySpreadPlugin(), snap, spread({ maxSkew: 2, minDomains: 3 }));
    assert.deepEqual(reasonsByNode(three), { a: SKEW, b: SKEW, c: '', nolabel: NO_LABEL },
      'two domains < minDomains 3: min counts as 0');
  });

  it('keeps counts current as pods are assumed and removed (no rescans)', () => {
    const snap = snapshotOf(nodes, placed);
    runFilter(podTopologySpreadPlugin(), snap, spread());
    const counters = snap.counters.size;
    for (const name of ['w3', 'w4', 'w5']) {
      snap.assume(new PodInfo(pod(name, { labels: web })), 'c');
    }
    assert.deepEqual(reasonsByNode(runFilter(podTopologySpreadPlugin(), snap, spread())),
      { a: '', b: '', c: SKEW, nolabel: NO_LABEL }, 'z1=2, z2=3');
    snap.forget('default/w4');
    snap.forget('default/w5');
    snap.removePod('default/w1');
    assert.deepEqual(reasonsByNode(runFilter(podTopologySpreadPlugin(), snap, spread())),
      { a: '', b: '', c: '', nolabel: NO_LABEL }, 'z1=1, z2=1');
    assert.equal(snap.counters.size, counters, 'the same selector reuses its counter');
  });

  it('does not count terminating pods', () => {
    const dying = ['d1', 'd2', 'd3'].map((name) => {
      const p = pod(name, { nodeName: 'c', labels: web });
      p.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
      return p;
    });
    const snap = snapshotOf(nodes, [...placed, ...dying]);
    assert.equal(reasonsByNode(runFilter(podTopologySpreadPlugin(), snap, spread())).c, '',
      'counted, z2 would hold 3 and reject c');
  });

  it('scores ScheduleAnyway constraints: fewer matching pods in the domain is better', () => {
    const snap = snapshotOf(nodes, [...placed, pod('w3', { nodeName: 'a', labels: web })]);
    const p = spread({ whenUnsatisfiable: 'ScheduleAnyway',
      topologyKey: 'kubernetes.io/hostname' });
    const scores = runScore(podTopologySpreadPlugin(), snap, p);
    assert.ok(scores !== 'skip');
    assert.ok(scores.c! > scores.b! && scores.b! > scores.a!, JSON.stringify(scores));
    assert.equal(scores.c, 100);
    const zoneScores = runScore(podTopologySpreadPlugin(), snap,
      spread({ whenUnsatisfiable: 'ScheduleAnyway' }));
    assert.ok(zoneScores !== 'skip');
    assert.equal(zoneScores.nolabel, 0, 'a node without the key is ignored (0)');
    assert.ok(zoneScores.c! > zoneScores.a! && zoneScores.a === zoneScores.b);
    assert.equal(runScore(podTopologySpreadPlugin(), snap, spread()), 'skip');
  });
});
