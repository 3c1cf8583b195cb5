/**
 * Counting finished pods exactly once with the tracking finalizer (upstream's
 * trackJobStatusAndRemoveFinalizers), in three steps a sync runs in order:
 *  1. a finished pod that still has the finalizer is recorded in status.uncountedTerminatedPods
 *     (Indexed Jobs record a success as its index in completedIndexes instead);
 *  2. once that status is written, the pod's finalizer is removed;
 *  3. uids whose pod no longer holds the finalizer move from uncounted to succeeded/failed.
 * A crash between steps repeats a step, never a count. Pods whose finalizer removal this
 * controller already sent (`removing`) are skipped until the cache shows it, so a pod cache
 * older than the Job cache cannot make a counted pod look new.
 *
 * Which pods are failed: phase Failed, or being deleted before it succeeded (upstream's rule
 * before podReplacementPolicy): k8ts has no pod garbage collector to fail a pod whose node is
 * gone, so a deleted pod is counted when its deletion is seen. Pods this controller deletes
 * itself (parallelism lowered, suspension) have their finalizer removed first and are not
 * counted. Pure.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Job } from '../../api/batch/v1/job.js';
import { completionIndex, parseIndexes } from './indexes.js';
import { hasTrackingFinalizer } from './job-pod.js';

/** UNCOUNTED_MAX bounds status.uncountedTerminatedPods (upstream's MaxUncountedPods: keeps the
 *  status near 20 KB); pods beyond it are recorded by a later sync. */
export const UNCOUNTED_MAX = 500;

/** Uncounted: status.uncountedTerminatedPods with both lists present. */
export interface Uncounted {
  succeeded: string[];
  failed: string[];
}

/** Tracking: one sync's counting. */
export interface Tracking {
  /** status.uncountedTerminatedPods after step 1. */
  uncounted: Uncounted;
  /** Indexed Jobs: completed indexes after step 1. */
  completedIndexes: Set<number>;
  /** Pods finished in this sync's view (for the failure backoff). */
  newSucceeded: number;
  newFailed: number;
  /** Step 2: pods whose finalizer goes once the status is written. */
  removeFinalizers: Pod[];
  /** Step 3 now: uncounted uids whose pods already lost the finalizer. */
  untracked: string[];
  /** UNCOUNTED_MAX was reached: more finished pods wait for the next sync. */
  full: boolean;
}

/** TrackingInput: the Job, its pods, and the finalizer removals still unconfirmed. */
export interface TrackingInput {
  job: Job;
  pods: readonly Pod[];
  removing: ReadonlySet<string>;
}

/** isFailedPod: Failed, or deleted before it succeeded. */
export function isFailedPod(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Failed' || (pod.metadata.deletionTimestamp !== undefined
    && phase !== 'Succeeded');
}

/** track runs step 1's bookkeeping and finds step 2's pods and step 3's uids. */
export function track(input: TrackingInput): Tracking {
  const { job } = input;
  const indexed = job.spec?.completionMode === 'Indexed';
  const completions = job.spec?.completions ?? 0;
  const prior = job.status?.uncountedTerminatedPods;
  const t: Tracking = {
    uncounted: { succeeded: [...(prior?.succeeded ?? [])], failed: [...(prior?.failed ?? [])] },
    completedIndexes: indexed ? parseIndexes(job.status?.completedIndexes, completions) :
      new Set(),
    newSucceeded: 0, newFailed: 0, removeFinalizers: [], untracked: [], full: false,
  };
  const known = new Set([...t.uncounted.succeeded, ...t.uncounted.failed]);
  const byUid = new Map(input.pods.map((p) => [p.metadata.uid ?? '', p]));
  for (const uid of known) {
    const pod = byUid.get(uid);
    if (pod === undefined || !hasTrackingFinalizer(pod) || input.removing.has(uid)) {
      t.untracked.push(uid);
    }
  }
  for (const pod of input.pods) {
    const uid = pod.metadata.uid ?? '';
    if (!hasTrackingFinalizer(pod) || input.removing.has(uid)) continue;
    if (known.has(uid)) {
      t.removeFinalizers.push(pod);
      continue;
    }
    if (uncountedTotal(t.uncounted) >= UNCOUNTED_MAX) {
      t.full = true;
      continue;
    }
    if (pod.status?.phase === 'Succeeded') countSuccess(t, pod, indexed, completions);
    else if (isFailedPod(pod)) countFailure(t, pod);
  }
  return t;
}

function countSuccess(t: Tracking, pod: Pod, indexed: boolean, completions: number): void {
  t.newSucceeded++;
  t.removeFinalizers.push(pod);
  if (!indexed) {
    t.uncounted.succeeded.push(pod.metadata.uid ?? '');
    return;
  }
  const ix = completionIndex(pod);
  if (ix !== undefined && ix < completions) t.completedIndexes.add(ix);
}

/** countFailure records pod as failed (also used for active pods of a finishing Job). */
export function countFailure(t: Tracking, pod: Pod): void {
  t.newFailed++;
  t.uncounted.failed.push(pod.metadata.uid ?? '');
  t.removeFinalizers.push(pod);
}

/** uncountedTotal: pods recorded but not yet in the counters. */
export function uncountedTotal(u: Uncounted): number {
  return u.succeeded.length + u.failed.length;
}
