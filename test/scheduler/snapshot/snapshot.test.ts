/**
 * The snapshot: node sums follow pods in and out (bound or assumed), an observed bind confirms
 * an assumption, forget undoes one, a deleted node keeps its pods counted until they go, and
 * match counters stay bounded.
 */
import assert from 'node:assert/strict';
import { MatchCounters } from '../../../src/scheduler/snapshot/match-counters.js';
import { PodInfo } from '../../../src/scheduler/snapshot/pod-info.js';
import { node, pod, snapshotOf } from '../fixtures.js';

describe('scheduler snapshot', () => {
  it('adds and subtracts requests as pods are placed, assumed, confirmed and forgotten', () => {
    const snap = snapshotOf([node('a')], [pod('bound', { nodeName: 'a', cpu: '1' })]);
    const a = (): { cpu: number; pods: number } => ({ cpu: snap.node('a')!.requested.milliCpu,
      pods: snap.node('a')!.pods.size });
    assert.deepEqual(a(), { cpu: 1000, pods: 1 });
    snap.assume(new PodInfo(pod('new', { cpu: '500m' })), 'a');
    assert.ok(snap.isAssumed('default/new'));
    assert.deepEqual(a(), { cpu: 1500, pods: 2 });
    snap.addPod(new PodInfo(pod('new', { cpu: '500m', nodeName: 'a' })), 'a');
    assert.ok(!snap.isAssumed('default/new'), 'the observed bind confirms the assumption');
    snap.forget('default/new');
    assert.deepEqual(a(), { cpu: 1500, pods: 2 }, 'forget does not touch a confirmed pod');
    snap.assume(new PodInfo(pod('other', { cpu: '250m' })), 'a');
    snap.forget('default/other');
    assert.deepEqual(a(), { cpu: 1500, pods: 2 });
  });

  it('drops a deleted node from the node list but counts its pods until they are removed', () => {
    const snap = snapshotOf([node('a'), node('b'), node('c')], [pod('x', { nodeName: 'a' })]);
    snap.removeNode('a');
    assert.deepEqual(snap.nodeList.map((n) => n.name).sort(), ['b', 'c']);
    assert.equal(snap.node('a'), undefined);
    assert.equal(snap.placement('default/x')?.nodeName, 'a');
    snap.removePod('default/x');
    snap.setNode(node('a'));
    assert.equal(snap.node('a')?.pods.size, 0);
    assert.deepEqual(snap.nodeList.map((n) => n.listIndex), [0, 1, 2]);
  });

  it('keeps at most the configured number of counters, least recently used evicted', () => {
    const counters = new MatchCounters(2);
    const pred = (key: string): { key: string; matches: () => boolean } =>
      ({ key, matches: () => true });
    const placed = [{ info: new PodInfo(pod('x')), nodeName: 'a' }];
    let scans = 0;
    const scan = (): typeof placed => { scans++; return placed; };
    counters.perNode(pred('1'), scan);
    counters.perNode(pred('2'), scan);
    counters.perNode(pred('1'), scan);
    counters.perNode(pred('3'), scan);
    assert.equal(counters.size, 2);
    assert.equal(scans, 3);
    assert.equal(counters.perNode(pred('1'), scan).get('a'), 1, '1 was used recently: kept');
    assert.equal(scans, 3);
    counters.perNode(pred('2'), scan);
    assert.equal(scans, 4, '2 was evicted: rebuilt');
  });
});
