/**
 * The Job controller's pure core: one Job, its pods as the cache shows them, the wall clock and
 * the in-memory failure backoff in; what one sync must do out, which the shell runs in this order:
 *   1. deletes (finalizer removed first: a pod this controller removes is not counted, except the
 *      active pods of a finishing Job, recorded as failed in `status`) and creates (slow start);
 *   2. `status` (step 1 of tracking: finished pods recorded as uncounted) when it changed, its
 *      `active` corrected by the shell for creates or deletes that failed;
 *   3. finalizer removal from `removeFinalizers` (after the status write succeeded);
 *   4. the flush: uncounted uids whose finalizer is gone become counts (status.ts), and, when
 *      `finish` is set and nothing is left uncounted, the final Complete/Failed condition.
 * Finished Jobs only lose leftover finalizers and, with ttlSecondsAfterFinished, get deleted.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Job, JobStatus } from '../../api/batch/v1/job.js';
import { assert } from '../../base/assert.js';
import { isPodActive, isPodReady } from '../base/pods.js';
import {
  BACKOFF_LIMIT_EXCEEDED,
  COMPLETIONS_REACHED,
  DEADLINE_EXCEEDED,
  type Finish,
  finishFromInterim,
  isFinished,
  jobCondition,
} from './conditions.js';
import { hasTrackingFinalizer } from './job-pod.js';
import {
  backoffRemainingMs,
  CREATES_PER_SYNC_MAX,
  type JobBackoff,
  manage,
  nextBackoff,
  type PodFailureBackoff,
} from './manage.js';
import { sameStatus, type StatusInput, stepOneStatus, type SuspendEvent } from './status.js';
import { countFailure, track, type Tracking } from './tracking.js';

/** JobInput: one sync's view. */
export interface JobInput {
  job: Job;
  /** The Job's pods (controller reference to its uid). */
  pods: readonly Pod[];
  nowWallMs: number;
  /** Creates and deletes of earlier syncs are all visible in the cache. */
  expectationsSatisfied: boolean;
  /** Pod uids whose finalizer removal was sent but is not in the cache yet. */
  removing: ReadonlySet<string>;
  backoff: JobBackoff;
  podFailureBackoff: PodFailureBackoff;
}

/** JobPlan: see the module comment for the order. */
export interface JobPlan {
  deletes: Pod[];
  creates: Pod[];
  status?: JobStatus;
  removeFinalizers: Pod[];
  /** Uncounted uids whose pods already hold no finalizer (flushed in step 4 regardless). */
  untracked: string[];
  finish?: Finish;
  event?: SuspendEvent;
  /** ttlSecondsAfterFinished has passed. */
  deleteJob: boolean;
  backoff: JobBackoff;
  requeueAfterMs?: number;
}

/** planJob decides one sync. */
export function planJob(input: JobInput): JobPlan {
  const { job } = input;
  const plan: JobPlan = { deletes: [], creates: [], removeFinalizers: [], untracked: [],
    deleteJob: false, backoff: input.backoff };
  if (job.metadata.deletionTimestamp !== undefined || isFinished(job)) {
    plan.removeFinalizers = input.pods.filter((p) => hasTrackingFinalizer(p)
      && !input.removing.has(p.metadata.uid ?? ''));
    if (job.metadata.deletionTimestamp === undefined) ttl(input, plan);
    return plan;
  }
  const t = track(input);
  plan.backoff = nextBackoff(input.backoff, t.newSucceeded, t.newFailed, input.nowWallMs);
  const active = input.pods.filter((p) => isPodActive(p) && !input.removing.has(
    p.metadata.uid ?? ''));
  const succeeded = job.spec?.completionMode === 'Indexed' ? t.completedIndexes.size :
    (job.status?.succeeded ?? 0) + t.uncounted.succeeded.length;
  const failed = (job.status?.failed ?? 0) + t.uncounted.failed.length;
  const finish = finishFromInterim(job) ?? decideFinish(input, succeeded, failed, active);
  if (finish !== undefined) {
    for (const pod of active) if (hasTrackingFinalizer(pod)) countFailure(t, pod);
    plan.deletes = [...active];
    plan.finish = finish;
  } else if (input.expectationsSatisfied) {
    const waitMs = backoffRemainingMs(plan.backoff, input.podFailureBackoff, input.nowWallMs);
    const m = manage(job, active, succeeded, t.completedIndexes, waitMs === 0);
    plan.deletes = m.deletes;
    plan.creates = m.creates;
    if (waitMs > 0 && m.creates.length === 0) requeue(plan, waitMs);
  }
  if (t.full) requeue(plan, 0);
  writeStatus(input, plan, t, active);
  deadlineRecheck(input, plan, finish);
  checkPlan(plan, active, t);
  return plan;
}

