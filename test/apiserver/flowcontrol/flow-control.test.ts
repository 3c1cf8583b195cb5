/**
 * FlowControl: seats, fair turns between flows, levels under their share first, and waits that
 * end — full queues, expired waits, gone callers — refused with 429 and never run.
 */
import assert from 'node:assert/strict';
import { StatusError } from '../../../src/api/errors.js';
import { findResource, type ResourceInfo } from '../../../src/api/resources.js';
import { FairQueue } from '../../../src/apiserver/flowcontrol/fair-queue.js';
import { FlowControl } from '../../../src/apiserver/flowcontrol/flow-control.js';
import type { RequestAttrs } from '../../../src/apiserver/flowcontrol/levels.js';
import { SimClock } from '../../../src/sim/clock.js';

const res = (group: string, resource: string): ResourceInfo =>
  findResource(group, 'v1', resource) ?? assert.fail(`no ${resource}`);
const PODS = res('', 'pods');
const NODES = res('', 'nodes');
const LEASES = res('coordination.k8s.io', 'leases');

const scheduler: RequestAttrs = { user: { name: 'system:kube-scheduler', groups: [] }, resource: PODS };
const manager: RequestAttrs =
  { user: { name: 'system:kube-controller-manager', groups: [] }, resource: PODS };
const nodeStatus: RequestAttrs =
  { user: { name: 'system:node:w1', groups: ['system:nodes'] }, resource: NODES };
const nodeLease: RequestAttrs =
  { user: { name: 'system:node:w1', groups: ['system:nodes'] }, resource: LEASES };

function gate(): { p: Promise<void>; open(): void } {
  let open = (): void => {};
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

const is429 = (err: unknown): boolean =>
  err instanceof StatusError && err.status.code === 429 && err.status.reason === 'TooManyRequests';

/** flush lets settled promises run their continuations. */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('flow control: seats and turns', () => {
  it('a Lease write runs while every seat is taken; queued writes run once seats free', async () => {
    const fc = new FlowControl(new SimClock(), { totalSeats: 2 });
    const g = gate();
    const order: string[] = [];
    const busy = [1, 2].map((i) => fc.run(scheduler, {}, async () => {
      await g.p;
      order.push(`busy${i}`);
    }));
    const queued = fc.run(scheduler, {}, async () => { order.push('queued'); });
    await fc.run(nodeLease, {}, async () => { order.push('lease'); });
    assert.deepEqual(order, ['lease']);
    assert.deepEqual(fc.stats().waiting, 1);
    g.open();
    await Promise.all([...busy, queued]);
    assert.deepEqual(order, ['lease', 'busy1', 'busy2', 'queued']);
    assert.equal(fc.stats().inFlight, 0);
  });

  it('flows of one level take turns: a busy client does not starve another', async () => {
    const fc = new FlowControl(new SimClock(), { totalSeats: 1 });
    const g = gate();
    const order: string[] = [];
    const first = fc.run(manager, {}, () => g.p);
    const writes = [
      ...[1, 2, 3].map((i) => fc.run(manager, {}, async () => { order.push(`cm${i}`); })),
      fc.run(scheduler, {}, async () => { order.push('sched'); }),
    ];
    g.open();
    await Promise.all([first, ...writes]);
    assert.deepEqual(order, ['cm1', 'sched', 'cm2', 'cm3']);
  });

  it('a level under its share gets the next free seat before borrowers', async () => {
    const fc = new FlowControl(new SimClock(), { totalSeats: 4 });
    const gates = [gate(), gate(), gate(), gate()];
    const hold = gate();
    const order: string[] = [];
    const nodePods: RequestAttrs = { ...nodeStatus, resource: PODS };
    // The system level (a kubelet's pod writes) borrows all four seats: its share of 4 is 1.
    const busy = gates.map((g) => fc.run(nodePods, {}, () => g.p));
    const more = fc.run(nodePods, {}, async () => { order.push('kubelet'); await hold.p; });
    const sched = fc.run(scheduler, {}, async () => { order.push('sched'); await hold.p; });
    gates[0]?.open();
    await flush();
    assert.deepEqual(order, ['sched'], 'workload-high is under its share, system over it');
    for (const g of gates) g.open();
    hold.open();
    await Promise.all([...busy, more, sched]);
    assert.deepEqual(order, ['sched', 'kubelet']);
  });
});

describe('flow control: bounded waits', () => {
  it('a full flow queue answers 429 at once and runs nothing', async () => {
    const fc = new FlowControl(new SimClock(), { totalSeats: 1, flowQueueMax: 1 });
    const g = gate();
    const first = fc.run(scheduler, {}, () => g.p);
    const second = fc.run(scheduler, {}, async () => {});
    let ran = false;
    await assert.rejects(fc.run(scheduler, {}, async () => { ran = true; }), is429);
    assert.equal(ran, false);
    assert.equal(fc.stats().rejectedFull, 1);
    g.open();
    await Promise.all([first, second]);
  });

  it('a wait ends at maxWaitMs, or sooner at the caller\'s deadline, with 429; it never runs',
    async () => {
      const clock = new SimClock();
      const lines: string[] = [];
      const fc = new FlowControl(clock, { totalSeats: 1, maxWaitMs: 1_000, sweepMs: 100,
        reportMs: 1_000 }, (l) => lines.push(l));
      const g = gate();
      const first = fc.run(scheduler, {}, () => g.p);
      let ran = 0;
      const long = fc.run(scheduler, {}, async () => { ran++; });
      const short = fc.run(manager, { deadlineMs: 300 }, async () => { ran++; });
      const results = [long, short].map((p) => p.then(() => 'ran', (e: unknown) =>
        (is429(e) ? `429@${clock.nowMs()}` : 'other')));
      while (clock.nowMs() < 1_200 && clock.step()) await flush();
      assert.deepEqual(await Promise.all(results), ['429@1000', '429@300']);
      assert.match(lines.join('\n'), /refused 0 writes \(queue full\), 2 \(waited too long\)/);
      g.open();
      await first;
      assert.equal(ran, 0);
      assert.equal(fc.stats().rejectedTimeout, 2);
      fc.stop();
      assert.equal(clock.step(), false, 'no timer left after stop');
    });

  it('a caller whose deadline has passed, or who has gone, is refused and never run', async () => {
    const clock = new SimClock();
    const fc = new FlowControl(clock, { totalSeats: 1 });
    const g = gate();
    const first = fc.run(scheduler, {}, () => g.p);
    let ran = 0;
    await assert.rejects(fc.run(manager, { deadlineMs: 0 }, async () => { ran++; }), is429);
    let gone = false;
    const leaving = fc.run(manager, { cancelled: () => gone }, async () => { ran++; });
    gone = true;
    g.open();
    await first;
    await assert.rejects(leaving, is429);
    assert.equal(ran, 0);
    assert.equal(fc.stats().droppedCancelled, 1);
  });
});

describe('flow control: fair queue', () => {
  it('removing waiters keeps the turns in order', () => {
    const q = new FairQueue<{ flow: string; n: number }>(100, 100);
    for (const [flow, n] of [['a', 1], ['b', 2], ['a', 3], ['c', 4], ['b', 5]] as const) {
      assert.ok(q.push({ flow, n }));
    }
    assert.equal(q.pop()?.n, 1);
    assert.deepEqual(q.removeWhere((w) => w.flow === 'b').map((w) => w.n), [2, 5]);
    assert.deepEqual([q.pop()?.n, q.pop()?.n, q.pop()], [4, 3, undefined]);
    assert.equal(q.size, 0);
  });
});
