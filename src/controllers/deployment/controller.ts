/**
 * The Deployment controller's shell (kube-controller-manager's DeploymentController): informers
 * on Deployments, ReplicaSets and pods whose handlers only enqueue Deployment keys; workers that
 * sync one Deployment at a time by re-reading the caches, asking ./plan.ts for the actions, and
 * performing them in order through the API. A failed write ends the sync with an error (retried
 * with backoff); the next sync starts again from the caches.
 */
import type { Deployment, ReplicaSet } from '../../api/apps/v1/workloads.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import { isStatusError } from '../../api/errors.js';
import { fromLabelSelector } from '../../api/selectors/labels.js';
import { keyOf, splitKey } from '../../client/cache/keys.js';
import type { Informer } from '../../client/cache/types.js';
import type { EventRecorder } from '../../client/events/types.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { SyncResult, WorkQueue } from '../../client/workqueue/types.js';
import { describeError } from '../base/api-errors.js';
import { cachedController } from '../base/owned-pods.js';
import { controllerRef } from '../base/pods.js';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../base/resources.js';
import { onEveryChange, runQueueWorkers } from '../base/queue-workers.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import { createFailedStatus, planDeployment, type DeploymentAction } from './plan.js';
import { isRollingUpdate } from './util.js';

/** COMPONENT is the events' source.component, as upstream. */
const COMPONENT = 'deployment-controller';

/** WORKERS: concurrent syncs (upstream --concurrent-deployment-syncs default 5). */
const WORKERS = 5;

/** DeploymentController rolls Deployments out through ReplicaSets. */
export class DeploymentController {
  private readonly dInformer: Informer<Deployment>;
  private readonly rsInformer: Informer<ReplicaSet>;
  private readonly podInformer: Informer<Pod>;
  /** Keys of Deployments to sync. */
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly workers = WORKERS,
  ) {
    this.dInformer = ctx.informers.informerFor<Deployment>(DEPLOYMENTS);
    this.rsInformer = ctx.informers.informerFor<ReplicaSet>(REPLICASETS);
    this.podInformer = ctx.informers.informerFor<Pod>(PODS);
    this.queue = newWorkQueue({ clock: ctx.clock, name: 'deployment' });
    this.recorder = ctx.events(COMPONENT);
    this.dInformer.addHandlers(onEveryChange((d) => this.enqueue(d)));
    this.rsInformer.addHandlers({
      add: (rs) => this.replicaSetChanged(rs),
      update: (old, rs) => {
        this.replicaSetChanged(old);
        this.replicaSetChanged(rs);
      },
      delete: (rs) => this.replicaSetChanged(rs),
    });
    this.podInformer.addHandlers({ delete: (p) => this.podDeleted(p) });
  }

  /** run waits for the caches, then syncs keys until the context's signal aborts. */
  run(): Promise<void> {
    return runQueueWorkers(this.ctx,
      { queue: this.queue, sync: (key) => this.sync(key), workers: this.workers });
  }

  private enqueue(d: Deployment): void {
    this.queue.add(keyOf(d));
  }

  /** ownerOf: rs's controlling Deployment from the cache, if any. */
  private ownerOf(rs: ReplicaSet): Deployment | undefined {
    return cachedController(rs, 'Deployment', this.dInformer.lister);
  }

  /** replicaSetChanged enqueues rs's owner, or every Deployment that could adopt it. */
  private replicaSetChanged(rs: ReplicaSet): void {
    const owner = this.ownerOf(rs);
    if (owner !== undefined) {
      this.enqueue(owner);
      return;
    }
    if (controllerRef(rs) !== undefined) return;
    for (const d of this.dInformer.lister.list(rs.metadata.namespace)) {
      if (fromLabelSelector(d.spec?.selector).matches(rs.metadata.labels)) this.enqueue(d);
    }
  }

  /** podDeleted: a Recreate rollout waits for old pods to be gone. */
  private podDeleted(p: Pod): void {
    const ref = controllerRef(p);
    if (ref === undefined || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.lister.get(p.metadata.namespace, ref.name);
    const d = rs === undefined ? undefined : this.ownerOf(rs);
    if (d !== undefined && !isRollingUpdate(d)) this.enqueue(d);
  }

  /** sync reconciles one Deployment from the caches. */
  private async sync(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    const d = this.dInformer.lister.get(namespace, name);
    if (d === undefined) return;
    const plan = planDeployment({
      d,
      replicaSets: this.rsInformer.lister.list(namespace),
      pods: isRollingUpdate(d) ? [] : this.podInformer.lister.list(namespace),
      nowWallMs: this.ctx.wallMs(),
    });
    await new Execution(this.ctx, this.recorder, d).run(plan.actions);
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }
}

/**
 * Execution performs one plan's actions in order. Writes to the same object within a sync
 * chain their versions (each write starts from the previous write's result, as upstream's code
 * uses the object an update returned), so only a change by someone else conflicts.
 */
