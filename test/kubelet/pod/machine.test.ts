/**
 * The pod worker machine as a shell, with its effects replaced through `.provide()` by
 * promises the test settles by hand: one sync at a time (events during a sync mark it dirty and
 * exactly one more sync follows), a deletion during a sync waits for that sync and then
 * terminates, a finished pod waits for its deletion, and the output says whether the API
 * object must be deleted.
 */
import assert from 'node:assert/strict';
import { createActor, fromCallback, waitFor } from 'xstate';
import type { Pod, PodStatus } from '../../../src/api/core/v1/pod-types.js';
import type { CriRuntime } from '../../../src/kubelet/cri/types.js';
import { actorClock } from '../../../src/base/actor-clock.js';
import {
  hasProbes, podWorkerMachine, syncStepAction, terminateStepAction,
} from '../../../src/kubelet/pod/actor.js';
import { EMPTY_OBSERVED } from '../../../src/kubelet/pod/observed.js';
import { EMPTY_MEMORY, type SyncResult } from '../../../src/kubelet/pod/sync.js';
import type { PodWorkerDeps } from '../../../src/kubelet/pod/types.js';
import { makePod } from './fixtures.js';

/** Pending is a promise the test settles. */
interface Pending<T> {
  resolve(v: T): void;
  reject(err: Error): void;
  promise: Promise<T>;
}

