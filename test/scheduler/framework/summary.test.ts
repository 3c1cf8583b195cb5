/**
 * The FailedScheduling summary is upstream's FitError text: "0/N nodes are available: " then
 * the reasons histogram ("<count> <reason>", sorted as strings, joined by ", ") and a period;
 * a PreFilter rejection replaces the histogram; no preemption suffix (k8ts has none).
 */
import assert from 'node:assert/strict';
import { Prng } from '../../../src/base/prng.js';
import { defaultProfile } from '../../../src/scheduler/default-profile.js';
import {
  fitErrorMessage,
  newDiagnosis,
} from '../../../src/scheduler/framework/fit-error.js';
import { runCycle } from '../../../src/scheduler/framework/runner.js';
import { unresolvable, unschedulable } from '../../../src/scheduler/framework/status.js';
import { PodInfo } from '../../../src/scheduler/snapshot/pod-info.js';
import { node, pod, snapshotOf } from '../fixtures.js';

describe('scheduler FailedScheduling summary', () => {
  it('counts reasons per node and sorts the entries as strings', () => {
    const d = newDiagnosis();
    const cpu = unschedulable('F', 'Insufficient cpu');
    for (let i = 0; i < 10; i++) d.nodeStatuses.set(`n${i}`, cpu);
    d.nodeStatuses.set('m1', unschedulable('F', 'Insufficient cpu', 'Insufficient memory'));
    d.nodeStatuses.set('t1', unresolvable('T', 'node(s) had untolerated taint {a: }'));
    d.nodeStatuses.set('t2', unresolvable('T', 'node(s) had untolerated taint {a: }'));
    assert.equal(fitErrorMessage(13, d), '0/13 nodes are available: 1 Insufficient memory, ' +
      '11 Insufficient cpu, 2 node(s) had untolerated taint {a: }.');
  });

  it('uses the PreFilter message alone when a PreFilter rejected the pod', () => {
    const d = newDiagnosis();
    d.preFilterMsg = 'pod affinity terms conflict';
    d.nodeStatuses.set('a', unschedulable('F', 'ignored'));
    assert.equal(fitErrorMessage(3, d), '0/3 nodes are available: pod affinity terms conflict.');
  });

  it('renders what a real cycle found: the first rejecting filter per node', () => {
    const cp = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const };
    const snap = snapshotOf([
      node('m1', { taints: [cp] }), node('m2', { taints: [cp] }),
      node('w1', { cpu: '1' }), node('w2', { cpu: '1' }), node('w3', { cpu: '1', memory: '1Gi' }),
    ]);
    const out = runCycle(defaultProfile(), snap, new PodInfo(pod('p', { cpu: '2', memory: '2Gi' })),
      { startIndex: 0, prng: new Prng(1) });
    assert.equal(out.kind, 'unschedulable');
    assert.equal(out.kind === 'unschedulable' ? out.message : '', '0/5 nodes are available: ' +
      '1 Insufficient memory, 2 node(s) had untolerated taint ' +
      '{node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu.');
    assert.deepEqual(out.kind === 'unschedulable' ? [...out.plugins].sort() : [],
      ['NodeResourcesFit', 'TaintToleration']);
  });

  it('says "no nodes available to schedule pods" in an empty cluster', () => {
    const out = runCycle(defaultProfile(), snapshotOf([]), new PodInfo(pod('p')),
      { startIndex: 0, prng: new Prng(1) });
    assert.deepEqual(out, { kind: 'unschedulable', message: 'no nodes available to schedule pods',
      plugins: new Set(), nextStartIndex: 0 });
  });
});
