/**
 * The ReplicaSet controller's shell (kube-controller-manager's ReplicaSetController): informers
 * on ReplicaSets and pods whose handlers only enqueue ReplicaSet keys and count observed
 * creates/deletes into the expectations; workers that sync one key at a time by re-reading the
 * caches, asking ./plan.ts what to do, and doing it through the API. Creates go out in
 * slow-start batches; the status is written last, with any create/delete failure in it.
 */
import type { ReplicaSet, ReplicaSetStatus } from '../../api/apps/v1/workloads.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import { isStatusError } from '../../api/errors.js';
import { fromLabelSelector } from '../../api/selectors/labels.js';
import { keyOf, splitKey } from '../../client/cache/keys.js';
import type { Informer } from '../../client/cache/types.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { SyncResult, WorkQueue } from '../../client/workqueue/types.js';
import { describeError } from '../base/api-errors.js';
import { Expectations } from '../base/expectations.js';
import { cachedController } from '../base/owned-pods.js';
import { createPods, deletePods, type PodWriter } from '../base/pod-writes.js';
import { controllerRef, podKey } from '../base/pods.js';
import { onEveryChange, runQueueWorkers } from '../base/queue-workers.js';
import { PODS, REPLICASETS } from '../base/resources.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import { planManage, planStatus, type ManagePlan } from './plan.js';

/** COMPONENT is the events' source.component, as upstream. */
const COMPONENT = 'replicaset-controller';

/** WORKERS: concurrent syncs (upstream --concurrent-replicaset-syncs default 5). */
const WORKERS = 5;

/** ReplicaSetControllerOptions: knobs tests turn. */
export interface ReplicaSetControllerOptions {
  workers?: number;
  burstReplicas?: number;
}

