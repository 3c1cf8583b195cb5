/**
 * The DaemonSet controller's shell ("daemonset" in kube-controller-manager): DaemonSet, Node and
 * Pod informers whose handlers only enqueue DaemonSet keys → workqueue → sync(key) re-reads the
 * caches → planDaemonSet → creates, deletes and the status write through the (fenced) API.
 *
 * Not implemented (documented in the report): ControllerRevision objects do not exist in k8ts,
 * so the revision hash lives only in pod labels and `kubectl rollout history ds` / `rollout undo
 * ds` are not supported; orphan pods matching a DaemonSet's selector are not adopted; maxSurge > 0
 * rolls as maxSurge 0.
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { DaemonSet } from '../../api/apps/v1/workloads.js';
import { keyOf, splitKey } from '../../client/cache/keys.js';
import type { Informer } from '../../client/cache/types.js';
import type { EventRecorder } from '../../client/events/types.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { SyncResult, WorkQueue } from '../../client/workqueue/types.js';
import { Expectations } from '../base/expectations.js';
import { ownedPodHandlers } from '../base/owned-pods.js';
import { createPods, deletePods, type PodWriter } from '../base/pod-writes.js';
import { onEveryChange, runQueueWorkers } from '../base/queue-workers.js';
import { DAEMONSETS, NODES, PODS } from '../base/resources.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import type { FailedPodBackoff } from './manage.js';
import { type DaemonSetAction, planDaemonSet } from './plan.js';

/** DAEMONSET_WORKERS: upstream's --concurrent-daemonset-syncs default. */
export const DAEMONSET_WORKERS = 2;

/** DaemonSetController runs one pod of each DaemonSet on every node that should run it. */
export class DaemonSetController {
  /** DaemonSets: the desired side; a key is "<ns>/<name>". */
  private readonly daemonSets: Informer<DaemonSet>;
  /** Nodes: where pods should be. */
  private readonly nodes: Informer<Node>;
  /** Pods: what runs (only those with a DaemonSet controller reference matter). */
  private readonly pods: Informer<Pod>;
  private readonly queue: WorkQueue;
  /** Creates/deletes not yet seen in the pod cache, per DaemonSet key. */
  private readonly expectations: Expectations;
  /** Failed-pod backoff per DaemonSet key, then node name. */
  private readonly backoff = new Map<string, Map<string, FailedPodBackoff>>();
  private readonly recorder: EventRecorder;
  private readonly writer: PodWriter;

  constructor(private readonly ctx: ControllerContext) {
    this.daemonSets = ctx.informers.informerFor<DaemonSet>(DAEMONSETS);
    this.nodes = ctx.informers.informerFor<Node>(NODES);
    this.pods = ctx.informers.informerFor<Pod>(PODS);
    this.queue = newWorkQueue({ clock: ctx.clock, name: 'daemonset' });
    this.expectations = new Expectations(ctx.clock);
    this.recorder = ctx.events('daemonset-controller');
    this.writer = { api: ctx.api, recorder: this.recorder, expectations: this.expectations };
    const enqueue = (ds: DaemonSet): void => this.queue.add(keyOf(ds));
    this.daemonSets.addHandlers({ ...onEveryChange(enqueue), delete: (ds) => {
      this.expectations.forget(keyOf(ds));
      this.backoff.delete(keyOf(ds));
      enqueue(ds);
    } });
    this.nodes.addHandlers({
      add: () => this.enqueueAll(),
      update: (old, node) => { if (fitMayDiffer(old, node)) this.enqueueAll(); },
      delete: () => this.enqueueAll(),
    });
    this.pods.addHandlers(ownedPodHandlers({ kind: 'DaemonSet', group: 'apps/',
      expectations: this.expectations, enqueue: (k) => this.queue.add(k) }));
  }

  /** run waits for the caches, then syncs keys until the context's signal aborts. */
  run(): Promise<void> {
    return runQueueWorkers(this.ctx,
      { queue: this.queue, sync: (key) => this.sync(key), workers: DAEMONSET_WORKERS });
  }

  private enqueueAll(): void {
    for (const ds of this.daemonSets.lister.list()) this.queue.add(keyOf(ds));
  }

  /** sync reconciles DaemonSet key with the caches; throws to retry with backoff. */
  async sync(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    const ds = this.daemonSets.lister.get(namespace, name);
    if (ds === undefined) {
      this.expectations.forget(key);
      this.backoff.delete(key);
      return;
    }
    const uid = ds.metadata.uid;
    const pods = this.pods.lister.list(namespace).filter((p) =>
      p.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === uid));
    const plan = planDaemonSet({ ds, nodes: this.nodes.lister.list(), pods,
      nowMs: this.ctx.clock.nowMs(), nowWallMs: this.ctx.wallMs(),
      expectationsSatisfied: this.expectations.satisfied(key),
      backoff: this.backoff.get(key) ?? new Map() });
    this.backoff.set(key, plan.backoff);
    await this.execute(key, ds, plan.actions);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }

  /** execute: events, then creates (slow start), deletes, and the status last. */
  private async execute(key: string, ds: DaemonSet, actions: DaemonSetAction[]): Promise<void> {
    const creates: Pod[] = [];
    const deletes: Pod[] = [];
    for (const a of actions) {
      if (a.verb === 'create') creates.push(a.pod);
      else if (a.verb === 'delete') deletes.push(a.pod);
      else if (a.verb === 'event') this.recorder.event(ds, a.type, a.reason, a.message);
    }
    if (creates.length > 0 || deletes.length > 0) {
      this.expectations.expect(key, creates.length, deletes.map((p) => keyOf(p)));
    }
    const created = await createPods(this.writer, key, ds, creates);
    const deleted = await deletePods(this.writer, key, ds, deletes);
    for (const a of actions) {
      if (a.verb !== 'status') continue;
      const next: DaemonSet = { ...structuredClone(ds), status: a.status };
      await this.ctx.api.update(DAEMONSETS, ds.metadata.namespace, next,
        { subresource: 'status' });
    }
    if (created.error !== undefined) throw created.error;
    if (deleted.error !== undefined) throw deleted.error;
  }
}

/** fitMayDiffer: a node change that can change which DaemonSets belong on it. */
function fitMayDiffer(old: Node, node: Node): boolean {
  return JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(node.metadata.labels ?? {})
    || JSON.stringify(old.spec?.taints ?? []) !== JSON.stringify(node.spec?.taints ?? [])
    || (old.spec?.unschedulable ?? false) !== (node.spec?.unschedulable ?? false);
}

/** daemonSetController registers the controller under upstream's name, "daemonset". */
export const daemonSetController: ControllerDescriptor = {
  name: 'daemonset',
  start: (ctx) => new DaemonSetController(ctx).run(),
};
