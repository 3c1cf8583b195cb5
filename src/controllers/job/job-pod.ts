/**
 * The pods a Job makes: its template (which the API server already labelled with the Job's uid
 * and name, batch/v1 generateSelector), the controller reference, and the tracking finalizer that
 * keeps a finished pod in the API until the Job has counted it — so a pod deleted right after it
 * finished (by a user, the garbage collector, a node going away) is still counted exactly once.
 * Indexed Jobs' pods also carry their completion index and a stable hostname. Pure.
 */
import type { Container, EnvVar, Pod } from '../../api/core/v1/pod-types.js';
import type { Job } from '../../api/batch/v1/job.js';
import { ownerRefTo, podFromTemplate } from '../base/pods.js';
import { COMPLETION_INDEX_KEY } from './indexes.js';

/** TRACKING_FINALIZER: on every pod the Job controller creates, removed once counted. */
export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

/** COMPLETION_INDEX_ENV: the variable Indexed Jobs' containers read their index from. */
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** hasTrackingFinalizer: the pod is not counted yet (or is still running). */
export function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata.finalizers?.includes(TRACKING_FINALIZER) === true;
}

/** jobPodFor makes one pod of job; index for Indexed Jobs. */
export function jobPodFor(job: Job, index?: number): Pod {
  const name = job.metadata.name ?? '';
  const generateName = index === undefined ? `${name}-` : `${name}-${index}-`;
  const pod = podFromTemplate(job.spec?.template ?? {}, job.metadata.namespace ?? 'default',
    generateName, ownerRefTo(job, 'batch/v1', 'Job'));
  pod.metadata.finalizers = [TRACKING_FINALIZER];
  if (index === undefined) return pod;
  const value = String(index);
  pod.metadata.annotations = { ...pod.metadata.annotations, [COMPLETION_INDEX_KEY]: value };
  pod.metadata.labels = { ...pod.metadata.labels, [COMPLETION_INDEX_KEY]: value };
  const spec = pod.spec ?? { containers: [] };
  if (spec.hostname === undefined || spec.hostname === '') spec.hostname = `${name}-${index}`;
  spec.containers = spec.containers.map(withIndexEnv);
  if (spec.initContainers !== undefined) spec.initContainers = spec.initContainers.map(
    withIndexEnv);
  pod.spec = spec;
  return pod;
}

/** withIndexEnv: JOB_COMPLETION_INDEX from the pod's annotation (downward API), once. */
function withIndexEnv(c: Container): Container {
  if (c.env?.some((e) => e.name === COMPLETION_INDEX_ENV) === true) return c;
  const env: EnvVar = { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: {
    fieldPath: `metadata.annotations['${COMPLETION_INDEX_KEY}']` } } };
  return { ...c, env: [...(c.env ?? []), env] };
}