class Execution {
  /** The Deployment's resourceVersion after our last write to it in this sync. */
  private deploymentVersion: string | undefined;
  /** ReplicaSet generations (and uids of ReplicaSets created) by our writes in this sync. */
  private readonly generations = new Map<string, number>();
  private readonly uids = new Map<string, string>();
  private adoptionChecked = false;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly recorder: EventRecorder,
    private readonly d: Deployment,
  ) {}

  private get ns(): string | undefined {
    return this.d.metadata.namespace;
  }

  async run(actions: readonly DeploymentAction[]): Promise<void> {
    for (const a of actions) await this.perform(a);
  }

  private async perform(a: DeploymentAction): Promise<void> {
    switch (a.type) {
      case 'adoptReplicaSet':
        await this.checkCanAdopt();
        return this.writeOwnership(a.rs);
      case 'releaseReplicaSet':
        return this.writeOwnership(a.rs);
      case 'createReplicaSet':
        return this.createReplicaSet(a.rs);
      case 'updateReplicaSet':
        return this.updateReplicaSet(a.rs);
      case 'deleteReplicaSet':
        return this.deleteReplicaSet(a.rs);
      case 'patchDeploymentAnnotations':
        return this.patchAnnotations(a.annotations);
      case 'updateDeploymentStatus':
        return this.updateStatus(a.status);
      case 'event':
        this.recorder.event(this.d, a.eventType, a.reason, a.message);
        return;
    }
  }

  /** checkCanAdopt: a fresh read proves the Deployment still exists and is not being deleted. */
  private async checkCanAdopt(): Promise<void> {
    if (this.adoptionChecked) return;
    const name = this.d.metadata.name ?? '';
    const fresh = await this.ctx.api.get<Deployment>(DEPLOYMENTS, this.ns, name);
    if (fresh.metadata.uid !== this.d.metadata.uid || fresh.metadata.deletionTimestamp) {
      throw new Error(`deployment ${this.ns}/${this.d.metadata.name}: gone or being deleted`);
    }
    this.adoptionChecked = true;
  }

  private async writeOwnership(rs: ReplicaSet): Promise<void> {
    try {
      const written = await this.ctx.api.update<ReplicaSet>(REPLICASETS, this.ns, rs);
      this.generations.set(`rs/${rs.metadata.name ?? ''}`, written.metadata.generation ?? 0);
    } catch (err) {
      if (!isStatusError(err) || err.reason !== 'NotFound') throw err;
    }
  }

  private async createReplicaSet(rs: ReplicaSet): Promise<void> {
    const name = rs.metadata.name ?? '';
    try {
      const created = await this.ctx.api.create<ReplicaSet>(REPLICASETS, this.ns, rs);
      this.generations.set(`rs/${name}`, created.metadata.generation ?? 0);
      // The working copy had no uid yet; later patches in this sync test the real one.
      this.uids.set(`rs/${name}`, created.metadata.uid ?? '');
    } catch (err) {
      if (isStatusError(err) && err.reason === 'AlreadyExists') throw err;
      const text = describeError(err);
      const failed = createFailedStatus(this.d, name, text, this.ctx.wallMs());
      if (failed.status !== undefined) await this.updateStatus(failed.status).catch(() => {});
      this.recorder.event(this.d, 'Warning', 'ReplicaSetCreateError', failed.message);
      throw err;
    }
  }

  /**
   * updateReplicaSet writes what a Deployment owns of a ReplicaSet (replicas, minReadySeconds,
   * annotations) as a JSON patch guarded by uid and generation: a concurrent spec change still
   * fails the write, but the ReplicaSet controller's constant status writes do not.
   */
  private async updateReplicaSet(rs: ReplicaSet): Promise<void> {
    const key = `rs/${rs.metadata.name ?? ''}`;
    const generation = this.generations.get(key) ?? rs.metadata.generation ?? 0;
    const ops: object[] = [
      { op: 'test', path: '/metadata/uid', value: this.uids.get(key) ?? rs.metadata.uid ?? '' },
      { op: 'test', path: '/metadata/generation', value: generation },
      { op: 'add', path: '/spec/replicas', value: rs.spec?.replicas ?? 1 },
      { op: 'add', path: '/metadata/annotations', value: rs.metadata.annotations ?? {} },
    ];
    const minReady = rs.spec?.minReadySeconds;
    ops.push({ op: 'add', path: '/spec/minReadySeconds', value: minReady ?? 0 });
    const updated = await this.ctx.api.patch<ReplicaSet>(REPLICASETS, this.ns,
      rs.metadata.name ?? '', 'application/json-patch+json', ops);
    this.generations.set(key, updated.metadata.generation ?? 0);
  }

  private async deleteReplicaSet(rs: ReplicaSet): Promise<void> {
    try {
      await this.ctx.api.delete(REPLICASETS, this.ns, rs.metadata.name ?? '');
    } catch (err) {
      if (!isStatusError(err) || err.reason !== 'NotFound') throw err;
    }
  }

  private async patchAnnotations(annotations: Record<string, string>): Promise<void> {
    const patched = await this.ctx.api.patch<Deployment>(DEPLOYMENTS, this.ns,
      this.d.metadata.name ?? '', 'application/merge-patch+json', { metadata: { annotations } });
    this.deploymentVersion = patched.metadata.resourceVersion;
  }

  private async updateStatus(status: Deployment['status']): Promise<void> {
    const next: Deployment = { ...structuredClone(this.d), status: status ?? {} };
    if (this.deploymentVersion !== undefined) {
      next.metadata.resourceVersion = this.deploymentVersion;
    }
    const updated = await this.ctx.api.update<Deployment>(DEPLOYMENTS, this.ns, next,
      { subresource: 'status' });
    this.deploymentVersion = updated.metadata.resourceVersion;
  }
}

/** deploymentController registers the controller as "deployment" (upstream's name). */
export const deploymentController: ControllerDescriptor = {
  name: 'deployment',
  start: (ctx) => new DeploymentController(ctx).run(),
};
