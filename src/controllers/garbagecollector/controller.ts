/**
 * The garbage collector's shell (kube-controller-manager's "garbagecollector"): one informer per
 * served resource but events (every resource can own and be owned; see GC_IGNORED_RESOURCES), each with the owner-uid index that
 * makes up the graph (./graph.ts); handlers that only enqueue the keys a change concerns; workers
 * that re-read the cache for a key, plan (./plan.ts), confirm absent owners with live reads,
 * and execute (./execute.ts). A key is an object, looked at as an owner being deleted (when it
 * has a deletionTimestamp) or else as a dependent.
 */
import type { KubeObject } from '../../api/meta.js';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { isStatusError } from '../../api/errors.js';
import { assert } from '../../base/assert.js';
import type { EventHandlers } from '../../client/cache/types.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { SyncResult, WorkQueue } from '../../client/workqueue/types.js';
import { runQueueWorkers } from '../base/queue-workers.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import { AbsentOwners } from './absent-owners.js';
import { executeActions, type ExecDeps } from './execute.js';
import { GcGraph, OWNER_UID_INDEX, ownerUidIndexFunc, type WatchedResource } from './graph.js';
import {
  classifyOwner,
  isDeleting,
  planDependent,
  planOwner,
  type GcAction,
  type OwnerObservation,
} from './plan.js';
import {
  gcKeyOf,
  ownerRefsOf,
  parseGcKey,
  sameOwnerRefs,
  type Coordinates,
  type GcKey,
} from './refs.js';

/**
 * GC_IGNORED_RESOURCES: what the collector does not watch, upstream's default
 * (garbagecollector.DefaultIgnoredResources: core/v1 events). Events are the busiest resource
 * (one or more per pod started) and never own anything; watching them made every Event write a
 * watch delivery, a decode and a graph update in each controller manager, the standbys' too.
 */
export const GC_IGNORED_RESOURCES: ReadonlySet<string> = new Set(['events']);

/** GC_RESOURCES: the resources the collector watches (every served one but the ignored). */
export const GC_RESOURCES: readonly ResourceInfo[] = RESOURCES.filter(
  (r) => !(r.group === '' && GC_IGNORED_RESOURCES.has(r.resource)));

/** GC_COMPONENT is the collector's name on its Events (upstream's). */
export const GC_COMPONENT = 'garbage-collector-controller';
/** GC_WORKERS: concurrent syncs; most are cache reads, a few wait on live reads and writes. */
export const GC_WORKERS = 8;
/** GC_MAX_RETRIES bounds backoffs of one key; the next change to it brings it back. */
export const GC_MAX_RETRIES = 60;
/** GC_MAX_BACKOFF_MS caps one key's backoff: a stale cache usually catches up in far less. */
export const GC_MAX_BACKOFF_MS = 30_000;

/** GarbageCollectorOptions narrow the collector for tests; production takes the defaults. */
export interface GarbageCollectorOptions {
  /** Resources to watch (default: GC_RESOURCES, every served resource but events). */
  resources?: readonly ResourceInfo[];
  workers?: number;
  /** The queue (tests hand in one they can inspect). */
  queue?: WorkQueue;
}

/** GarbageCollector wires informers, queue and workers for one controller context. */
export class GarbageCollector {
  private readonly queue: WorkQueue;
  private readonly graph: GcGraph;
  private readonly exec: ExecDeps;
  private readonly absent = new AbsentOwners();

  /** The constructor requests every informer synchronously, before the manager starts them. */
  constructor(
    private readonly ctx: ControllerContext,
    private readonly o: GarbageCollectorOptions = {},
  ) {
    this.queue = o.queue ?? newWorkQueue({
      clock: ctx.clock,
      name: 'garbagecollector',
      rateLimiter: { maxDelayMs: GC_MAX_BACKOFF_MS },
    });
    const watched: WatchedResource[] = (o.resources ?? GC_RESOURCES).map((info) => {
      const informer = ctx.informers.informerFor<KubeObject>({
        group: info.group,
        version: info.version,
        resource: info.resource,
      });
      informer.addIndex(OWNER_UID_INDEX, ownerUidIndexFunc);
      return { info, informer };
    });
    this.graph = new GcGraph(watched);
    // Handlers last: adding them replays cached objects, which needs the graph.
    for (const w of watched) w.informer.addHandlers(this.handlersFor(w.info));
    this.exec = {
      api: ctx.api,
      recorder: ctx.events(GC_COMPONENT),
      enqueue: (key) => this.queue.add(key),
    };
  }

  /** run waits for every cache (deciding on a half-filled one would mean a live read per
   *  object), then runs workers until the context's signal aborts. */
  run(): Promise<void> {
    return runQueueWorkers(this.ctx, { queue: this.queue, sync: (key) => this.sync(key),
      workers: this.o.workers ?? GC_WORKERS, maxRetries: GC_MAX_RETRIES });
  }