/** ReplicaSetController keeps every ReplicaSet's pod count at spec.replicas. */
export class ReplicaSetController {
  /** Cached ReplicaSets (shared informer). */
  private readonly rsInformer: Informer<ReplicaSet>;
  /** Cached pods (shared informer). */
  private readonly podInformer: Informer<Pod>;
  /** Keys of ReplicaSets to sync. */
  private readonly queue: WorkQueue;
  /** Creates/deletes issued but not yet seen in the pod cache, per ReplicaSet key. */
  private readonly expectations: Expectations;
  private readonly writer: PodWriter;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly o: ReplicaSetControllerOptions = {},
  ) {
    this.rsInformer = ctx.informers.informerFor<ReplicaSet>(REPLICASETS);
    this.podInformer = ctx.informers.informerFor<Pod>(PODS);
    this.queue = newWorkQueue({ clock: ctx.clock, name: 'replicaset' });
    this.expectations = new Expectations(ctx.clock);
    this.writer = { api: ctx.api, recorder: ctx.events(COMPONENT),
      expectations: this.expectations };
    this.rsInformer.addHandlers({ ...onEveryChange((rs) => this.enqueue(rs)), delete: (rs) => {
      this.expectations.forget(keyOf(rs));
      this.enqueue(rs);
    } });
    this.podInformer.addHandlers({
      add: (p) => this.podAdded(p),
      update: (old, p) => this.podUpdated(old, p),
      delete: (p) => this.podDeleted(p),
    });
  }

  /** run waits for the caches, then syncs keys until the context's signal aborts. */
  run(): Promise<void> {
    return runQueueWorkers(this.ctx,
      { queue: this.queue, sync: (key) => this.sync(key), workers: this.o.workers ?? WORKERS });
  }

  private enqueue(rs: ReplicaSet): void {
    this.queue.add(keyOf(rs));
  }

  /** rsKeyOf: the key of p's controlling ReplicaSet, if that is a ReplicaSet we know. */
  private rsKeyOf(p: Pod): string | undefined {
    const rs = cachedController(p, 'ReplicaSet', this.rsInformer.lister);
    return rs === undefined ? undefined : keyOf(rs);
  }

  /** enqueueMatching: an orphan may be adopted by any ReplicaSet selecting it. */
  private enqueueMatching(p: Pod): void {
    for (const rs of this.rsInformer.lister.list(p.metadata.namespace)) {
      if (fromLabelSelector(rs.spec?.selector).matches(p.metadata.labels)) this.enqueue(rs);
    }
  }

  private podAdded(p: Pod): void {
    if (p.metadata.deletionTimestamp !== undefined) {
      this.podDeleted(p);
      return;
    }
    const key = this.rsKeyOf(p);
    if (key !== undefined) {
      this.expectations.creationObserved(key);
      this.queue.add(key);
    } else if (controllerRef(p) === undefined) {
      this.enqueueMatching(p);
    }
  }

  private podUpdated(old: Pod, p: Pod): void {
    const nowDeleting = p.metadata.deletionTimestamp !== undefined;
    if (nowDeleting && old.metadata.deletionTimestamp === undefined) {
      this.podDeleted(p);
    }
    const oldKey = this.rsKeyOf(old);
    const key = this.rsKeyOf(p);
    if (oldKey !== undefined && oldKey !== key) this.queue.add(oldKey);
    if (key !== undefined) this.queue.add(key);
    else if (controllerRef(p) === undefined) this.enqueueMatching(p);
  }

  private podDeleted(p: Pod): void {
    const key = this.rsKeyOf(p);
    if (key === undefined) return;
    this.expectations.deletionObserved(key, podKey(p));
    this.queue.add(key);
  }

  /** sync reconciles one ReplicaSet from the caches: claims, creates or deletes, status. */
  private async sync(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    const rs = this.rsInformer.lister.get(namespace, name);
    if (rs === undefined) {
      this.expectations.forget(key);
      return;
    }
    const pods = this.podInformer.lister.list(namespace);
    const plan = planManage({
      rs,
      pods,
      relatedPods: this.relatedPods(rs, pods),
      expectationsSatisfied: this.expectations.satisfied(key),
      nowWallMs: this.ctx.wallMs(),
    });
    await this.claim(rs, plan);
    const manageError = await this.managePods(key, rs, plan);
    const why = manageError === undefined ? undefined : describeError(manageError);
    const sp = planStatus(rs, plan.owned, why, this.ctx.wallMs());
    if (sp.status !== undefined) await this.writeStatus(rs, sp.status);
    if (manageError !== undefined) throw manageError;
    return sp.requeueAfterMs !== undefined ? { requeueAfterMs: sp.requeueAfterMs } : undefined;
  }

  /**
   * managePods creates plan.create pods from the template (slow start) or deletes plan.delete,
   * with the expectations set first (base/pod-writes gives back those that will never show);
   * the first error, if any, goes into the status and makes the sync retry.
   */
  private async managePods(key: string, rs: ReplicaSet, plan: ManagePlan): Promise<unknown> {
    if (plan.create === 0 && plan.delete.length === 0) return undefined;
    this.expectations.expect(key, plan.create, plan.delete.map(podKey));
    const creates = Array.from({ length: plan.create }, () => plan.template);
    const created = await createPods(this.writer, key, rs, creates);
    if (created.error !== undefined) return created.error;
    return (await deletePods(this.writer, key, rs, plan.delete)).error;
  }

  /**
   * writeStatus updates the status from the cached ReplicaSet; on a conflict it retries once on
   * a fresh read when only the status moved (our own previous write not yet in the cache, as
   * upstream's updateReplicaSetStatus does). After a spec change it writes nothing: the status
   * would claim a generation this sync never acted on.
   */
  private async writeStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<void> {
    const ns = rs.metadata.namespace;
    try {
      const next = { ...structuredClone(rs), status };
      await this.ctx.api.update(REPLICASETS, ns, next, { subresource: 'status' });
    } catch (err) {
      if (!isStatusError(err) || err.reason !== 'Conflict') throw err;
      const fresh = await this.ctx.api.get<ReplicaSet>(REPLICASETS, ns, rs.metadata.name ?? '');
      // The spec moved on (a Deployment scaled it): the watch is bringing that newer
      // generation, whose update event enqueues this key; the next sync recounts against it.
      if (fresh.metadata.generation !== rs.metadata.generation) return;
      await this.ctx.api.update(REPLICASETS, ns, { ...fresh, status }, { subresource: 'status' });
    }
  }

  /** relatedPods: pods of every ReplicaSet sharing rs's controlling owner (deletion ranking). */
  private relatedPods(rs: ReplicaSet, pods: readonly Pod[]): Pod[] {
    const owner = controllerRef(rs);
    const uids = new Set([rs.metadata.uid ?? '']);
    if (owner !== undefined) {
      for (const sib of this.rsInformer.lister.list(rs.metadata.namespace)) {
        if (controllerRef(sib)?.uid === owner.uid) uids.add(sib.metadata.uid ?? '');
      }
    }
    return pods.filter((p) => uids.has(controllerRef(p)?.uid ?? ''));
  }

  /**
   * claim writes adoptions and releases. Before adopting, a fresh read confirms the ReplicaSet
   * still exists and is not being deleted (the cache may be behind: upstream's
   * RecheckDeletionTimestamp), so a dying ReplicaSet never grabs pods.
   */
  private async claim(rs: ReplicaSet, plan: ManagePlan): Promise<void> {
    const ns = rs.metadata.namespace;
    if (plan.adopt.length > 0) {
      const fresh = await this.ctx.api.get<ReplicaSet>(REPLICASETS, ns, rs.metadata.name ?? '');
      if (fresh.metadata.uid !== rs.metadata.uid || fresh.metadata.deletionTimestamp) {
        const what = `replicaset ${ns}/${rs.metadata.name}`;
        throw new Error(`${what}: gone or being deleted, not adopting`);
      }
    }
    for (const p of [...plan.adopt, ...plan.release]) {
      try {
        await this.ctx.api.update(PODS, ns, p);
      } catch (err) {
        if (!isStatusError(err) || err.reason !== 'NotFound') throw err;
      }
    }
  }
}

/** replicaSetController registers the controller as "replicaset" (upstream's name). */
export const replicaSetController: ControllerDescriptor = {
  name: 'replicaset',
  start: (ctx) => new ReplicaSetController(ctx).run(),
};
