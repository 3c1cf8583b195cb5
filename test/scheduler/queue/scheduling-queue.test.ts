/**
 * The scheduling queue on a simulated clock: activeQ order, exponential backoff per pod,
 * unschedulable pods moved only by events their rejecting plugins care about, events during a
 * pod's flight, the 5-minute flush, updates, deletes and close.
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { backoffDelayMs } from '../../../src/scheduler/queue/backoff.js';
import { SchedulingQueue, type QueuedPod } from '../../../src/scheduler/queue/scheduling-queue.js';
import type { ClusterEvent } from '../../../src/scheduler/framework/events.js';
import { PodInfo } from '../../../src/scheduler/snapshot/pod-info.js';
import { SimClock } from '../../../src/sim/clock.js';
import { pod } from '../fixtures.js';

const INTEREST: Partial<Record<ClusterEvent, string[]>> = {
  NodeAdd: ['NodeResourcesFit', 'TaintToleration'],
  PodDelete: ['NodeResourcesFit'],
  NodeTaint: ['TaintToleration'],
};

function setup(): { q: SchedulingQueue; clock: SimClock; advance: (ms: number) => void } {
  const clock = new SimClock();
  const q = new SchedulingQueue({ clock, interested: (ev) => new Set(INTEREST[ev] ?? []) });
  q.start();
  const advance = (ms: number): void => {
    const until = clock.nowMs() + ms;
    for (let t = clock.nextAtMs(); t !== undefined && t <= until; t = clock.nextAtMs()) {
      clock.step();
    }
    clock.advanceTo(until);
  };
  return { q, clock, advance };
}

function info(name: string, priority = 0, extra: Partial<Pod['spec']> = {}): PodInfo {
  return new PodInfo(pod(name, { spec: { priority, ...extra } }));
}

async function popName(q: SchedulingQueue): Promise<QueuedPod> {
  const qp = await q.pop();
  assert.ok(qp !== undefined);
  return qp;
}

describe('scheduler queue', () => {
  it('pops higher priority first, then the longest waiting', async () => {
    const { q, advance } = setup();
    q.add(info('low-old', 0));
    advance(10);
    q.add(info('high', 10));
    q.add(info('low-new', 0));
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await popName(q)).info.name);
    assert.deepEqual(order, ['high', 'low-old', 'low-new']);
    q.close();
  });

  it('backs off 1 s, 2 s, 4 s, 8 s, then 10 s per failed attempt', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 9].map((n) => backoffDelayMs(n)),
      [1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('parks a rejected pod until an event its rejecting plugin registered for', async () => {
    const { q, advance } = setup();
    q.add(info('p'));
    const qp = await popName(q);
    advance(1);
    q.addUnschedulable(qp, new Set(['NodeResourcesFit']));
    assert.equal(q.where('default/p'), 'unschedulable');
    q.onEvent('NodeTaint');
    assert.equal(q.where('default/p'), 'unschedulable', 'TaintToleration did not reject it');
    advance(5_000);
    q.onEvent('PodDelete');
    assert.equal(q.where('default/p'), 'active', 'backoff (1 s) is over');
    q.close();
  });

  it('moves a pod still backing off to backoffQ, then to activeQ when it ends', async () => {
    const { q, advance } = setup();
    q.add(info('p'));
    const qp = await popName(q);
    advance(1);
    q.addUnschedulable(qp, new Set(['TaintToleration']));
    q.onEvent('NodeTaint');
    assert.equal(q.where('default/p'), 'backoff');
    advance(999);
    assert.equal(q.where('default/p'), 'backoff');
    advance(1_000);
    assert.equal(q.where('default/p'), 'active', 'the 1 s flush found the expired backoff');
    q.close();
  });

  it('sends a pod rejected on a stale view (an event arrived in flight) to backoffQ', async () => {
    const { q } = setup();
    q.add(info('p'));
    const qp = await popName(q);
    q.onEvent('PodDelete');
    q.addUnschedulable(qp, new Set(['TaintToleration']));
    assert.equal(q.where('default/p'), 'backoff');
    q.close();
  });

  it('retries every unschedulable pod after 5 minutes without events', async () => {
    const { q, advance } = setup();
    q.add(info('p'));
    q.addUnschedulable(await popName(q), new Set(['TaintToleration']));
    advance(4 * 60_000);
    assert.equal(q.where('default/p'), 'unschedulable');
    advance(60_000 + 30_000);
    assert.equal(q.where('default/p'), 'active');
    q.close();
  });

  it('retries a parked pod whose spec changed, not one whose status changed', async () => {
    const { q, advance } = setup();
    q.add(info('p'));
    q.addUnschedulable(await popName(q), new Set(['TaintToleration']));
    advance(2_000);
    const statusOnly = pod('p', { spec: { priority: 0 } });
    statusOnly.status = { conditions: [{ type: 'PodScheduled', status: 'False' }] };
    statusOnly.metadata.resourceVersion = '99';
    q.update(new PodInfo(statusOnly));
    assert.equal(q.where('default/p'), 'unschedulable');
    q.update(info('p', 0, { tolerations: [{ operator: 'Exists' }] }));
    assert.equal(q.where('default/p'), 'active');
    q.close();
  });

  it('forgets deleted pods everywhere, including in flight', async () => {
    const { q } = setup();
    q.add(info('a'));
    q.add(info('b'));
    const a = await popName(q);
    q.delete('default/a');
    q.delete('default/b');
    q.addUnschedulable(a, new Set());
    assert.deepEqual(q.sizes(), { active: 0, backoff: 0, unschedulable: 0, inFlight: 0 });
    q.close();
  });

  it('pop waits for a pod, and close releases it with undefined', async () => {
    const { q } = setup();
    const waiting = q.pop();
    q.add(info('late'));
    assert.equal((await waiting)?.info.name, 'late');
    const closed = q.pop();
    q.close();
    assert.equal(await closed, undefined);
  });
});
