/**
 * How many pods a running Job wants and which to create or delete (upstream's manageJob): with
 * completions, never more than parallelism nor than the completions still missing; without,
 * parallelism until the first success, then no new pods (each pod can tell the work is done).
 * Suspended: none. New pods wait out the failure backoff (10 s doubling to 10 min since the last
 * failure, reset by a success); a pod to delete is picked least-advanced first. Pure.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Job } from '../../api/batch/v1/job.js';
import { isPodReady } from '../base/pods.js';
import { completionIndex, missingIndexes } from './indexes.js';
import { jobPodFor } from './job-pod.js';

/** CREATES_PER_SYNC_MAX: upstream's MaxPodCreateDeletePerSync. */
export const CREATES_PER_SYNC_MAX = 500;

/** PodFailureBackoff: base and cap of the delay before pods replace failed ones. */
export interface PodFailureBackoff {
  baseMs: number;
  maxMs: number;
}

/** DEFAULT_POD_FAILURE_BACKOFF: upstream's DefaultJobPodFailureBackOff and
 *  MaxJobPodFailureBackOff. */
export const DEFAULT_POD_FAILURE_BACKOFF: PodFailureBackoff = { baseMs: 10_000, maxMs: 600_000 };

/** JobBackoff: failures since the last success, and when the last was seen (wall ms). */
export interface JobBackoff {
  failures: number;
  lastFailureWallMs: number;
}

/** nextBackoff: a success resets, failures add up. */
export function nextBackoff(b: JobBackoff, succeeded: number, failed: number, nowWallMs: number)
  : JobBackoff {
  let out = succeeded > 0 ? { failures: 0, lastFailureWallMs: 0 } : { ...b };
  if (failed > 0) out = { failures: out.failures + failed, lastFailureWallMs: nowWallMs };
  return out;
}

/** backoffRemainingMs: how long new pods must still wait (0: now). */
export function backoffRemainingMs(b: JobBackoff, p: PodFailureBackoff, nowWallMs: number)
  : number {
  if (b.failures <= 0) return 0;
  const delayMs = Math.min(p.baseMs * 2 ** Math.min(b.failures - 1, 30), p.maxMs);
  return Math.max(0, b.lastFailureWallMs + delayMs - nowWallMs);
}

/** wantActive: the number of pods the Job should be running now. */
export function wantActive(job: Job, succeeded: number, active: number): number {
  if (job.spec?.suspend === true) return 0;
  const parallelism = job.spec?.parallelism ?? 1;
  const completions = job.spec?.completions;
  if (completions === undefined) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(completions - succeeded, parallelism));
}

/** ManageResult: pods to create and delete. */
export interface ManageResult {
  creates: Pod[];
  deletes: Pod[];
}

/**
 * manage plans creates and deletes for active pods `active`. Indexed Jobs first drop pods whose
 * index is invalid, already completed or held by an older pod, and create the lowest missing.
 */
export function manage(job: Job, active: readonly Pod[], succeeded: number,
  completed: ReadonlySet<number>, mayCreate: boolean): ManageResult {
  const indexed = job.spec?.completionMode === 'Indexed';
  const deletes = indexed ? badIndexPods(job, active, completed) : [];
  const keep = active.filter((p) => !deletes.includes(p));
  const want = wantActive(job, succeeded, keep.length);
  if (keep.length > want) {
    deletes.push(...[...keep].sort(removalOrder).slice(0, keep.length - want));
    return { creates: [], deletes };
  }
  const n = Math.min(want - keep.length, CREATES_PER_SYNC_MAX);
  if (!mayCreate || n === 0) return { creates: [], deletes };
  if (!indexed) return { creates: Array.from({ length: n }, () => jobPodFor(job)), deletes };
  const taken = new Set(keep.map((p) => completionIndex(p) ?? -1));
  const indexes = missingIndexes(job.spec?.completions ?? 0, completed, taken, n);
  return { creates: indexes.map((i) => jobPodFor(job, i)), deletes };
}

function badIndexPods(job: Job, active: readonly Pod[], completed: ReadonlySet<number>)
  : Pod[] {
  const completions = job.spec?.completions ?? 0;
  const seen = new Set<number>();
  const bad: Pod[] = [];
  for (const pod of [...active].sort((a, b) => -removalOrder(a, b))) {
    const ix = completionIndex(pod);
    if (ix === undefined || ix >= completions || completed.has(ix) || seen.has(ix)) bad.push(pod);
    else seen.add(ix);
  }
  return bad;
}

/** removalOrder: unbound, then pending, then not ready, then newest pods first. */
export function removalOrder(a: Pod, b: Pod): number {
  const rank = (p: Pod): number => ((p.spec?.nodeName ?? '') === '' ? 0 : 4)
    + (p.status?.phase === 'Running' ? 2 : 0) + (isPodReady(p) ? 1 : 0);
  const d = rank(a) - rank(b);
  if (d !== 0) return d;
  const at = a.metadata.creationTimestamp ?? '';
  const bt = b.metadata.creationTimestamp ?? '';
  if (at !== bt) return at < bt ? 1 : -1;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}
