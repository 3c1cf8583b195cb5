/**
 * The Job plan, pure: a Job and its pods filled by hand, the planned writes compared — pods made
 * and removed, the three tracking steps, the conditions (upstream's job_controller_test cases,
 * in our words).
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { JobStatus } from '../../../src/api/batch/v1/job.js';
import { COMPLETIONS_REACHED } from '../../../src/controllers/job/conditions.js';
import { TRACKING_FINALIZER } from '../../../src/controllers/job/job-pod.js';
import { planJob, type JobPlan } from '../../../src/controllers/job/plan.js';
import { finishStatus, flushUncounted } from '../../../src/controllers/job/status.js';
import { input, iso, job, jobPod, T0, T0_MS } from './fixtures.js';

const names = (pods: Pod[]): string[] => pods.map((p) => p.metadata.name ?? '');

function statusOf(plan: JobPlan): JobStatus {
  assert.ok(plan.status !== undefined, 'no status write');
  return plan.status;
}

/** conditionsOf: type=status:reason of each condition. */
function conditionsOf(st: JobStatus): string[] {
  return (st.conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason ?? ''}`);
}

describe('job plan: pods', () => {
  it('starts parallelism pods with the tracking finalizer, labels and controller reference', () => {
    const plan = planJob(input(job({ completions: 3, parallelism: 2 })));
    assert.equal(plan.creates.length, 2);
    const pod = plan.creates[0]!;
    assert.equal(pod.metadata.generateName, 'pi-');
    assert.deepEqual(pod.metadata.finalizers, [TRACKING_FINALIZER]);
    assert.equal(pod.metadata.labels?.['batch.kubernetes.io/controller-uid'], 'job-uid');
    assert.equal(pod.metadata.labels?.['batch.kubernetes.io/job-name'], 'pi');
    assert.equal(pod.metadata.labels?.['controller-uid'], 'job-uid');
    assert.equal(pod.metadata.labels?.['job-name'], 'pi');
    assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job',
      name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(statusOf(plan), { active: 2, ready: 0, terminating: 0, succeeded: 0,
      failed: 0, uncountedTerminatedPods: {}, startTime: T0 });
  });

  it('creates nothing while its expectations are unmet', () => {
    const plan = planJob(input(job({ completions: 3, parallelism: 2 }), [],
      { expectationsSatisfied: false }));
    assert.equal(plan.creates.length, 0);
    assert.equal(statusOf(plan).active, 0);
  });

  it('never runs more pods than completions still missing', () => {
    const j = job({ completions: 3, parallelism: 5 }, { succeeded: 1, startTime: T0 });
    const pods = [jobPod(j, 'a', { ready: true })];
    const plan = planJob(input(j, pods));
    assert.equal(plan.creates.length, 1);
    assert.equal(statusOf(plan).ready, 1);
  });

  it('deletes excess pods least advanced first, releasing them uncounted', () => {
    const j = job({ completions: 9, parallelism: 1 }, { startTime: T0 });
    const pods = [jobPod(j, 'ready', { ready: true }), jobPod(j, 'pending', { phase: 'Pending' }),
      jobPod(j, 'unbound', { bound: false, phase: 'Pending' })];
    const plan = planJob(input(j, pods));
    assert.deepEqual(names(plan.deletes), ['unbound', 'pending']);
    assert.deepEqual(statusOf(plan).uncountedTerminatedPods, {});
  });

  it('without completions: no new pods after a success; complete when the rest finished', () => {
    const j = job({ parallelism: 2 }, { succeeded: 1, startTime: T0 });
    const running = [jobPod(j, 'a', { phase: 'Running' })];
    const plan = planJob(input(j, running));
    assert.equal(plan.creates.length, 0);
    assert.equal(plan.finish, undefined);
    const done = planJob(input(j, [jobPod(j, 'a', { phase: 'Failed' })]));
    assert.deepEqual(done.finish, COMPLETIONS_REACHED);
  });
});

describe('job plan: counting with the tracking finalizer', () => {
  it('step 1 records a finished pod as uncounted and removes its finalizer', () => {
    const j = job({ completions: 3, parallelism: 2 }, { startTime: T0 });
    const pods = [jobPod(j, 'a', { phase: 'Succeeded' }), jobPod(j, 'b')];
    const plan = planJob(input(j, pods));
    assert.deepEqual(statusOf(plan).uncountedTerminatedPods, { succeeded: ['uid-a'] });
    assert.equal(statusOf(plan).succeeded, 0);
    assert.deepEqual(names(plan.removeFinalizers), ['a']);
    assert.equal(plan.creates.length, 1, 'completions 3 - 1 succeeded = 2 wanted, 1 active');
  });

  it('step 3 moves uncounted uids whose pods lost the finalizer (or are gone)', () => {
    const j = job({ completions: 3 }, { startTime: T0, succeeded: 1,
      uncountedTerminatedPods: { succeeded: ['uid-a'], failed: ['uid-gone'] } });
    const pods = [jobPod(j, 'a', { phase: 'Succeeded', tracked: false })];
    const plan = planJob(input(j, pods, { expectationsSatisfied: false }));
    assert.deepEqual(plan.untracked.sort(), ['uid-a', 'uid-gone']);
    const flushed = flushUncounted(j.status ?? {}, new Set(plan.untracked));
    assert.equal(flushed.succeeded, 2);
    assert.equal(flushed.failed, 1);
    assert.deepEqual(flushed.uncountedTerminatedPods, {});
  });

  it('a pod whose removal is in flight is never counted twice', () => {
    const j = job({ completions: 3 }, { startTime: T0, succeeded: 1 });
    // The Job cache already shows the count; the pod cache still shows the finalizer.
    const pods = [jobPod(j, 'a', { phase: 'Succeeded' })];
    const plan = planJob(input(j, pods, { removing: new Set(['uid-a']) }));
    assert.deepEqual(statusOf(plan).uncountedTerminatedPods, {});
    assert.equal(plan.removeFinalizers.length, 0);
  });

  it('counts a deleted running pod as failed, and backs off before replacing it', () => {
    const j = job({ completions: 2 }, { startTime: T0 });
    const pods = [jobPod(j, 'a', { deleting: true })];
    const plan = planJob(input(j, pods));
    assert.deepEqual(statusOf(plan).uncountedTerminatedPods, { failed: ['uid-a'] });
    assert.deepEqual(plan.backoff, { failures: 1, lastFailureWallMs: T0_MS });
    assert.equal(plan.creates.length, 0);
    assert.equal(plan.requeueAfterMs, 10_000);
    const later = planJob(input(j, [], { backoff: plan.backoff, nowWallMs: T0_MS + 10_000 }));
    assert.equal(later.creates.length, 1);
  });
});

describe('job plan: finishing', () => {
  it('completes: SuccessCriteriaMet now, Complete once nothing is uncounted', () => {
    const j = job({ completions: 3, parallelism: 2 }, { startTime: iso(-30_000), succeeded: 2 });
    const pods = [jobPod(j, 'c', { phase: 'Succeeded' })];
    const plan = planJob(input(j, pods));
    assert.deepEqual(plan.finish, COMPLETIONS_REACHED);
    assert.equal(plan.creates.length, 0);
    const st = statusOf(plan);
    assert.deepEqual(conditionsOf(st), ['SuccessCriteriaMet=True:CompletionsReached']);
    assert.equal(finishStatus(st, COMPLETIONS_REACHED, T0_MS), undefined, 'c is uncounted');
    const flushed = flushUncounted(st, new Set(['uid-c']));
    const done = finishStatus(flushed, COMPLETIONS_REACHED, T0_MS);
    assert.ok(done !== undefined);
    assert.equal(done.succeeded, 3);
    assert.equal(done.completionTime, T0);
    assert.deepEqual(conditionsOf(done), ['SuccessCriteriaMet=True:CompletionsReached',
      'Complete=True:CompletionsReached']);
    assert.equal(done.conditions?.[1]?.message, 'Reached expected number of succeeded pods');
  });

  it('fails past backoffLimit: FailureTarget, active pods deleted and counted failed', () => {
    const j = job({ completions: 3, parallelism: 2, backoffLimit: 1 },
      { startTime: T0, failed: 1 });
    const pods = [jobPod(j, 'x', { phase: 'Failed' }), jobPod(j, 'y')];
    const plan = planJob(input(j, pods));
    assert.equal(plan.finish?.reason, 'BackoffLimitExceeded');
    assert.equal(plan.finish?.message, 'Job has reached the specified backoff limit');
    assert.deepEqual(names(plan.deletes), ['y']);
    assert.deepEqual(statusOf(plan).uncountedTerminatedPods, { failed: ['uid-x', 'uid-y'] });
    assert.deepEqual(conditionsOf(statusOf(plan)), ['FailureTarget=True:BackoffLimitExceeded']);
    const done = finishStatus(flushUncounted(statusOf(plan), new Set(['uid-x', 'uid-y'])),
      plan.finish!, T0_MS);
    assert.equal(done?.failed, 3);
    assert.equal(done?.completionTime, undefined);
    assert.deepEqual(conditionsOf(done!), ['FailureTarget=True:BackoffLimitExceeded',
      'Failed=True:BackoffLimitExceeded']);
  });

  it('restartPolicy OnFailure: container restarts count against backoffLimit', () => {
    const j = job({ backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure',
      containers: [{ name: 'pi', image: 'perl' }] } } }, { startTime: T0 });
    assert.equal(planJob(input(j, [jobPod(j, 'a', { restarts: 1 })])).finish, undefined);
    assert.equal(planJob(input(j, [jobPod(j, 'a', { restarts: 2 })])).finish?.reason,
      'BackoffLimitExceeded');
  });

  it('activeDeadlineSeconds: rechecks at the deadline, fails after it', () => {
    const j = job({ activeDeadlineSeconds: 60 }, { startTime: iso(-40_000) });
    const pods = [jobPod(j, 'a')];
    const early = planJob(input(j, pods));
    assert.equal(early.finish, undefined);
    assert.equal(early.requeueAfterMs, 20_000);
    const late = planJob(input(j, pods, { nowWallMs: T0_MS + 20_000 }));
    assert.equal(late.finish?.reason, 'DeadlineExceeded');
    assert.equal(late.finish?.message, 'Job was active longer than specified deadline');
    assert.deepEqual(names(late.deletes), ['a']);
  });

  it('a finished Job only releases leftover pods, and is deleted after its TTL', () => {
    const j = job({ ttlSecondsAfterFinished: 100 }, { startTime: iso(-60_000), succeeded: 1,
      completionTime: iso(-50_000), conditions: [{ type: 'Complete', status: 'True',
        lastTransitionTime: iso(-50_000) }] });
    const pods = [jobPod(j, 'a', { phase: 'Succeeded' })];
    const plan = planJob(input(j, pods));
    assert.deepEqual(names(plan.removeFinalizers), ['a']);
    assert.equal(plan.status, undefined);
    assert.equal(plan.deleteJob, false);
    assert.equal(plan.requeueAfterMs, 50_000);
    assert.equal(planJob(input(j, [], { nowWallMs: T0_MS + 50_000 })).deleteJob, true);
  });
});

describe('job plan: suspend', () => {
  it('suspending deletes the active pods; resuming restarts the clock', () => {
    const j = job({ completions: 2, suspend: true }, { startTime: iso(-5_000) });
    const plan = planJob(input(j, [jobPod(j, 'a')]));
    assert.deepEqual(names(plan.deletes), ['a']);
    assert.deepEqual(conditionsOf(statusOf(plan)), ['Suspended=True:JobSuspended']);
    assert.deepEqual(plan.event, { reason: 'Suspended', message: 'Job suspended' });
    const resumed = job({ completions: 2, suspend: false }, statusOf(plan));
    const again = planJob(input(resumed, [], { nowWallMs: T0_MS + 7_000 }));
    assert.deepEqual(conditionsOf(statusOf(again)), ['Suspended=False:JobResumed']);
    assert.equal(statusOf(again).startTime, iso(7_000));
    assert.equal(again.creates.length, 1);
    assert.deepEqual(again.event, { reason: 'Resumed', message: 'Job resumed' });
  });
});

describe('job plan: Indexed', () => {
  it('creates the lowest missing indexes with annotation, label, hostname and env', () => {
    const j = job({ completions: 3, parallelism: 2, completionMode: 'Indexed' },
      { startTime: T0, completedIndexes: '0' });
    const plan = planJob(input(j, [jobPod(j, 'one', { index: 1 })]));
    assert.equal(plan.creates.length, 1);
    const pod = plan.creates[0]!;
    assert.equal(pod.metadata.generateName, 'pi-2-');
    assert.equal(pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], '2');
    assert.equal(pod.metadata.labels?.['batch.kubernetes.io/job-completion-index'], '2');
    assert.equal(pod.spec?.hostname, 'pi-2');
    assert.deepEqual(pod.spec?.containers[0]?.env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom:
      { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" }
      } }]);
    assert.equal(statusOf(plan).succeeded, 1);
  });

  it('records successes as completed indexes and drops duplicate index pods', () => {
    const j = job({ completions: 3, parallelism: 3, completionMode: 'Indexed' },
      { startTime: T0 });
    const pods = [jobPod(j, 'done', { index: 1, phase: 'Succeeded' }),
      jobPod(j, 'old', { index: 0, createdMs: -9_000 }),
      jobPod(j, 'dup', { index: 0, createdMs: -1_000 }),
      jobPod(j, 'late', { index: 1, createdMs: -500 })];
    const plan = planJob(input(j, pods));
    assert.equal(statusOf(plan).completedIndexes, '1');
    assert.equal(statusOf(plan).succeeded, 1);
    assert.deepEqual(statusOf(plan).uncountedTerminatedPods, {});
    assert.deepEqual(names(plan.deletes).sort(), ['dup', 'late']);
    assert.equal(plan.creates.length, 1);
    const annotations = plan.creates[0]?.metadata.annotations;
    assert.equal(annotations?.['batch.kubernetes.io/job-completion-index'], '2');
  });
});