  /** sync re-reads the object a key names and does what the plan says. */
  async sync(key: GcKey): Promise<SyncResult> {
    const at = parseGcKey(key);
    const obj = this.graph.cached(at);
    if (obj === undefined) return undefined;
    const actions = isDeleting(obj)
      ? planOwner({ at, obj, dependents: this.graph.dependentsOf(obj.metadata.uid ?? '') })
      : await this.planAsDependent(at, obj);
    return executeActions(actions, this.exec);
  }

  /** planAsDependent plans from the cache; owners the cache cannot vouch for are read live
   *  and the plan is made again with the answers. */
  private async planAsDependent(at: Coordinates, obj: KubeObject): Promise<GcAction[]> {
    if (ownerRefsOf(obj).length === 0) return [];
    const owners = this.graph.observeOwners(at, obj);
    for (const o of owners) {
      // Proved gone before: a uid never comes back, no need to ask the API again.
      if (o.resolution.kind !== 'at' || o.cached?.metadata.uid === o.ref.uid) continue;
      if (this.absent.has(o.resolution.at, o.ref.uid)) o.live = null;
    }
    const first = this.planWith(at, obj, owners);
    const verify = first.find((a) => a.type === 'verifyOwners');
    if (verify === undefined) return first;
    for (const o of owners) {
      if (!verify.refs.includes(o.ref) || o.resolution.kind !== 'at') continue;
      o.live = await this.readOwner(o);
      if (o.live?.metadata.uid !== o.ref.uid) this.absent.add(o.resolution.at, o.ref.uid);
    }
    const second = this.planWith(at, obj, owners);
    assert(!second.some((a) => a.type === 'verifyOwners'), 'owners unverified after a live read');
    return second;
  }

  /** planWith runs the plan; whether obj owns anything matters only under a waiting owner. */
  private planWith(at: Coordinates, obj: KubeObject, owners: OwnerObservation[]): GcAction[] {
    const waiting = owners.some((o) => classifyOwner(o) === 'waiting');
    const hasDependents = waiting && this.graph.hasDependents(obj.metadata.uid ?? '');
    return planDependent({ at, obj, owners, hasDependents });
  }

  /** readOwner: a live GET of an owner's coordinates; null when NotFound. */
  private async readOwner(o: OwnerObservation): Promise<KubeObject | null> {
    assert(o.resolution.kind === 'at', 'only resolvable owners are read');
    const { resource, namespace, name } = o.resolution.at;
    try {
      const r = { group: resource.group, version: resource.version, resource: resource.resource };
      return await this.ctx.api.get<KubeObject>(r, namespace, name);
    } catch (err) {
      if (isStatusError(err) && err.reason === 'NotFound') return null;
      throw err;
    }
  }

  /** handlersFor: enqueue the keys a change concerns; no decisions here. */
  private handlersFor(info: ResourceInfo): EventHandlers<KubeObject> {
    return {
      add: (obj) => this.onAdd(info, obj),
      update: (old, obj) => this.onUpdate(info, old, obj),
      delete: (obj) => this.onDelete(info, obj),
    };
  }

  private onAdd(info: ResourceInfo, obj: KubeObject): void {
    if (ownerRefsOf(obj).length > 0 || isDeleting(obj)) this.queue.add(gcKeyOf(info, obj));
  }

  /** onUpdate: only ownership and deletion state matter; a pod's status churn costs nothing. */
  private onUpdate(info: ResourceInfo, old: KubeObject, obj: KubeObject): void {
    if (old === obj) return this.onAdd(info, obj); // a resync
    if (old.metadata.uid !== obj.metadata.uid) {
      // Deleted and re-created between two views (a relist): both halves matter.
      this.onDelete(info, old);
      return this.onAdd(info, obj);
    }
    const refsChanged = !sameOwnerRefs(ownerRefsOf(old), ownerRefsOf(obj));
    const deletionChanged = isDeleting(old) !== isDeleting(obj) ||
      !sameStrings(old.metadata.finalizers ?? [], obj.metadata.finalizers ?? []);
    if (refsChanged || deletionChanged) this.queue.add(gcKeyOf(info, obj));
    if (refsChanged) {
      // An owner waiting in the foreground may have just lost a blocking dependent.
      for (const k of this.graph.waitingOwnerKeys(info, old)) this.queue.add(k);
    }
  }

  /** onDelete: its owners may be waiting for it; its dependents may now be dangling. */
  private onDelete(info: ResourceInfo, obj: KubeObject): void {
    for (const k of this.graph.waitingOwnerKeys(info, obj)) this.queue.add(k);
    const uid = obj.metadata.uid;
    if (uid !== undefined) for (const k of this.graph.dependentKeys(uid)) this.queue.add(k);
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** garbageCollectorController registers the collector under upstream's name. */
export const garbageCollectorController: ControllerDescriptor = {
  name: 'garbagecollector',
  start: (ctx) => new GarbageCollector(ctx).run(),
};
