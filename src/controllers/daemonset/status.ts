/**
 * DaemonSet status from the cache (upstream's updateDaemonSetStatus): per node that should run
 * a pod, whether it has one, and whether that pod (the oldest) is ready, available and of the
 * current template; pods on nodes that should not run one are misscheduled. Pure.
 */
import type { DaemonSetStatus } from '../../api/apps/v1/workloads.js';
import { isPodAvailable, isPodReady } from '../base/pods.js';
import { nodeFit } from './node-fit.js';
import { type DaemonSetView, isUpdated } from './pods-by-node.js';

/** COUNT_FIELDS: the status fields this controller owns (conditions are left alone). */
const COUNT_FIELDS = [
  'desiredNumberScheduled', 'currentNumberScheduled', 'numberMisscheduled', 'numberReady',
  'numberAvailable', 'numberUnavailable', 'updatedNumberScheduled', 'observedGeneration',
] as const;

/** computeStatus: the DaemonSet's status as the cache shows it (conditions kept). */
export function computeStatus(input: DaemonSetView): DaemonSetStatus {
  const minReady = input.ds.spec?.minReadySeconds ?? 0;
  const s = { desired: 0, current: 0, misscheduled: 0, ready: 0, available: 0, updated: 0 };
  for (const node of input.nodes) {
    const pods = input.podsByNode.get(node.metadata.name ?? '') ?? [];
    if (!nodeFit(input.spec, node).shouldRun) {
      if (pods.length > 0) s.misscheduled++;
      continue;
    }
    s.desired++;
    const pod = pods[0];
    if (pod === undefined) continue;
    s.current++;
    if (isPodReady(pod)) {
      s.ready++;
      if (isPodAvailable(pod, minReady, input.nowWallMs)) s.available++;
    }
    if (isUpdated(pod, input.hash)) s.updated++;
  }
  return {
    ...input.ds.status,
    desiredNumberScheduled: s.desired,
    currentNumberScheduled: s.current,
    numberMisscheduled: s.misscheduled,
    numberReady: s.ready,
    numberAvailable: s.available,
    numberUnavailable: s.desired - s.available,
    updatedNumberScheduled: s.updated,
    observedGeneration: input.ds.metadata.generation ?? 0,
  };
}

/** statusChanged: some count differs (an unchanged status is not written). */
export function statusChanged(before: DaemonSetStatus | undefined, after: DaemonSetStatus)
  : boolean {
  return COUNT_FIELDS.some((f) => (before?.[f] ?? 0) !== (after[f] ?? 0));
}
