/**
 * What the scheduler writes about a pod it could not place: the PodScheduled=False condition
 * (reason Unschedulable, or SchedulerError for internal and bind errors; message = the summary)
 * and the FailedScheduling event text (upstream truncates Event notes to 1024 characters).
 * Pure: the shell sends the patch.
 */
import type { Condition } from '../api/core/v1/common-types.js';
import type { Pod } from '../api/core/v1/pod-types.js';

/** Condition reasons (core/v1 PodReasonUnschedulable, PodReasonSchedulerError). */
export const REASON_UNSCHEDULABLE = 'Unschedulable';
export const REASON_SCHEDULER_ERROR = 'SchedulerError';

/** EVENT_NOTE_MAX_CHARS: the longest Event message (validation.NoteLengthLimit). */
export const EVENT_NOTE_MAX_CHARS = 1024;

/** truncateEventMessage shortens a message to the Event limit, ending it with " ...". */
export function truncateEventMessage(message: string): string {
  if (message.length <= EVENT_NOTE_MAX_CHARS) return message;
  const suffix = ' ...';
  return message.slice(0, EVENT_NOTE_MAX_CHARS - suffix.length) + suffix;
}

/**
 * unschedulableConditionPatch: the strategic merge patch for pods/status that records the
 * condition, or undefined when the pod already carries the same one (no write: the pod's own
 * update would otherwise come back through the informer for nothing). lastTransitionTime is
 * kept when the condition was already False.
 */
export function unschedulableConditionPatch(pod: Pod, reason: string, message: string,
  nowIso: string): { status: { conditions: Condition[] } } | undefined {
  const cur = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (cur?.status === 'False' && cur.reason === reason && cur.message === message) return undefined;
  const lastTransitionTime = cur?.status === 'False' && cur.lastTransitionTime
    ? cur.lastTransitionTime
    : nowIso;
  return {
    status: {
      conditions: [{ type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null,
        lastTransitionTime }],
    },
  };
}
