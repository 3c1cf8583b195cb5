/**
 * The scheduler shell on a fake API (no informers: the test feeds the snapshot and queue): a
 * fitting pod is assumed and bound; a failed bind forgets the assumption, requeues with backoff
 * and reports SchedulerError; a pod that fits nowhere gets one event per attempt but one status
 * patch; an already assumed pod is not scheduled twice. Its busy signal (Events yield to it)
 * holds while a pod it bound has not been seen past Pending.
 */
import assert from 'node:assert/strict';
import type { Pod, PodPhase } from '../../src/api/core/v1/pod-types.js';
import { forbidden } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { EventHandlers, InformerFactory } from '../../src/client/cache/types.js';
import type { ComponentApi } from '../../src/client/component-api.js';
import type { EventRecorder } from '../../src/client/events/types.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { PodInfo } from '../../src/scheduler/snapshot/pod-info.js';
import { SimClock } from '../../src/sim/clock.js';
import { node, pod } from './fixtures.js';

interface Calls {
  binds: string[];
  patches: { name: string; body: unknown }[];
  events: string[];
}

function setup(bindError?: Error): { s: Scheduler; calls: Calls } {
  const calls: Calls = { binds: [], patches: [], events: [] };
  const api = {
    bind: async (ns: string, name: string, nodeName: string) => {
      calls.binds.push(`${ns}/${name}→${nodeName}`);
      if (bindError) throw bindError;
    },
    patch: async (_r: unknown, _ns: string, name: string, _t: string, body: unknown) => {
      calls.patches.push({ name, body });
      return {} as KubeObject;
    },
  } as unknown as ComponentApi;
  const events: EventRecorder = { event: (o, type, reason, message) =>
    calls.events.push(`${o.metadata.name} ${type} ${reason}: ${message}`) };
  const s = new Scheduler({ api, informers: undefined as never, clock: new SimClock(),
    wallMs: () => Date.UTC(2024, 0, 1), events, signal: new AbortController().signal,
    log: () => {} });
  s.snapshot.setNode(node('a', { cpu: '1' }));
  return { s, calls };
}

/** cycle queues p, pops it and runs one scheduling cycle, then lets background writes run. */
async function cycle(s: Scheduler, p: Pod): Promise<void> {
  s.queue.add(new PodInfo(p));
  const qp = await s.queue.pop();
  assert.ok(qp !== undefined);
  await s.scheduleOne(qp);
  await new Promise((r) => setImmediate(r));
}

describe('scheduler shell', () => {
  it('assumes the chosen node at once and binds in the background', async () => {
    const { s, calls } = setup();
    await cycle(s, pod('p', { cpu: '600m' }));
    assert.deepEqual(calls.binds, ['default/p→a']);
    assert.deepEqual(calls.events, ['p Normal Scheduled: Successfully assigned default/p to a']);
    assert.ok(s.snapshot.isAssumed('default/p'), 'counted until the informer shows the bind');
    await cycle(s, pod('q', { cpu: '600m' }));
    assert.equal(calls.binds.length, 1, 'the assumed pod\'s cpu is taken: q fits nowhere');
    assert.equal(calls.events[1],
      'q Warning FailedScheduling: 0/1 nodes are available: 1 Insufficient cpu.');
  });

  it('forgets the assumption and backs off when the bind fails', async () => {
    const { s, calls } = setup(new Error('etcd is sad'));
    await cycle(s, pod('p', { cpu: '600m' }));
    assert.ok(!s.snapshot.isAssumed('default/p'));
    assert.equal(s.snapshot.node('a')?.requested.milliCpu, 0);
    assert.equal(s.queue.where('default/p'), 'backoff');
    const message = 'running Bind plugin "DefaultBinder": etcd is sad';
    assert.deepEqual(calls.events, [`p Warning FailedScheduling: ${message}`]);
    assert.deepEqual(calls.patches.map((x) => x.body), [{ status: { conditions: [{
      type: 'PodScheduled', status: 'False', reason: 'SchedulerError', message,
      lastProbeTime: null, lastTransitionTime: '2024-01-01T00:00:00Z' }] } }]);
  });

  it('a bind refused for a lost term only forgets the assumption: no event, no patch', async () => {
    const fenced = forbidden({ group: 'coordination.k8s.io', resource: 'leases' },
      'kube-scheduler', 'leases.coordination.k8s.io "kube-scheduler" is held by another leader');
    const { s, calls } = setup(fenced);
    await cycle(s, pod('p', { cpu: '600m' }));
    assert.deepEqual(calls.binds, ['default/p→a']);
    assert.ok(!s.snapshot.isAssumed('default/p'));
    assert.equal(s.snapshot.node('a')?.requested.milliCpu, 0);
    assert.deepEqual([calls.events, calls.patches], [[], []]);
  });

  it('patches PodScheduled=False only when it changes; events every time', async () => {
    const { s, calls } = setup();
    const big = pod('big', { cpu: '2' });
    await cycle(s, big);
    assert.equal(calls.patches.length, 1);
    const summary = '0/1 nodes are available: 1 Insufficient cpu.';
    const withCond: Pod = { ...big, status: { conditions: [{ type: 'PodScheduled',
      status: 'False', reason: 'Unschedulable', message: summary }] } };
    s.queue.delete('default/big');
    await cycle(s, withCond);
    assert.equal(calls.patches.length, 1, 'same condition: no write');
    assert.equal(calls.events.length, 2);
  });

  it('does not schedule an already assumed pod again', async () => {
    const { s, calls } = setup();
    const p = pod('p', { cpu: '100m' });
    await cycle(s, p);
    await cycle(s, p);
    assert.deepEqual(calls.binds, ['default/p→a']);
    assert.equal(s.snapshot.node('a')?.pods.size, 1);
  });

  it('says busy to its event sink until a pod it bound is seen past Pending', async () => {
    const handlers: EventHandlers<Pod>[] = [];
    const informers = {
      informerFor: () => ({ addHandlers: (h: EventHandlers<Pod>) => {
        handlers.push(h);
        return () => undefined;
      } }),
      start: () => undefined,
      waitForSync: async () => undefined,
      stop: () => undefined,
    } as unknown as InformerFactory;
    let busy: (() => boolean) | undefined;
    const events: EventRecorder = { event: () => undefined,
      yieldTo: (b) => {
        busy = b;
        return () => (busy = undefined);
      } };
    const api = { bind: async () => undefined } as unknown as ComponentApi;
    const abort = new AbortController();
    const s = new Scheduler({ api, informers, clock: new SimClock(), wallMs: () => 0, events,
      signal: abort.signal, log: () => {} });
    s.snapshot.setNode(node('a', { cpu: '1' }));
    const run = s.run();
    await new Promise((r) => setImmediate(r));
    assert.equal(busy?.(), false, 'nothing to schedule');
    const p = pod('p', { cpu: '100m' });
    s.queue.add(new PodInfo(p));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.ok(s.snapshot.isAssumed('default/p'), 'scheduled and bound');
    assert.equal(busy?.(), true, 'bound, not yet started');
    const seen = (phase: PodPhase): void => {
      for (const h of handlers) h.update?.(p, { ...p, spec: { ...p.spec!, nodeName: 'a' },
        status: { phase } });
    };
    seen('Pending');
    assert.equal(busy?.(), true, 'still Pending');
    seen('Running');
    assert.equal(busy?.(), false, 'started');
    abort.abort();
    await run;
    assert.equal(busy, undefined, 'the term unregistered its signal');
  });
});
