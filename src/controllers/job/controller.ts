/**
 * The Job controller's shell ("job" in kube-controller-manager): Job and Pod informers whose
 * handlers only enqueue Job keys → workqueue → sync(key) re-reads the caches → planJob → the
 * writes in plan.ts's order, through the (fenced) API. What only the shell can know stays here:
 * expectations, finalizer removals sent but not yet seen (`removing`), the failure backoff, and
 * our status writes not yet in the Job cache (no sync may count from an older Job than we wrote).
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Job } from '../../api/batch/v1/job.js';
import { keyOf, splitKey } from '../../client/cache/keys.js';
import type { Informer } from '../../client/cache/types.js';
import type { EventRecorder } from '../../client/events/types.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { SyncResult, WorkQueue } from '../../client/workqueue/types.js';
import { Expectations } from '../base/expectations.js';
import { ownedPodHandlers } from '../base/owned-pods.js';
import { controllerRef } from '../base/pods.js';
import { onEveryChange, runQueueWorkers } from '../base/queue-workers.js';
import { JOBS, PODS } from '../base/resources.js';
import { WrittenVersions } from '../base/written-versions.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import { hasTrackingFinalizer } from './job-pod.js';
import { DEFAULT_POD_FAILURE_BACKOFF, type JobBackoff, type PodFailureBackoff } from './manage.js';
import { planJob } from './plan.js';
import { JobWriter } from './writes.js';

/** JOB_WORKERS: upstream's --concurrent-job-syncs default. */
export const JOB_WORKERS = 5;

/** STALE_RECHECK_MS: when our last status write is not in the cache yet, look again after this
 *  (the Job's watch event normally enqueues it sooner). */
export const STALE_RECHECK_MS = 1_000;

/** JobControllerOptions: tests shorten the failure backoff. */
export interface JobControllerOptions {
  podFailureBackoff?: PodFailureBackoff;
}

/** JobController runs Jobs' pods to completion and records the outcome. */
export class JobController {
  /** Jobs: the desired side; a key is "<ns>/<name>". */
  private readonly jobs: Informer<Job>;
  /** Pods: what runs and how it ended. */
  private readonly pods: Informer<Pod>;
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;
  /** Pod uid → Job key: finalizer removals sent, not yet in the pod cache. */
  private readonly removing = new Map<string, string>();
  /** Failure backoff per Job key. */
  private readonly backoff = new Map<string, JobBackoff>();
  /** Status writes per Job key not yet in the Job cache. */
  private readonly written: WrittenVersions;
  private readonly recorder: EventRecorder;
  private readonly writer: JobWriter;

  constructor(private readonly ctx: ControllerContext, private readonly o: JobControllerOptions) {
    this.jobs = ctx.informers.informerFor<Job>(JOBS);
    this.pods = ctx.informers.informerFor<Pod>(PODS);
    this.queue = newWorkQueue({ clock: ctx.clock, name: 'job' });
    this.expectations = new Expectations(ctx.clock);
    this.written = new WrittenVersions(ctx.clock);
    this.recorder = ctx.events('job-controller');
    this.writer = new JobWriter({ api: ctx.api, recorder: this.recorder,
      expectations: this.expectations }, this.removing, this.written, ctx.wallMs);
    const enqueue = (job: Job): void => this.queue.add(keyOf(job));
    this.jobs.addHandlers({ ...onEveryChange(enqueue), delete: (job) => {
      this.forget(keyOf(job));
      enqueue(job);
    } });
    this.pods.addHandlers(ownedPodHandlers({ kind: 'Job', group: 'batch/',
      expectations: this.expectations, enqueue: (k) => this.queue.add(k),
      onPod: (p) => this.podSeen(p) }));
  }

  /** run waits for the caches, then syncs keys until the context's signal aborts. */
  run(): Promise<void> {
    return runQueueWorkers(this.ctx,
      { queue: this.queue, sync: (key) => this.sync(key), workers: JOB_WORKERS });
  }

  /** podSeen: a removal we sent is visible once the pod has no finalizer (or is gone). */
  private podSeen(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    if (this.removing.has(uid) && !hasTrackingFinalizer(pod)) this.removing.delete(uid);
  }

  private forget(key: string): void {
    this.expectations.forget(key);
    this.backoff.delete(key);
    this.written.forget(key);
    for (const [uid, k] of this.removing) if (k === key) this.removing.delete(uid);
  }

  /** sync reconciles Job key with the caches; throws to retry with backoff. */
  async sync(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    const job = this.jobs.lister.get(namespace, name);
    if (job === undefined) {
      this.forget(key);
      await this.writer.releaseOrphans(this.orphans(namespace, name));
      return;
    }
    if (this.written.stale(key, (n) => this.jobs.lister.get(namespace, n))) {
      return { requeueAfterMs: STALE_RECHECK_MS };
    }
    const pods = this.pods.lister.list(namespace).filter((p) => controllerRef(p)?.uid
      === job.metadata.uid);
    this.pruneRemoving(key, pods);
    const plan = planJob({ job, pods, nowWallMs: this.ctx.wallMs(),
      expectationsSatisfied: this.expectations.satisfied(key),
      removing: new Set([...this.removing.keys()]),
      backoff: this.backoff.get(key) ?? { failures: 0, lastFailureWallMs: 0 },
      podFailureBackoff: this.o.podFailureBackoff ?? DEFAULT_POD_FAILURE_BACKOFF });
    this.backoff.set(key, plan.backoff);
    await this.writer.execute(key, job, plan);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }

  /** pruneRemoving: the cache shows the pod without the finalizer, or the pod is gone. */
  private pruneRemoving(key: string, pods: readonly Pod[]): void {
    const byUid = new Map(pods.map((p) => [p.metadata.uid ?? '', p]));
    for (const [uid, k] of this.removing) {
      if (k !== key) continue;
      const pod = byUid.get(uid);
      if (pod === undefined || !hasTrackingFinalizer(pod)) this.removing.delete(uid);
    }
  }

  /** orphans: pods still holding the tracking finalizer whose Job (by name) is not cached. */
  private orphans(namespace: string | undefined, name: string): Pod[] {
    return this.pods.lister.list(namespace).filter((p) => {
      const ref = controllerRef(p);
      return ref?.kind === 'Job' && ref.name === name && hasTrackingFinalizer(p);
    });
  }
}

/** newJobController: the descriptor with options (tests shorten the failure backoff). */
export function newJobController(o: JobControllerOptions = {}): ControllerDescriptor {
  return { name: 'job', start: (ctx) => new JobController(ctx, o).run() };
}

/** jobController registers the controller under upstream's name, "job". */
export const jobController: ControllerDescriptor = newJobController();