/** checkPlan: invariants every plan keeps (programmer errors if not). */
function checkPlan(plan: JobPlan, active: readonly Pod[], t: Tracking): void {
  assert(plan.creates.length <= CREATES_PER_SYNC_MAX, 'job plan: too many creates');
  assert(plan.finish === undefined || plan.creates.length === 0, 'job plan: creates on finish');
  assert(plan.deletes.every((p) => active.includes(p)), 'job plan: deletes a pod not active');
  const uids = [...t.uncounted.succeeded, ...t.uncounted.failed];
  assert(new Set(uids).size === uids.length, 'job plan: a pod uncounted twice');
}

/** decideFinish: failure first (backoff limit, deadline), then success, as upstream. */
function decideFinish(input: JobInput, succeeded: number, failed: number,
  active: readonly Pod[]): Finish | undefined {
  const { job } = input;
  if (job.spec?.suspend === true) return undefined;
  const limit = job.spec?.backoffLimit ?? 6;
  if (failed > limit || restartsPastLimit(job, active, limit)) return BACKOFF_LIMIT_EXCEEDED;
  if (deadlineLeftMs(job, input.nowWallMs) === 0) return DEADLINE_EXCEEDED;
  const completions = job.spec?.completions;
  const done = completions === undefined ? succeeded > 0 && active.length === 0 :
    succeeded >= completions;
  return done ? COMPLETIONS_REACHED : undefined;
}

/** restartsPastLimit: restartPolicy OnFailure retries in place; its restarts count instead. */
function restartsPastLimit(job: Job, active: readonly Pod[], limit: number): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of active) {
    for (const s of [...(p.status?.initContainerStatuses ?? []),
      ...(p.status?.containerStatuses ?? [])]) restarts += s.restartCount ?? 0;
  }
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** deadlineLeftMs: time until activeDeadlineSeconds (0: passed; undefined: no deadline). */
function deadlineLeftMs(job: Job, nowWallMs: number): number | undefined {
  const seconds = job.spec?.activeDeadlineSeconds;
  const start = job.status?.startTime;
  if (seconds === undefined || start === undefined || start === null) return undefined;
  return Math.max(0, Date.parse(start) + seconds * 1000 - nowWallMs);
}

function deadlineRecheck(input: JobInput, plan: JobPlan, finish: Finish | undefined): void {
  if (finish !== undefined || input.job.spec?.suspend === true) return;
  const left = deadlineLeftMs({ ...input.job, status: plan.status ?? input.job.status },
    input.nowWallMs);
  if (left !== undefined) requeue(plan, left);
}

function writeStatus(input: JobInput, plan: JobPlan, t: Tracking, active: readonly Pod[]): void {
  const remaining = active.filter((p) => !plan.deletes.includes(p));
  const si: StatusInput = {
    job: input.job, tracking: t, finish: plan.finish, nowWallMs: input.nowWallMs,
    active: remaining.length + plan.creates.length,
    ready: remaining.filter((p) => isPodReady(p)).length,
    terminating: input.pods.filter((p) => p.metadata.deletionTimestamp !== undefined
      && isPodActiveOrTerminating(p)).length,
  };
  const { status, event } = stepOneStatus(si);
  plan.removeFinalizers = t.removeFinalizers.filter((p) => !plan.deletes.includes(p));
  plan.untracked = t.untracked;
  if (!sameStatus(input.job.status, status)) plan.status = status;
  if (event !== undefined) plan.event = event;
}

function isPodActiveOrTerminating(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** ttl: a finished Job with ttlSecondsAfterFinished is deleted that long after it finished. */
function ttl(input: JobInput, plan: JobPlan): void {
  const seconds = input.job.spec?.ttlSecondsAfterFinished;
  if (seconds === undefined) return;
  const c = [jobCondition(input.job, 'Complete'), jobCondition(input.job, 'Failed')]
    .find((x) => x?.status === 'True');
  const at = Date.parse(c?.lastTransitionTime ?? input.job.status?.completionTime ?? '');
  if (Number.isNaN(at)) return;
  const left = at + seconds * 1000 - input.nowWallMs;
  if (left <= 0) plan.deleteJob = true;
  else requeue(plan, left);
}

function requeue(plan: JobPlan, ms: number): void {
  plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? ms, ms);
}
