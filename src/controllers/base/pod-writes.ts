/**
 * Creating and deleting a controller's pods (upstream's PodControl): the calls, the events
 * `kubectl describe` shows on the owner (SuccessfulCreate / FailedCreate, SuccessfulDelete /
 * FailedDelete), and the expectations bookkeeping for calls that failed or were never made, so
 * a failed batch cannot hold the owner's next sync back until the expectations expire.
 */
import type { KubeObject } from '../../api/meta.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { ComponentApi } from '../../client/component-api.js';
import { keyOf } from '../../client/cache/keys.js';
import type { EventRecorder } from '../../client/events/types.js';
import type { Expectations } from './expectations.js';
import { describeError, hasCode, namespaceTerminating } from './api-errors.js';
import { PODS } from './resources.js';
import { slowStartBatch } from './slow-start.js';

/** PodWriter: what the writes need. */
export interface PodWriter {
  api: ComponentApi;
  recorder: EventRecorder;
  expectations: Expectations;
}

/** WriteOutcome: how many calls did not take effect, and the first error worth a retry
 *  (undefined when all succeeded, or when the namespace is being deleted: retrying cannot help). */
export interface WriteOutcome {
  notDone: number;
  error?: unknown;
}

/** createPods creates pods in slow-start batches (see WriteOutcome). A namespace being
 *  deleted refuses every create: the batches stop there, without an error to retry. */
export async function createPods(w: PodWriter, ownerKey: string, owner: KubeObject,
  pods: readonly Pod[]): Promise<WriteOutcome> {
  let failure: unknown;
  const result = await slowStartBatch(pods.length, async (i) => {
    const pod = pods[i] as Pod;
    try {
      const out = await w.api.create<Pod>(PODS, pod.metadata.namespace, pod);
      w.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${
        out.metadata.name ?? ''}`);
    } catch (e) {
      w.expectations.creationObserved(ownerKey);
      if (!namespaceTerminating(e)) {
        w.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${describeError(e)}`);
        failure ??= e;
      }
      throw e;
    }
  });
  for (let i = 0; i < result.skipped; i++) w.expectations.creationObserved(ownerKey);
  const notDone = pods.length - result.successes;
  return failure === undefined ? { notDone } : { notDone, error: failure };
}

/** deletePods deletes pods (uid precondition: never a same-named successor); NotFound is
 *  success (see WriteOutcome). */
export async function deletePods(w: PodWriter, ownerKey: string, owner: KubeObject,
  pods: readonly Pod[]): Promise<WriteOutcome> {
  let failure: unknown;
  let notDone = 0;
  await Promise.all(pods.map(async (pod) => {
    const name = pod.metadata.name ?? '';
    const uid = pod.metadata.uid;
    try {
      await w.api.delete(PODS, pod.metadata.namespace, name,
        uid === undefined ? {} : { preconditions: { uid } });
      w.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
    } catch (e) {
      w.expectations.deletionObserved(ownerKey, keyOf(pod));
      if (hasCode(e, 404) || hasCode(e, 409)) return; // gone, or a successor (uid differs)
      w.recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${describeError(e)}`);
      notDone++;
      failure ??= e;
    }
  }));
  return failure === undefined ? { notDone } : { notDone, error: failure };
}
