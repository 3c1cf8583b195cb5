/**
 * The Job controller's writes, in plan.ts's order: pod deletes (tracking finalizer released
 * first) and creates, the step-1 status, finalizer removal, then the flush with the final
 * condition. Every status write carries the cached resourceVersion, so a write from a stale view
 * conflicts and the sync is retried instead of overwriting counts.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Job, JobStatus } from '../../api/batch/v1/job.js';
import { keyOf } from '../../client/cache/keys.js';
import { createPods, deletePods, type PodWriter } from '../base/pod-writes.js';
import { controllerRef } from '../base/pods.js';
import { hasCode } from '../base/api-errors.js';
import { JOBS, PODS } from '../base/resources.js';
import type { WrittenVersions } from '../base/written-versions.js';
import { hasTrackingFinalizer, TRACKING_FINALIZER } from './job-pod.js';
import type { JobPlan } from './plan.js';
import { finishStatus, flushUncounted, sameStatus } from './status.js';

/** PATCHES_IN_FLIGHT_MAX bounds concurrent finalizer patches of one sync. */
export const PATCHES_IN_FLIGHT_MAX = 100;

/** RELEASE_PATCH drops the tracking finalizer, leaving any other finalizer alone. */
const RELEASE_PATCH = { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [
  TRACKING_FINALIZER] } };

/** JobWriter performs one sync's writes. */
export class JobWriter {
  constructor(
    private readonly w: PodWriter,
    /** Pod uid → Job key: removals sent, not yet seen (shared with the controller). */
    private readonly removing: Map<string, string>,
    private readonly written: WrittenVersions,
    private readonly wallMs: () => number,
  ) {}

  /** execute runs the plan; throws the first error after doing what it could. */
  async execute(key: string, job: Job, plan: JobPlan): Promise<void> {
    if (plan.event !== undefined) {
      this.w.recorder.event(job, 'Normal', plan.event.reason, plan.event.message);
    }
    if (plan.creates.length > 0 || plan.deletes.length > 0) {
      this.w.expectations.expect(key, plan.creates.length, plan.deletes.map((p) => keyOf(p)));
    }
    const gone = new Set(plan.untracked);
    const released = await this.release(key, plan.deletes, gone);
    const toDelete = plan.deletes.filter((p) => !released.failed.includes(p));
    for (const p of released.failed) this.w.expectations.deletionObserved(key, keyOf(p));
    const deleted = await deletePods(this.w, key, job, toDelete);
    const created = await createPods(this.w, key, job, plan.creates);
    let current = job;
    if (plan.status !== undefined) {
      const active = (plan.status.active ?? 0) - created.notDone + deleted.notDone
        + released.failed.length;
      current = await this.writeStatus(key, job, { ...plan.status, active });
    }
    const removed = await this.release(key, plan.removeFinalizers, gone);
    let status = flushUncounted(current.status ?? {}, gone);
    const clean = released.error === undefined && removed.error === undefined
      && deleted.error === undefined;
    const finished = plan.finish !== undefined && clean ?
      finishStatus(status, plan.finish, this.wallMs()) : undefined;
    if (finished !== undefined) status = finished;
    if (!sameStatus(current.status, status)) {
      await this.writeStatus(key, current, status);
      if (finished !== undefined && plan.finish !== undefined) this.finishedEvent(job, plan);
    }
    if (plan.deleteJob) await this.deleteJob(job);
    const error = [released.error, deleted.error, created.error, removed.error]
      .find((e) => e !== undefined);
    if (error !== undefined) throw error;
  }

  private finishedEvent(job: Job, plan: JobPlan): void {
    const f = plan.finish;
    if (f === undefined) return;
    if (f.type === 'Complete') this.w.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    else this.w.recorder.event(job, 'Warning', f.reason, f.message);
  }

  private async writeStatus(key: string, job: Job, status: JobStatus): Promise<Job> {
    const out = await this.w.api.update<Job>(JOBS, job.metadata.namespace,
      { ...structuredClone(job), status }, { subresource: 'status' });
    this.written.wrote(key, out);
    return out;
  }

  /**
   * release removes the tracking finalizer from pods that hold it (bounded concurrency); a pod
   * released or already gone joins `gone`. Returns the pods that failed and the first error.
   */
  async release(key: string, pods: readonly Pod[], gone: Set<string>)
    : Promise<{ failed: Pod[]; error?: unknown }> {
    const failed: Pod[] = [];
    let error: unknown;
    const holding = pods.filter((p) => hasTrackingFinalizer(p));
    for (let i = 0; i < holding.length; i += PATCHES_IN_FLIGHT_MAX) {
      await Promise.all(holding.slice(i, i + PATCHES_IN_FLIGHT_MAX).map(async (pod) => {
        const uid = pod.metadata.uid ?? '';
        try {
          await this.w.api.patch(PODS, pod.metadata.namespace, pod.metadata.name ?? '',
            'application/strategic-merge-patch+json', RELEASE_PATCH);
          this.removing.set(uid, key);
        } catch (e) {
          if (!hasCode(e, 404)) {
            failed.push(pod);
            error ??= e;
            return;
          }
        }
        gone.add(uid);
      }));
    }
    return error === undefined ? { failed } : { failed, error };
  }

  /**
   * releaseOrphans frees pods of a Job that is gone (upstream's orphan pod handling): asked of
   * the API, not the cache, since a cache that has not seen a new Job yet must not free its pods.
   */
  async releaseOrphans(pods: readonly Pod[]): Promise<void> {
    const first = pods[0];
    if (first === undefined) return;
    const ref = controllerRef(first);
    let liveUid: string | undefined;
    try {
      const live = await this.w.api.get<Job>(JOBS, first.metadata.namespace, ref?.name ?? '');
      liveUid = live.metadata.uid;
    } catch (e) {
      if (!hasCode(e, 404)) throw e;
    }
    const orphans = pods.filter((p) => controllerRef(p)?.uid !== liveUid);
    const out = await this.release('', orphans, new Set());
    if (out.error !== undefined) throw out.error;
  }

  private async deleteJob(job: Job): Promise<void> {
    const uid = job.metadata.uid;
    try {
      await this.w.api.delete(JOBS, job.metadata.namespace, job.metadata.name ?? '', {
        propagationPolicy: 'Foreground',
        ...(uid === undefined ? {} : { preconditions: { uid } }),
      });
    } catch (e) {
      if (!hasCode(e, 404) && !hasCode(e, 409)) throw e;
    }
  }
}
