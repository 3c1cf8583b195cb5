/**
 * The Job controller against a real API server, the test playing scheduler and kubelet: pods
 * created parallelism at a time and replaced as they succeed until completions is reached
 * (`kubectl get job` 3/3, `kubectl wait --for=condition=complete`), every finished pod counted
 * once and released from the tracking finalizer; failing pods past backoffLimit fail the Job.
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { Job } from '../../../src/api/batch/v1/job.js';
import { JOBS, PODS } from '../../../src/controllers/base/resources.js';
import { newJobController } from '../../../src/controllers/job/controller.js';
import { TRACKING_FINALIZER } from '../../../src/controllers/job/job-pod.js';
import {
  eventually,
  listPods,
  reportPodStatus,
  runPod,
  startControllerHarness,
  type ControllerHarness,
} from '../../support/controllers.js';

const NS = 'job-test';

function job(name: string, spec: Job['spec']): Job {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: NS },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c',
      image: 'busybox' }] } } } };
}

/** podsOf: the Job's pods (by its name label), split by phase. */
async function podsOf(h: ControllerHarness, name: string): Promise<{ all: Pod[]; active: Pod[] }> {
  const all = await listPods(h.api, NS, `batch.kubernetes.io/job-name=${name}`);
  const active = all.filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));
  return { all, active };
}

/** activePods waits until the Job runs exactly n pods and returns them. */
async function activePods(h: ControllerHarness, name: string, n: number): Promise<Pod[]> {
  return eventually(async () => {
    const { active } = await podsOf(h, name);
    assert.equal(active.length, n, active.map((p) => p.metadata.name).join(' '));
    return active;
  });
}

describe('job controller (real API server)', function () {
  this.timeout(60_000);
  let h: ControllerHarness;
  /** finishPod plays the kubelet when the pod's containers exit. */
  const finishPod = (p: Pod, phase: 'Succeeded' | 'Failed'): Promise<void> =>
    reportPodStatus(h.api, p, { phase, ready: false });

  before(async function () {
    this.timeout(60_000);
    h = await startControllerHarness([newJobController({ podFailureBackoff: { baseMs: 200,
      maxMs: 1_000 } })], { namespaces: [NS] });
  });
  after(async () => {
    await h?.stop();
  });

  it('completions 3, parallelism 2: two at a time, complete after three successes', async () => {
    await h.api.create(JOBS, NS, job('pi', { completions: 3, parallelism: 2 }));
    let running = await activePods(h, 'pi', 2);
    assert.deepEqual(running[0]?.metadata.finalizers, [TRACKING_FINALIZER]);
    for (const p of running) await runPod(h.api, p, 'n1');
    await finishPod(running[0]!, 'Succeeded');
    await eventually(async () => {
      const { all, active } = await podsOf(h, 'pi');
      assert.equal(all.length, 3, 'one replacement for the success');
      assert.equal(active.length, 2);
    });
    running = await activePods(h, 'pi', 2);
    for (const p of running) await finishPod(p, 'Succeeded');
    const done = await eventually(async () => {
      const j = await h.api.get<Job>(JOBS, NS, 'pi');
      assert.ok(j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'));
      return j;
    });
    assert.equal(done.status?.succeeded, 3);
    assert.equal(done.status?.failed, 0);
    assert.equal(done.status?.active, 0);
    assert.deepEqual(done.status?.uncountedTerminatedPods, {});
    assert.ok(done.status?.completionTime);
    assert.deepEqual(done.status?.conditions?.map((c) => c.type), ['SuccessCriteriaMet',
      'Complete']);
    const { all } = await podsOf(h, 'pi');
    assert.equal(all.length, 3, 'no pod beyond completions');
    assert.ok(all.every((p) => !(p.metadata.finalizers ?? []).includes(TRACKING_FINALIZER)));
    assert.deepEqual(h.events.filter((e) => e.name === 'pi').map((e) => e.reason),
      ['SuccessfulCreate', 'SuccessfulCreate', 'SuccessfulCreate', 'Completed']);
  });

  it('kubectl get job shows 3/3 Complete; kubectl wait --for=condition=complete', async () => {
    const get = await h.cluster.kubectl(['get', 'job', 'pi', '-n', NS, '--no-headers']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^pi\s+Complete\s+3\/3\s/);
    const wait = await h.cluster.kubectl(['wait', '--for=condition=complete', 'job/pi', '-n', NS,
      '--timeout=10s']);
    assert.equal(wait.code, 0, wait.stderr);
    assert.match(wait.stdout, /job.batch\/pi condition met/);
  });

  it('a deleted finished pod is still counted exactly once', async () => {
    await h.api.create(JOBS, NS, job('once', { completions: 2, parallelism: 1 }));
    const [first] = await activePods(h, 'once', 1);
    await runPod(h.api, first!, 'n1');
    await finishPod(first!, 'Succeeded');
    // Deleted right away: the finalizer keeps it until the controller has counted it.
    await h.api.delete(PODS, NS, first!.metadata.name ?? '', { gracePeriodSeconds: 0 });
    const [second] = await eventually(async () => {
      const { active } = await podsOf(h, 'once');
      assert.equal(active.length, 1);
      assert.notEqual(active[0]?.metadata.name, first!.metadata.name);
      return active;
    });
    await eventually(async () => {
      const j = await h.api.get<Job>(JOBS, NS, 'once');
      assert.equal(j.status?.succeeded, 1);
      assert.equal(j.status?.failed, 0);
    });
    await runPod(h.api, second!, 'n1');
    await finishPod(second!, 'Succeeded');
    await eventually(async () => {
      const j = await h.api.get<Job>(JOBS, NS, 'once');
      assert.equal(j.status?.succeeded, 2);
      assert.ok(j.status?.conditions?.some((c) => c.type === 'Complete'));
    });
  });

  it('backoffLimit 1: the second failed pod fails the Job (BackoffLimitExceeded)', async () => {
    await h.api.create(JOBS, NS, job('flaky', { backoffLimit: 1 }));
    const [first] = await activePods(h, 'flaky', 1);
    await runPod(h.api, first!, 'n1');
    await finishPod(first!, 'Failed');
    const [second] = await eventually(async () => {
      const { active, all } = await podsOf(h, 'flaky');
      assert.equal(all.length, 2);
      assert.equal(active.length, 1);
      return active;
    });
    await runPod(h.api, second!, 'n1');
    await finishPod(second!, 'Failed');
    const failed = await eventually(async () => {
      const j = await h.api.get<Job>(JOBS, NS, 'flaky');
      const c = j.status?.conditions?.find((x) => x.type === 'Failed');
      assert.equal(c?.status, 'True');
      return j;
    });
    const c = failed.status?.conditions?.find((x) => x.type === 'Failed');
    assert.equal(c?.reason, 'BackoffLimitExceeded');
    assert.equal(c?.message, 'Job has reached the specified backoff limit');
    assert.equal(failed.status?.failed, 2);
    assert.equal(failed.status?.completionTime, undefined);
    assert.ok(h.events.some((e) => e.name === 'flaky' && e.type === 'Warning'
      && e.reason === 'BackoffLimitExceeded'));
    const get = await h.cluster.kubectl(['get', 'job', 'flaky', '-n', NS, '--no-headers']);
    assert.match(get.stdout, /^flaky\s+Failed\s+0\/1\s/);
  });
});
