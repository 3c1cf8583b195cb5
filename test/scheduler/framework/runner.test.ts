/**
 * The cycle runner: upstream's adaptive number of feasible nodes to find, the rotating window
 * of nodes, scoring that picks the best node, seeded tie-breaking, and Skip/PreFilter handling.
 */
import assert from 'node:assert/strict';
import { Prng } from '../../../src/base/prng.js';
import { defaultProfile } from '../../../src/scheduler/default-profile.js';
import type { Plugin } from '../../../src/scheduler/framework/interfaces.js';
import { numFeasibleNodesToFind } from '../../../src/scheduler/framework/num-feasible.js';
import { Profile } from '../../../src/scheduler/framework/profile.js';
import { runCycle } from '../../../src/scheduler/framework/runner.js';
import { errorStatus, skip, unresolvable } from '../../../src/scheduler/framework/status.js';
import { PodInfo } from '../../../src/scheduler/snapshot/pod-info.js';
import { node, pod, snapshotOf } from '../fixtures.js';

describe('scheduler cycle runner', () => {
  it('finds upstream\'s adaptive number of feasible nodes', () => {
    assert.equal(numFeasibleNodesToFind(50), 50, 'under 100 nodes: all');
    assert.equal(numFeasibleNodesToFind(100), 100);
    assert.equal(numFeasibleNodesToFind(500), 230, '46% of 500');
    assert.equal(numFeasibleNodesToFind(1000), 420, '42% of 1000');
    assert.equal(numFeasibleNodesToFind(5000), 500, '50 - 5000/125 = 10%');
    assert.equal(numFeasibleNodesToFind(6000), 300, '5% of 6000');
    assert.equal(numFeasibleNodesToFind(1500, 100), 1500);
    assert.equal(numFeasibleNodesToFind(1500, 1), 100, 'at least 100');
  });

  it('stops filtering once enough nodes are feasible and rotates the window', () => {
    const snap = snapshotOf(Array.from({ length: 1000 }, (_, i) => node(`n${i}`)));
    const p = new PodInfo(pod('p', { cpu: '100m' }));
    const first = runCycle(defaultProfile(), snap, p, { startIndex: 0, prng: new Prng(1) });
    assert.equal(first.kind, 'fit');
    if (first.kind !== 'fit') return;
    assert.deepEqual([first.evaluatedNodes, first.feasibleNodes, first.nextStartIndex],
      [420, 420, 420]);
    const second = runCycle(defaultProfile(), snap, p, { startIndex: 900, prng: new Prng(1) });
    assert.equal(second.nextStartIndex, 320, 'wraps around');
  });

  it('picks the best-scoring node', () => {
    const snap = snapshotOf([node('busy'), node('idle'), node('half')], [
      pod('x', { nodeName: 'busy', cpu: '3', memory: '6Gi' }),
      pod('y', { nodeName: 'half', cpu: '2', memory: '4Gi' }),
    ]);
    const out = runCycle(defaultProfile(), snap, new PodInfo(pod('p', { cpu: '1', memory: '1Gi' })),
      { startIndex: 0, prng: new Prng(1) });
    assert.equal(out.kind === 'fit' ? out.nodeName : out.kind, 'idle');
  });

  it('breaks ties with the seeded PRNG: same seed, same choice; every tied node reachable', () => {
    const snap = snapshotOf(['a', 'b', 'c', 'd'].map((n) => node(n)));
    const p = new PodInfo(pod('p'));
    const pick = (seed: number): string => {
      const out = runCycle(defaultProfile(), snap, p, { startIndex: 0, prng: new Prng(seed) });
      return out.kind === 'fit' ? out.nodeName : out.kind;
    };
    assert.equal(pick(7), pick(7));
    const seen = new Set(Array.from({ length: 64 }, (_, i) => pick(i)));
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c', 'd']);
  });

  it('skips the filter after a PreFilter Skip; a PreFilter rejection rejects every node', () => {
    let filtered = 0;
    const counting = (pre: Plugin['preFilter']): Plugin => ({ name: 'S', events: [],
      preFilter: pre, filter: () => { filtered++; return null; } });
    const snap = snapshotOf([node('a'), node('b')]);
    const run = (pl: Plugin): ReturnType<typeof runCycle> => runCycle(
      new Profile([{ plugin: pl, weight: 0 }]), snap, new PodInfo(pod('p')),
      { startIndex: 0, prng: new Prng(1) });
    assert.equal(run(counting(() => skip('S'))).kind, 'fit');
    assert.equal(filtered, 0);
    assert.equal(run(counting(() => null)).kind, 'fit');
    assert.equal(filtered, 2);
    const rejected = run(counting(() => unresolvable('S', 'never')));
    assert.equal(rejected.kind === 'unschedulable' ? rejected.message : '',
      '0/2 nodes are available: never.');
    assert.equal(filtered, 2);
  });

  it('ends the cycle with an error when a filter fails', () => {
    const broken: Plugin = { name: 'B', events: [], filter: () => errorStatus('B', 'boom') };
    const err = runCycle(new Profile([{ plugin: broken, weight: 0 }]), snapshotOf([node('a')]),
      new PodInfo(pod('p')), { startIndex: 0, prng: new Prng(1) });
    assert.deepEqual(err, { kind: 'error', message: 'boom', plugin: 'B', nextStartIndex: 0 });
  });
});
