/**
 * Job conditions (batch/v1 JobConditionType) and the reasons and messages upstream writes, so
 * `kubectl describe job`, `kubectl wait --for=condition=complete` and tools that read reasons
 * (Argo, Kueue) see what they see on Kubernetes. Since 1.31 a finishing Job first gets an interim
 * condition (SuccessCriteriaMet / FailureTarget) and the final one (Complete / Failed) only once
 * none of its pods is still tracked: a watcher of Complete knows every pod has been counted.
 */
import type { Condition } from '../../api/core/v1/common-types.js';
import type { Job } from '../../api/batch/v1/job.js';

/** FinishReason: a final condition with its interim one, reason and message. */
export interface Finish {
  type: 'Complete' | 'Failed';
  interim: 'SuccessCriteriaMet' | 'FailureTarget';
  reason: string;
  message: string;
}

/** COMPLETIONS_REACHED: how a Job succeeds. */
export const COMPLETIONS_REACHED: Finish = {
  type: 'Complete', interim: 'SuccessCriteriaMet', reason: 'CompletionsReached',
  message: 'Reached expected number of succeeded pods',
};
/** BACKOFF_LIMIT_EXCEEDED: more failed pods than spec.backoffLimit. */
export const BACKOFF_LIMIT_EXCEEDED: Finish = {
  type: 'Failed', interim: 'FailureTarget', reason: 'BackoffLimitExceeded',
  message: 'Job has reached the specified backoff limit',
};
/** DEADLINE_EXCEEDED: active longer than spec.activeDeadlineSeconds. */
export const DEADLINE_EXCEEDED: Finish = {
  type: 'Failed', interim: 'FailureTarget', reason: 'DeadlineExceeded',
  message: 'Job was active longer than specified deadline',
};

/** jobCondition finds a condition by type. */
export function jobCondition(job: Job, type: string): Condition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

/** isTrue: the Job has condition `type` with status True. */
export function isTrue(job: Job, type: string): boolean {
  return jobCondition(job, type)?.status === 'True';
}

/** isFinished: Complete or Failed is True (nothing more happens but cleanup). */
export function isFinished(job: Job): boolean {
  return isTrue(job, 'Complete') || isTrue(job, 'Failed');
}

/** finishFromInterim: the Finish an earlier sync already decided (its interim condition). */
export function finishFromInterim(job: Job): Finish | undefined {
  for (const type of ['FailureTarget', 'SuccessCriteriaMet'] as const) {
    const c = jobCondition(job, type);
    if (c?.status !== 'True') continue;
    const final = type === 'FailureTarget' ? 'Failed' : 'Complete';
    return { type: final, interim: type, reason: c.reason ?? '', message: c.message ?? '' };
  }
  return undefined;
}

/**
 * setCondition returns conditions with `type` at status (reason, message); the transition time
 * changes only when the status does (upstream's ensureJobConditionStatus). With addIfMissing
 * false a missing condition is not added (a Job never suspended gets no Suspended=False).
 */
export function setCondition(conditions: readonly Condition[], type: string,
  status: 'True' | 'False', reason: string, message: string, nowIso: string,
  addIfMissing = true): Condition[] {
  const i = conditions.findIndex((c) => c.type === type);
  const existing = conditions[i];
  if (existing === undefined) {
    if (!addIfMissing) return [...conditions];
    return [...conditions, { type, status, lastProbeTime: nowIso, lastTransitionTime: nowIso,
      reason, message }];
  }
  if (existing.status === status && existing.reason === reason && existing.message === message) {
    return [...conditions];
  }
  const transition = existing.status === status ? existing.lastTransitionTime : nowIso;
  const out = [...conditions];
  out[i] = { ...existing, status, reason, message, lastProbeTime: nowIso,
    lastTransitionTime: transition ?? nowIso };
  return out;
}
