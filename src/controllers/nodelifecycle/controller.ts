/**
 * The node lifecycle controller's shell (kube-controller-manager's nodelifecycle plus the
 * NoExecute taint manager): informers on nodes, node leases and pods only enqueue keys; one queue
 * of node names runs planNode (health, conditions, taints, pods marked not ready), one queue of
 * pod keys runs planPodEviction. The only state kept between syncs is what the pure cores ask
 * for: each node's health record and each exposed pod's eviction start, both on the injected
 * clock, and the eviction rate limiter.
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Lease } from '../../api/coordination/v1/lease.js';
import { assert } from '../../base/assert.js';
import { keyOf, splitKey } from '../../client/cache/keys.js';
import type { Informer } from '../../client/cache/types.js';
import type { EventRecorder } from '../../client/events/types.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { SyncResult, WorkQueue } from '../../client/workqueue/types.js';
import { rfc3339 } from '../base/pods.js';
import { onEveryChange, runQueueWorkers } from '../base/queue-workers.js';
import { LEASES, NODES, PODS } from '../base/resources.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import { EvictionBucket } from './eviction-bucket.js';
import { evictionInputsDiffer, planPodEviction } from './eviction-plan.js';
import { executeEviction, executeNodeActions } from './execute.js';
import type { NodeHealth } from './health.js';
import { nodeEvent, nodeRef, planNode } from './plan.js';

/** NodeLifecycleOptions: upstream's flags of the same names. */
export interface NodeLifecycleOptions {
  /** A node silent this long turns Unknown (--node-monitor-grace-period). */
  nodeMonitorGracePeriodMs: number;
  /** The same for a node that never posted Ready (--node-startup-grace-period). */
  nodeStartupGracePeriodMs: number;
  /** Every node is re-checked at least this often (--node-monitor-period). */
  nodeMonitorPeriodMs: number;
  /** Nodes per second that may start evicting (--node-eviction-rate). */
  evictionLimitPerSecond: number;
  /** Workers per queue (upstream runs 8 taint-eviction workers). */
  workers: number;
}

/** NODE_LIFECYCLE_DEFAULTS are upstream's defaults. */
export const NODE_LIFECYCLE_DEFAULTS: NodeLifecycleOptions = {
  nodeMonitorGracePeriodMs: 40_000,
  nodeStartupGracePeriodMs: 60_000,
  nodeMonitorPeriodMs: 5_000,
  evictionLimitPerSecond: 0.1,
  workers: 4,
};

/** NODE_LEASE_NAMESPACE holds one Lease per node, named after it, renewed by its kubelet. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** NODE_NAME_INDEX indexes pods by spec.nodeName: the pods of one node without a full scan. */
export const NODE_NAME_INDEX = 'nodeName';

/** newNodeLifecycleController makes the "nodelifecycle" descriptor with options (k8ts's chaos
 *  configurations shorten the grace period so failures show within seconds). */
export function newNodeLifecycleController(
  o: Partial<NodeLifecycleOptions> = {},
): ControllerDescriptor {
  const opts: NodeLifecycleOptions = { ...NODE_LIFECYCLE_DEFAULTS, ...o };
  assert(opts.nodeMonitorGracePeriodMs > 0 && opts.nodeStartupGracePeriodMs > 0,
    'node grace periods must be positive');
  assert(opts.nodeMonitorPeriodMs > 0, 'node monitor period must be positive');
  assert(opts.workers >= 1, 'node lifecycle needs at least one worker');
  return {
    name: 'nodelifecycle',
    start: (ctx) => new NodeLifecycleController(ctx, opts).run(),
  };
}

/** nodeLifecycleController is the descriptor with upstream's defaults. */
export const nodeLifecycleController: ControllerDescriptor = newNodeLifecycleController();

/** NodeLifecycleController is one leadership term's node lifecycle controller. */
export class NodeLifecycleController {
  /** Shared caches: nodes, leases (read in kube-node-lease only), pods (indexed by node). */
  private readonly nodes: Informer<Node>;
  private readonly leases: Informer<Lease>;
  private readonly pods: Informer<Pod>;
  /** Node names to check, and pod keys whose eviction to decide. */
  private readonly nodeQueue: WorkQueue;
  private readonly podQueue: WorkQueue;
  /** What planNode remembers per node; dropped when the node is gone. */
  private readonly health = new Map<string, NodeHealth>();
  /** When each exposed pod's timed eviction started; dropped when it ends or the pod is gone. */
  private readonly evictionSince = new Map<string, number>();
  private readonly bucket: EvictionBucket;
  private readonly nodeEvents: EventRecorder;
  private readonly taintEvents: EventRecorder;

