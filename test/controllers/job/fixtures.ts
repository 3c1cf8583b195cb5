/**
 * Objects for the Job plan tests: a Job as the API server stores it (defaults and generated
 * selector applied) and its pods as the kubelet (the test) would leave them.
 */
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { defaultJob, type Job, type JobSpec } from '../../../src/api/batch/v1/job.js';
import { jobPodFor } from '../../../src/controllers/job/job-pod.js';
import type { JobInput } from '../../../src/controllers/job/plan.js';

/** T0_MS: the tests' wall-clock "now" (whole seconds). */
export const T0_MS = Date.parse('2026-01-01T00:10:00Z');
export const T0 = '2026-01-01T00:10:00Z';

/** iso: T0 plus deltaMs as an RFC 3339 second. */
export function iso(deltaMs: number): string {
  return new Date(T0_MS + deltaMs).toISOString().replace('.000Z', 'Z');
}

/** job makes Job "pi" (uid job-uid) with spec overrides, defaulted as stored. */
export function job(spec: Partial<JobSpec> = {}, status: Job['status'] = {}): Job {
  const j: Job = {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'job-uid', resourceVersion: '5',
      generation: 1 },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi',
      image: 'perl' }] } }, ...spec },
    status,
  };
  defaultJob(j);
  return j;
}

/** PodState: what the "kubelet" did with a pod. */
export interface PodState {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  bound?: boolean;
  /** The tracking finalizer is still there (default true). */
  tracked?: boolean;
  deleting?: boolean;
  index?: number;
  createdMs?: number;
  restarts?: number;
}

/** jobPod makes j's pod `name` in state s. */
export function jobPod(j: Job, name: string, s: PodState = {}): Pod {
  const pod = jobPodFor(j, s.index);
  pod.metadata.name = name;
  pod.metadata.uid = `uid-${name}`;
  pod.metadata.creationTimestamp = iso(s.createdMs ?? -60_000);
  if (s.tracked === false) delete pod.metadata.finalizers;
  if (s.deleting === true) pod.metadata.deletionTimestamp = iso(-1_000);
  if (s.bound !== false && pod.spec !== undefined) pod.spec.nodeName = 'n1';
  pod.status = { phase: s.phase ?? 'Running' };
  if (s.ready === true) pod.status.conditions = [{ type: 'Ready', status: 'True' }];
  if (s.restarts !== undefined) {
    pod.status.containerStatuses = [{ name: 'pi', ready: false, restartCount: s.restarts,
      image: 'perl', imageID: '' }];
  }
  return pod;
}

/** input fills a JobInput with defaults: expectations met, nothing removing, no backoff. */
export function input(j: Job, pods: Pod[] = [], o: Partial<JobInput> = {}): JobInput {
  return { job: j, pods, nowWallMs: T0_MS, expectationsSatisfied: true, removing: new Set(),
    backoff: { failures: 0, lastFailureWallMs: 0 },
    podFailureBackoff: { baseMs: 10_000, maxMs: 600_000 }, ...o };
}
