/**
 * The dispatcher with a recording worker double (the pod actor has its own tests on real
 * runtimes; here only the routing matters): one worker per uid, updates and deletions routed to
 * it, TERMINATE for pods gone from their source, admission failures reported instead of a
 * worker, and after a deleted pod's worker is done, its leftovers released and the API object
 * deleted (never for static pods, never twice); a finished uid never gets a second worker.
 */
import assert from 'node:assert/strict';
import type { Pod, PodStatus } from '../../../src/api/core/v1/pod-types.js';
import { Dispatcher, type WorkerHandle } from '../../../src/kubelet/dispatcher/dispatcher.js';
import type { PodWorkerEvent, PodWorkerOutput } from '../../../src/kubelet/pod/types.js';

interface Double {
  pod: Pod;
  events: PodWorkerEvent[];
  finish(deleted: boolean): void;
  stopped: boolean;
}

function setup() {
  const workers: Double[] = [];
  const reported: [string, PodStatus][] = [];
  const deleted: string[] = [];
  const released: string[] = [];
  /** What each admission was given as the pods already admitted. */
  const admittedSeen: (readonly Pod[])[] = [];
  const d = new Dispatcher({
    startWorker: (pod): WorkerHandle => {
      let finish: (o: PodWorkerOutput) => void = () => {};
      const done = new Promise<PodWorkerOutput>((r) => { finish = r; });
      const w: Double = { pod, events: [], stopped: false,
        finish: (del) => finish({ uid: pod.metadata.uid ?? '', deleted: del, finalStatus: {} }) };
      workers.push(w);
      return { send: (e) => w.events.push(e), done, stop: () => { w.stopped = true; } };
    },
    admit: (pod, admitted) => {
      admittedSeen.push(admitted);
      return pod.metadata.labels?.reject === 'yes'
        ? { admit: false, reason: 'OutOfcpu', message: 'no room' } : { admit: true };
    },
    reportStatus: (pod, s) => reported.push([pod.metadata.uid ?? '', s]),
    deletePod: async (pod) => { deleted.push(pod.metadata.uid ?? ''); },
    released: async (pod) => { released.push(pod.metadata.uid ?? ''); },
    log: () => {},
  });
  return { d, workers, reported, deleted, released, admittedSeen };
}

const pod = (uid: string, o: { deleting?: boolean; static?: boolean; reject?: boolean;
  phase?: 'Succeeded' } = {}): Pod => ({
  metadata: { uid, name: uid, namespace: 'ns',
    ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    ...(o.static ? { annotations: { 'kubernetes.io/config.source': 'file' } } : {}),
    ...(o.reject ? { labels: { reject: 'yes' } } : {}) },
  spec: { containers: [] },
  ...(o.phase ? { status: { phase: o.phase } } : {}),
});

const settle = () => new Promise((r) => setImmediate(r));

describe('kubelet dispatcher', () => {
  it('starts one worker per uid and routes updates to it', () => {
    const { d, workers } = setup();
    d.apply({ type: 'UPSERT', pod: pod('a') });
    d.apply({ type: 'UPSERT', pod: pod('a') });
    d.apply({ type: 'UPSERT', pod: pod('b') });
    assert.equal(workers.length, 2);
    assert.deepEqual(workers[0]?.events.map((e) => e.type), ['POD_UPDATED']);
    assert.deepEqual(d.activePods().map((p) => p.metadata.uid), ['a', 'b']);
  });

  it('admits next to the pods as they were admitted, not their updated objects', () => {
    const { d, admittedSeen } = setup();
    const a = pod('a');
    d.apply({ type: 'UPSERT', pod: a });
    const aUpdated = pod('a');
    d.apply({ type: 'UPSERT', pod: aUpdated });
    d.apply({ type: 'UPSERT', pod: pod('b') });
    // The same object admission judged (its memo of requests hits), not an equal new one.
    assert.equal(admittedSeen[1]?.length, 1);
    assert.ok(admittedSeen[1]?.[0] === a);
    assert.ok(d.activePods()[0] === aUpdated, 'activePods gives the pods as they are now');
    d.apply({ type: 'UPSERT', pod: pod('b', { deleting: true }) });
    d.apply({ type: 'UPSERT', pod: pod('c') });
    assert.deepEqual(admittedSeen[2]?.map((p) => p.metadata.uid), ['a'],
      'a terminating pod does not count');
  });

  it('deletes the API object once a deleted pod\'s worker is done, and only then', async () => {
    const { d, workers, deleted, released } = setup();
    d.apply({ type: 'UPSERT', pod: pod('a') });
    d.apply({ type: 'UPSERT', pod: pod('a', { deleting: true }) });
    d.apply({ type: 'UPSERT', pod: pod('a', { deleting: true }) });
    assert.deepEqual(workers[0]?.events.map((e) => e.type), ['POD_DELETED']);
    assert.deepEqual(d.activePods(), [], 'a terminating pod does not count for admission');
    await settle();
    assert.deepEqual(deleted, []);
    workers[0]?.finish(true);
    await settle();
    assert.deepEqual(released, ['a']);
    assert.deepEqual(deleted, ['a']);
    d.apply({ type: 'UPSERT', pod: pod('a', { deleting: true }) });
    assert.equal(workers.length, 1, 'a finished uid gets no new worker');
  });

  it('terminates pods gone from their source; static pods are never deleted in the API',
    async () => {
      const { d, workers, deleted, released } = setup();
      d.apply({ type: 'UPSERT', pod: pod('s', { static: true }) });
      d.apply({ type: 'REMOVE', pod: pod('s', { static: true }), reason: 'file removed' });
      assert.deepEqual(workers[0]?.events, [{ type: 'TERMINATE', reason: 'file removed' }]);
      workers[0]?.finish(false);
      await settle();
      assert.deepEqual(released, ['s']);
      assert.deepEqual(deleted, []);
    });

  it('reports a rejected pod Failed instead of running it', () => {
    const { d, workers, reported } = setup();
    d.apply({ type: 'UPSERT', pod: pod('r', { reject: true }) });
    assert.equal(workers.length, 0);
    assert.deepEqual(reported, [['r', { phase: 'Failed', reason: 'OutOfcpu',
      message: 'Pod was rejected: no room' }]]);
    d.apply({ type: 'UPSERT', pod: pod('r', { reject: true }) });
    assert.equal(reported.length, 1, 'rejected once');
  });

  it('starts no worker for a finished pod, and a worker for one first seen deleting', () => {
    const { d, workers } = setup();
    d.apply({ type: 'UPSERT', pod: pod('done', { phase: 'Succeeded' }) });
    assert.equal(workers.length, 0);
    d.apply({ type: 'UPSERT', pod: pod('x', { deleting: true }) });
    assert.deepEqual(workers[0]?.events.map((e) => e.type), ['POD_DELETED']);
  });

  it('stops workers without terminating them on shutdown', async () => {
    const { d, workers } = setup();
    d.apply({ type: 'UPSERT', pod: pod('a') });
    await d.stop();
    assert.equal(workers[0]?.stopped, true);
    assert.deepEqual(workers[0]?.events, []);
    d.apply({ type: 'UPSERT', pod: pod('b') });
    assert.equal(workers.length, 1, 'a stopped dispatcher starts nothing');
  });
});