/** pending makes a Pending. */
function pending<T>(): Pending<T> {
  let resolve!: (v: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { resolve, reject, promise };
}

/** A sync result: nothing happened, or the pod finished. */
const result = (podDone = false): SyncResult =>
  ({ memory: EMPTY_MEMORY, observed: EMPTY_OBSERVED, waiting: {}, podDone });

/** ManualClock: timers fire only when the test says (fire), so waits end on command. */
function manualClock() {
  const due: { fn: () => void; delayMs: number; cancelled: boolean }[] = [];
  const clock = {
    nowMs: () => 0,
    setTimeout: (fn: () => void, delayMs: number) => {
      const t = { fn, delayMs, cancelled: false };
      due.push(t);
      return { cancel: () => void (t.cancelled = true) };
    },
    setInterval: () => ({ cancel: () => undefined }),
  };
  /** pending lists the delays of the timers not yet fired nor cancelled. */
  const pendingMs = () => due.filter((t) => !t.cancelled).map((t) => t.delayMs);
  const fire = () => {
    for (const t of due.splice(0)) if (!t.cancelled) t.fn();
  };
  return { clock, pendingMs, fire };
}

/** harness runs the machine with controlled sync and terminate steps; its waits end only when
 *  the test fires the clock. */
function harness(pod: Pod = makePod({})) {
  const syncs: Pending<SyncResult>[] = [];
  const terminations: Pending<PodStatus>[] = [];
  const reported: PodStatus[] = [];
  const time = manualClock();
  const probers: string[] = [];
  const deps: PodWorkerDeps = {
    cri: {} as CriRuntime, clock: time.clock, wallMs: () => 1_700_000_000_000,
    node: { name: 'n', ip: '127.0.2.1' }, prepare: () => Promise.reject(new Error('unused')),
    reportStatus: (_p, s) => void reported.push(s),
  };
  const machine = podWorkerMachine.provide({
    actions: {
      startSync: syncStepAction(() => {
        const p = pending<SyncResult>();
        syncs.push(p);
        return p.promise;
      }),
      startTerminate: terminateStepAction(() => {
        const p = pending<PodStatus>();
        terminations.push(p);
        return p.promise;
      }),
    },
    actors: {
      prober: fromCallback(({ receive }) => {
        probers.push('started');
        receive((e) => void probers.push(e.type));
        return () => void probers.push('stopped');
      }),
    },
  });
  const actor = createActor(machine, { input: { pod, deps }, clock: actorClock(time.clock) });
  actor.start();
  return { actor, syncs, terminations, reported, time, probers };
}

/** settle lets the machine process what the resolved promises sent. */
const settle = () => new Promise((r) => setImmediate(r));

describe('pod worker machine (shell)', () => {
  it('runs one sync at a time; events during a sync cause exactly one more', async () => {
    const h = harness();
    assert.equal(h.syncs.length, 1);
    h.actor.send({ type: 'POD_UPDATED', pod: makePod({ restartPolicy: 'Never' }) });
    h.actor.send({ type: 'POD_UPDATED', pod: makePod({ restartPolicy: 'OnFailure' }) });
    await settle();
    assert.equal(h.syncs.length, 1, 'no second sync while one runs');
    h.syncs[0]!.resolve(result());
    await settle();
    assert.equal(h.syncs.length, 2, 'one more sync for the events that arrived');
    assert.equal(h.actor.getSnapshot().context.pod.spec?.restartPolicy, 'OnFailure');
    h.syncs[1]!.resolve(result());
    await waitFor(h.actor, (s) => s.matches('waiting'));
    assert.equal(h.syncs.length, 2);
    assert.equal(h.reported.length, 1, 'the status is reported once: the second is the same');
    h.actor.stop();
  });

  it('a deletion during a sync waits for it, then terminates; output says deleted', async () => {
    const h = harness();
    h.actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 5 });
    await settle();
    assert.equal(h.terminations.length, 0, 'the sync in flight finishes first');
    h.syncs[0]!.resolve(result());
    await waitFor(h.actor, (s) => s.matches('terminating'));
    assert.equal(h.actor.getSnapshot().context.ending?.graceSeconds, 5);
    h.terminations[0]!.resolve({ phase: 'Failed' });
    const done = await waitFor(h.actor, (s) => s.status === 'done');
    assert.deepEqual(done.output,
      { uid: 'uid-1', deleted: true, finalStatus: { phase: 'Failed' } });
  });

  it('TERMINATE (node shutdown) ends the worker without deleting the API object', async () => {
    const h = harness();
    h.syncs[0]!.resolve(result());
    await waitFor(h.actor, (s) => s.matches('waiting'));
    h.actor.send({ type: 'TERMINATE', reason: 'node shutdown' });
    await waitFor(h.actor, (s) => s.matches('terminating'));
    assert.equal(h.actor.getSnapshot().context.ending?.graceSeconds, 30, 'the spec default');
    h.terminations[0]!.resolve({});
    const done = await waitFor(h.actor, (s) => s.status === 'done');
    assert.equal(done.output?.deleted, false);
  });

  it('a finished pod stays until deleted, and syncs no more', async () => {
    const h = harness();
    h.syncs[0]!.resolve(result(true));
    await waitFor(h.actor, (s) => s.matches('finished'));
    h.actor.send({ type: 'POD_UPDATED', pod: makePod({}) });
    await settle();
    assert.equal(h.syncs.length, 1);
    h.actor.send({ type: 'POD_DELETED' });
    await waitFor(h.actor, (s) => s.matches('terminating'));
    h.terminations[0]!.resolve({});
    await waitFor(h.actor, (s) => s.status === 'done');
  });

  it('a failed sync is retried on the next wake-up, not in a tight loop', async () => {
    const h = harness();
    // A rejected sync: the machine logs it and waits for its timer (a no-op here).
    h.syncs[0]!.reject(new Error('runtime unavailable'));
    await waitFor(h.actor, (s) => s.matches('waiting'));
    await settle();
    assert.equal(h.syncs.length, 1);
    h.actor.stop();
  });

  it('waits on the injected clock: its timer ends the wait with the next sync', async () => {
    const h = harness();
    h.syncs[0]!.resolve(result());
    await waitFor(h.actor, (s) => s.matches('waiting'));
    assert.deepEqual(h.time.pendingMs(), [10_000], 'nothing runs: the resync period');
    h.time.fire();
    await settle();
    assert.equal(h.syncs.length, 2);
    assert.ok(h.actor.getSnapshot().matches('syncing'));
    assert.deepEqual(h.time.pendingMs(), [], 'the wait left, its timer with it');
    h.actor.stop();
  });

  it('leaving the wait early (an update) cancels its timer', async () => {
    const h = harness();
    h.syncs[0]!.resolve(result());
    await waitFor(h.actor, (s) => s.matches('waiting'));
    h.actor.send({ type: 'RUNTIME_CHANGED' });
    assert.equal(h.syncs.length, 2);
    assert.deepEqual(h.time.pendingMs(), []);
    h.actor.stop();
  });

  it('a failed termination is retried after runningPollMs on the injected clock', async () => {
    const h = harness();
    h.actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    h.syncs[0]!.resolve(result());
    await waitFor(h.actor, (s) => s.matches('terminating'));
    h.terminations[0]!.reject(new Error('runtime down'));
    await waitFor(h.actor, (s) => s.matches('retryTerminate'));
    assert.deepEqual(h.time.pendingMs(), [1_000]);
    h.time.fire();
    await waitFor(h.actor, (s) => s.matches('terminating'));
    assert.equal(h.terminations.length, 2);
    h.terminations[1]!.resolve({});
    await waitFor(h.actor, (s) => s.status === 'done');
  });

  it('a pod without probes gets no prober; a probed one gets one, told after each sync', async () => {
    const plain = harness();
    plain.syncs[0]!.resolve(result());
    await waitFor(plain.actor, (s) => s.matches('waiting'));
    assert.deepEqual(plain.probers, []);
    assert.equal(plain.actor.getSnapshot().children.prober, undefined);
    plain.actor.stop();

    const probe = { exec: { command: ['true'] } };
    const pod = makePod({ containers: [{ name: 'app', image: 'busybox:1', readinessProbe: probe }] });
    const probed = harness(pod);
    probed.syncs[0]!.resolve(result());
    await waitFor(probed.actor, (s) => s.matches('waiting'));
    assert.deepEqual(probed.probers, ['started', 'PROBE_TARGETS']);
    probed.actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await waitFor(probed.actor, (s) => s.matches('terminating'));
    assert.deepEqual(probed.probers, ['started', 'PROBE_TARGETS', 'stopped'],
      'termination stops the prober');
    probed.actor.stop();
  });
});

describe('hasProbes', () => {
  it('sees a probe of any kind on a container or an init container (sidecar)', () => {
    const probe = { tcpSocket: { port: 80 } };
    assert.equal(hasProbes(makePod({})), false);
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      assert.equal(hasProbes(makePod({ containers: [{ name: 'a', [kind]: probe }] })), true);
    }
    assert.equal(hasProbes(makePod({ init: [{ name: 's', restartPolicy: 'Always',
      startupProbe: probe }] })), true);
  });
});