  constructor(private readonly ctx: ControllerContext, private readonly o: NodeLifecycleOptions) {
    this.nodes = ctx.informers.informerFor<Node>(NODES);
    // The cluster-wide lease cache the garbage collector keeps anyway, not a kube-node-lease one
    // of its own: two informers would deliver every node's renewal twice to the leader (at
    // 1,000 nodes renewing every 10 s, 100 extra watch deliveries a second). The handler below
    // reads the node leases out of it.
    this.leases = ctx.informers.informerFor<Lease>(LEASES);
    this.pods = ctx.informers.informerFor<Pod>(PODS);
    this.pods.addIndex(NODE_NAME_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    this.nodeQueue = newWorkQueue({ clock: ctx.clock, name: 'nodelifecycle-nodes' });
    this.podQueue = newWorkQueue({ clock: ctx.clock, name: 'nodelifecycle-pods' });
    this.bucket = new EvictionBucket(o.evictionLimitPerSecond);
    this.nodeEvents = ctx.events('node-controller');
    this.taintEvents = ctx.events('taint-eviction-controller');
    this.wireHandlers();
  }

  /** wireHandlers: every handler only enqueues keys. */
  private wireHandlers(): void {
    this.nodes.addHandlers({
      add: (n) => this.nodeChanged(n, true),
      update: (old, n) => this.nodeChanged(n, noExecuteDiffers(old, n)),
      delete: (n) => this.nodeChanged(n, true),
    });
    const lease = (l: Lease): void => {
      if (l.metadata.namespace === NODE_LEASE_NAMESPACE) this.nodeQueue.add(l.metadata.name ?? '');
    };
    this.leases.addHandlers(onEveryChange(lease));
    const pod = (p: Pod): void => {
      if (p.spec?.nodeName) this.podQueue.add(keyOf(p));
    };
    // An update that leaves the eviction plan's inputs alone (a status write) is no news; a
    // resync (the same object) still is.
    this.pods.addHandlers({
      add: pod,
      update: (old, p) => {
        if (old === p || evictionInputsDiffer(old, p)) pod(p);
      },
      delete: pod,
    });
  }

  private nodeChanged(n: Node, podsToo: boolean): void {
    const name = n.metadata.name ?? '';
    this.nodeQueue.add(name);
    if (!podsToo) return;
    for (const p of this.pods.lister.byIndex(NODE_NAME_INDEX, name)) this.podQueue.add(keyOf(p));
  }

  /** run waits for the caches, then runs both queues' workers until the signal aborts. */
  run(): Promise<void> {
    const workers = this.o.workers;
    return runQueueWorkers(this.ctx,
      { queue: this.nodeQueue, sync: (k) => this.syncNode(k), workers },
      { queue: this.podQueue, sync: (k) => this.syncPod(k), workers });
  }

  /** syncNode: re-read the node, its lease and pods; plan; perform. */
  async syncNode(name: string): Promise<SyncResult> {
    const node = this.nodes.lister.get(undefined, name);
    if (node === undefined) return this.nodeGone(name);
    const nowMs = this.ctx.clock.nowMs();
    const input = {
      node,
      lease: this.leases.lister.get(NODE_LEASE_NAMESPACE, name),
      pods: this.pods.lister.byIndex(NODE_NAME_INDEX, name),
      health: this.health.get(name),
      nowMs,
      nowWall: rfc3339(this.ctx.wallMs()),
      grace: { monitorMs: this.o.nodeMonitorGracePeriodMs,
        startupMs: this.o.nodeStartupGracePeriodMs },
      monitorPeriodMs: this.o.nodeMonitorPeriodMs,
      mayTaintNoExecute: this.bucket.waitMs(nowMs) === 0,
      noExecuteWaitMs: this.bucket.waitMs(nowMs),
    };
    let plan = planNode(input);
    if (plan.startsEviction && !this.bucket.tryTake(nowMs)) {
      plan = planNode({ ...input, mayTaintNoExecute: false });
    }
    this.health.set(name, plan.health);
    await executeNodeActions(this.ctx.api, node, plan.actions, this.nodeEvents);
    return { requeueAfterMs: plan.requeueAfterMs };
  }

  /** nodeGone: forget the node (upstream's "Removing Node ... from Controller" event). */
  private nodeGone(name: string): SyncResult {
    const h = this.health.get(name);
    if (h === undefined) return;
    this.health.delete(name);
    const ref = nodeRef({ name, uid: h.uid });
    const e = nodeEvent(ref, 'RemovingNode', `Removing Node ${name} from Controller`);
    this.nodeEvents.event(e.regarding, e.eventType, e.reason, e.message);
  }

  /** syncPod: the taint manager's decision for one pod. */
  async syncPod(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.lister.get(namespace, name);
    if (pod === undefined) {
      this.evictionSince.delete(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    const plan = planPodEviction({
      pod,
      node: nodeName ? this.nodes.lister.get(undefined, nodeName) : undefined,
      sinceMs: this.evictionSince.get(key),
      nowMs: this.ctx.clock.nowMs(),
      nowWall: rfc3339(this.ctx.wallMs()),
    });
    if (plan.sinceMs === undefined) this.evictionSince.delete(key);
    else this.evictionSince.set(key, plan.sinceMs);
    await executeEviction(this.ctx.api, plan.actions, this.taintEvents);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }
}

/** noExecuteDiffers: the node's NoExecute taints changed, so its pods need a new decision. */
function noExecuteDiffers(a: Node, b: Node): boolean {
  const ids = (n: Node): string => (n.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute')
    .map((t) => `${t.key}=${t.value ?? ''}`).sort().join(',');
  return ids(a) !== ids(b);
}
