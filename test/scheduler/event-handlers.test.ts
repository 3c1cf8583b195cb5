/**
 * The informer handlers: which pods are queued (ours, unassigned, not gated, not terminating),
 * which are counted on nodes (assigned and not finished), how an observed bind confirms an
 * assumption, and that an update seen while a bind is in flight keeps the assumption.
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../src/api/core/v1/pod-types.js';
import { nodeHandlers, podHandlers } from '../../src/scheduler/event-handlers.js';
import { SchedulingQueue } from '../../src/scheduler/queue/scheduling-queue.js';
import { Snapshot } from '../../src/scheduler/snapshot/snapshot.js';
import { SimClock } from '../../src/sim/clock.js';
import { node, pod } from './fixtures.js';

type Setup = { snap: Snapshot; queue: SchedulingQueue; pods: ReturnType<typeof podHandlers> };

function setup(): Setup {
  const snap = new Snapshot();
  const queue = new SchedulingQueue({ clock: new SimClock(), interested: () => new Set() });
  nodeHandlers(snap, queue).add?.(node('a', { cpu: '2' }));
  return { snap, queue, pods: podHandlers(snap, queue, 'default-scheduler') };
}

describe('scheduler informer handlers', () => {
  it('queues only this scheduler\'s unassigned, ungated, live pods', () => {
    const { queue, pods } = setup();
    const dying = pod('dying');
    dying.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    const finished = pod('finished');
    finished.status = { phase: 'Succeeded' };
    for (const p of [pod('mine'), pod('theirs', { spec: { schedulerName: 'other' } }),
      pod('gated', { spec: { schedulingGates: [{ name: 'wait' }] } }), dying, finished]) {
      pods.add?.(p);
    }
    assert.equal(queue.where('default/mine'), 'active');
    for (const k of ['theirs', 'gated', 'dying', 'finished']) {
      assert.equal(queue.where(`default/${k}`), undefined, k);
    }
    pods.update?.(pod('gated'), pod('gated'));
    assert.equal(queue.where('default/gated'), 'active', 'gates removed: queued');
  });

  it('counts assigned pods on their node until they finish or go', () => {
    const { snap, pods } = setup();
    const p = pod('p', { nodeName: 'a', cpu: '1' });
    pods.add?.(p);
    assert.equal(snap.node('a')?.requested.milliCpu, 1000);
    const done: Pod = { ...p, status: { phase: 'Succeeded' } };
    pods.update?.(p, done);
    assert.equal(snap.node('a')?.requested.milliCpu, 0, 'a finished pod frees its requests');
    pods.add?.(pod('q', { nodeName: 'a', cpu: '1' }));
    pods.delete?.(pod('q', { nodeName: 'a', cpu: '1' }));
    assert.equal(snap.node('a')?.pods.size, 0);
  });

  it('a placed pod\'s status write leaves its placement as it is; a relabel or resize does not',
    () => {
      const { snap, pods } = setup();
      const p = pod('p', { nodeName: 'a', cpu: '1', labels: { app: 'x' } });
      pods.add?.(p);
      const placed = snap.placement('default/p');
      const running: Pod = { ...structuredClone(p), status: { phase: 'Running' } };
      pods.update?.(p, running);
      assert.equal(snap.placement('default/p'), placed, 'status only: the same placement');
      const relabelled = pod('p', { nodeName: 'a', cpu: '1', labels: { app: 'y' } });
      pods.update?.(running, relabelled);
      assert.notEqual(snap.placement('default/p'), placed);
      assert.deepEqual(snap.placement('default/p')?.info.labels, { app: 'y' });
      const bigger = pod('p', { nodeName: 'a', cpu: '2', labels: { app: 'y' } });
      pods.update?.(relabelled, bigger);
      assert.equal(snap.node('a')?.requested.milliCpu, 2000);
      const recreated = pod('p', { nodeName: 'a', cpu: '2', labels: { app: 'y' } });
      recreated.metadata.uid = 'uid-other';
      pods.update?.(bigger, recreated);
      assert.equal(snap.placement('default/p')?.info.uid, 'uid-other');
      const done: Pod = { ...recreated, status: { phase: 'Failed' } };
      pods.update?.(recreated, done);
      assert.equal(snap.placement('default/p'), undefined, 'finished: no longer counted');
    });

  it('keeps an assumption through updates of a pending pod; the bind confirms it', async () => {
    const { snap, queue, pods } = setup();
    const p = pod('p', { cpu: '1' });
    pods.add?.(p);
    const qp = await queue.pop();
    assert.ok(qp !== undefined);
    snap.assume(qp.info, 'a');
    pods.update?.(p, { ...p, metadata: { ...p.metadata, labels: { x: 'y' } } });
    assert.ok(snap.isAssumed('default/p'), 'an update before the bind is seen keeps it');
    assert.equal(snap.node('a')?.requested.milliCpu, 1000);
    pods.update?.(p, pod('p', { cpu: '1', nodeName: 'a' }));
    assert.ok(!snap.isAssumed('default/p'));
    assert.equal(snap.placement('default/p')?.nodeName, 'a');
    assert.equal(snap.node('a')?.requested.milliCpu, 1000, 'counted once');
    assert.equal(queue.where('default/p'), undefined, 'bound: no longer queued');
  });
});
