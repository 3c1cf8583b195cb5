/**
 * The Job status writes of one sync, pure: step 1's status (counts as the cache shows them,
 * uncounted pods recorded, start time, suspension and interim conditions), step 3's flush
 * (uncounted uids whose finalizer is gone become counts) and the final condition once nothing is
 * tracked any more.
 */
import type { Job, JobStatus } from '../../api/batch/v1/job.js';
import type { Condition } from '../../api/core/v1/common-types.js';
import { rfc3339 } from '../base/pods.js';
import { canonicalJson } from '../base/template-hash.js';
import { type Finish, isTrue, setCondition } from './conditions.js';
import { formatIndexes } from './indexes.js';
import type { Tracking } from './tracking.js';

/** StatusInput: what step 1's status is made of. */
export interface StatusInput {
  job: Job;
  tracking: Tracking;
  /** Active and ready pods once this sync's creates and deletes are done. */
  active: number;
  ready: number;
  terminating: number;
  finish: Finish | undefined;
  nowWallMs: number;
}

/** SuspendEvent: Suspended / Resumed, when the Suspended condition flips. */
export interface SuspendEvent {
  reason: 'Suspended' | 'Resumed';
  message: string;
}

/** stepOneStatus builds step 1's status and the suspension event, if any. */
export function stepOneStatus(i: StatusInput): { status: JobStatus; event?: SuspendEvent } {
  const { job, tracking: t } = i;
  const now = rfc3339(i.nowWallMs);
  const st: JobStatus = structuredClone(job.status ?? {});
  st.active = i.active;
  st.ready = i.ready;
  st.terminating = i.terminating;
  st.succeeded ??= 0;
  st.failed ??= 0;
  st.uncountedTerminatedPods = withoutEmpty(t.uncounted);
  if (job.spec?.completionMode === 'Indexed') {
    st.completedIndexes = formatIndexes(t.completedIndexes);
    st.succeeded = t.completedIndexes.size;
  }
  let conditions: Condition[] = [...(st.conditions ?? [])];
  let event: SuspendEvent | undefined;
  if (job.spec?.suspend === true && i.finish === undefined) {
    conditions = setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended',
      now);
    if (!isTrue(job, 'Suspended')) event = { reason: 'Suspended', message: 'Job suspended' };
  } else {
    conditions = setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now,
      false);
    if (isTrue(job, 'Suspended')) {
      event = { reason: 'Resumed', message: 'Job resumed' };
      st.startTime = now; // activeDeadlineSeconds counts time spent running, not suspended
    }
  }
  if (job.spec?.suspend !== true && (st.startTime ?? null) === null) st.startTime = now;
  if (i.finish !== undefined) {
    conditions = setCondition(conditions, i.finish.interim, 'True', i.finish.reason,
      i.finish.message, now);
  }
  if (conditions.length > 0) st.conditions = conditions;
  return event === undefined ? { status: st } : { status: st, event };
}

function withoutEmpty(u: { succeeded: string[]; failed: string[] }): JobStatus[
  'uncountedTerminatedPods'] {
  return { ...(u.succeeded.length > 0 ? { succeeded: [...u.succeeded] } : {}),
    ...(u.failed.length > 0 ? { failed: [...u.failed] } : {}) };
}

/** flushUncounted moves uids in `gone` (their pods hold no finalizer) into the counters. */
export function flushUncounted(status: JobStatus, gone: ReadonlySet<string>): JobStatus {
  const st = structuredClone(status);
  const u = st.uncountedTerminatedPods ?? {};
  const succeeded = (u.succeeded ?? []).filter((uid) => !gone.has(uid));
  const failed = (u.failed ?? []).filter((uid) => !gone.has(uid));
  st.succeeded = (st.succeeded ?? 0) + (u.succeeded ?? []).length - succeeded.length;
  st.failed = (st.failed ?? 0) + (u.failed ?? []).length - failed.length;
  st.uncountedTerminatedPods = withoutEmpty({ succeeded, failed });
  return st;
}

/**
 * finishStatus adds the final condition (and completionTime for Complete) when no pod is
 * uncounted; returns undefined while some still are.
 */
export function finishStatus(status: JobStatus, finish: Finish, nowWallMs: number)
  : JobStatus | undefined {
  const u = status.uncountedTerminatedPods ?? {};
  if ((u.succeeded ?? []).length + (u.failed ?? []).length > 0) return undefined;
  const now = rfc3339(nowWallMs);
  const st = structuredClone(status);
  st.conditions = setCondition(st.conditions ?? [], finish.type, 'True', finish.reason,
    finish.message, now);
  if (finish.type === 'Complete') st.completionTime = now;
  st.active = 0;
  st.ready = 0;
  return st;
}

/** sameStatus: nothing to write. */
export function sameStatus(a: JobStatus | undefined, b: JobStatus): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}
