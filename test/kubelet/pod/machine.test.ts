/**
 * The pod worker machine as a shell, with its effects replaced through `.provide()` by
 * promises the test settles by hand: one sync at a time (events during a sync mark it dirty and
 * exactly one more sync follows), a deletion during a sync waits for that sync and then
 * terminates, a finished pod waits for its deletion, and the output says whether the API
 * object must be deleted.
 */
import assert from 'node:assert/strict';
import { createActor, fromCallback, fromPromise, waitFor } from 'xstate';
import type { PodStatus } from '../../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../../src/base/clock.js';
import type { CriRuntime } from '../../../src/kubelet/cri/types.js';
import { podWorkerMachine } from '../../../src/kubelet/pod/actor.js';
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

/** harness runs the machine with controlled sync and terminate steps. */
function harness() {
  const syncs: Pending<SyncResult>[] = [];
  const terminations: Pending<PodStatus>[] = [];
  const reported: PodStatus[] = [];
  const deps: PodWorkerDeps = {
    cri: {} as CriRuntime, clock: systemClock, wallMs: () => 1_700_000_000_000,
    node: { name: 'n', ip: '127.0.2.1' }, prepare: () => Promise.reject(new Error('unused')),
    reportStatus: (_p, s) => void reported.push(s),
  };
  const machine = podWorkerMachine.provide({
    actors: {
      sync: fromPromise(() => {
        const p = pending<SyncResult>();
        syncs.push(p);
        return p.promise;
      }),
      terminate: fromPromise(() => {
        const p = pending<PodStatus>();
        terminations.push(p);
        return p.promise;
      }),
      timer: fromCallback(() => () => undefined),
      prober: fromCallback(() => () => undefined),
    },
  });
  const actor = createActor(machine, { input: { pod: makePod({}), deps } });
  actor.start();
  return { actor, syncs, terminations, reported };
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
    await waitFor(h.actor, (s) => s.matches({ alive: 'waiting' }));
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
    await waitFor(h.actor, (s) => s.matches({ alive: 'waiting' }));
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
    await waitFor(h.actor, (s) => s.matches({ alive: 'finished' }));
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
    await waitFor(h.actor, (s) => s.matches({ alive: 'waiting' }));
    await settle();
    assert.equal(h.syncs.length, 1);
    h.actor.stop();
  });
});
