/**
 * NodeResourcesFit and NodeResourcesBalancedAllocation: pod requests (containers summed, init
 * containers maxed, sidecars added, overhead), every insufficient resource named with upstream's
 * text, and the LeastAllocated and balanced scores.
 */
import assert from 'node:assert/strict';
import { Code } from '../../../../src/scheduler/framework/status.js';
import {
  balancedAllocationPlugin,
  balancedScore,
} from '../../../../src/scheduler/plugins/node-resources/balanced-allocation.js';
import {
  leastRequestedScore,
  nodeResourcesFitPlugin,
} from '../../../../src/scheduler/plugins/node-resources/fit.js';
import { podRequests } from '../../../../src/scheduler/snapshot/resources.js';
import { node, pod, reasonsByNode, runFilter, runScore, snapshotOf } from '../../fixtures.js';

describe('scheduler plugin NodeResourcesFit', () => {
  it('computes requests: max(containers + sidecars, each init container) + overhead', () => {
    const p = pod('p', {
      containers: [
        { name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } },
        { name: 'b', resources: { requests: { cpu: '200m' } } },
      ],
      spec: {
        initContainers: [
          { name: 'big-init', resources: { requests: { cpu: '1', memory: '32Mi' } } },
          { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { memory: '16Mi' } } },
        ],
        overhead: { cpu: '10m' },
      },
    });
    const r = podRequests(p);
    assert.equal(r.milliCpu, 1010, 'init container 1 cpu beats 300m of containers, + overhead');
    assert.equal(r.memory, (64 + 16) * 1024 * 1024, 'sidecar memory adds to the containers');
    const nz = podRequests(pod('q'), true);
    assert.deepEqual([nz.milliCpu, nz.memory], [100, 200 * 1024 * 1024], 'scoring defaults');
  });

  it('names every insufficient resource, and too many pods', () => {
    const snap = snapshotOf([
      node('small', { cpu: '1', memory: '1Gi', extra: { 'example.com/gpu': '1' } }),
      node('full', { pods: '1' }),
      node('big', { cpu: '8', memory: '16Gi', extra: { 'example.com/gpu': '4' } }),
    ], [pod('x', { nodeName: 'full' })]);
    const p = pod('p', { containers: [{ name: 'c', resources: { requests: { cpu: '2',
      memory: '2Gi', 'example.com/gpu': '2' } } }] });
    const got = runFilter(nodeResourcesFitPlugin(), snap, p);
    assert.deepEqual(reasonsByNode(got), {
      small: 'Insufficient cpu; Insufficient memory; Insufficient example.com/gpu',
      full: 'Too many pods; Insufficient example.com/gpu',
      big: '',
    });
    assert.ok(got !== 'skip' && got.get('small')?.code === Code.Unschedulable);
  });

  it('counts requests already placed, and frees them when pods go', () => {
    const snap = snapshotOf([node('a', { cpu: '1' })], [pod('x', { nodeName: 'a', cpu: '600m' })]);
    const p = pod('p', { cpu: '500m' });
    assert.deepEqual(reasonsByNode(runFilter(nodeResourcesFitPlugin(), snap, p)),
      { a: 'Insufficient cpu' });
    snap.removePod('default/x');
    assert.deepEqual(reasonsByNode(runFilter(nodeResourcesFitPlugin(), snap, p)), { a: '' });
  });

  it('scores LeastAllocated: more free cpu and memory after placement is better', () => {
    assert.equal(leastRequestedScore(1000, 4000), 75);
    assert.equal(leastRequestedScore(5000, 4000), 0);
    const snap = snapshotOf([node('idle'), node('busy')],
      [pod('x', { nodeName: 'busy', cpu: '2', memory: '4Gi' })]);
    const scores = runScore(nodeResourcesFitPlugin(), snap, pod('p', { cpu: '1', memory: '2Gi' }));
    assert.deepEqual(scores, { idle: 75, busy: 25 });
  });
});

describe('scheduler plugin NodeResourcesBalancedAllocation', () => {
  it('scores 100 × (1 - std of the used fractions)', () => {
    assert.equal(balancedScore([2000, 4 * 2 ** 30], [4000, 8 * 2 ** 30]), 100);
    assert.equal(balancedScore([4000, 0], [4000, 8 * 2 ** 30]), 50);
    assert.equal(balancedScore([1, 1, 0], [1, 2, 4]), Math.trunc((1 - Math.sqrt(1 / 6)) * 100));
    const snap = snapshotOf([node('cpu-heavy'), node('even')], [
      pod('x', { nodeName: 'cpu-heavy', cpu: '3' }),
      pod('y', { nodeName: 'even', cpu: '1', memory: '2Gi' }),
    ]);
    const p = pod('p', { cpu: '1', memory: '2Gi' });
    const scores = runScore(balancedAllocationPlugin(), snap, p);
    assert.deepEqual(scores, { 'cpu-heavy': 62, even: 100 }, 'cpu 4/4, memory 2/8: std 0.375');
  });
});
