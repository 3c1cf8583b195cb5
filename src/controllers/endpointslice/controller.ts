/**
 * The EndpointSlice controller's shell ("endpointslice" in kube-controller-manager): Services,
 * pods, nodes and EndpointSlices informers whose handlers only enqueue Service keys →
 * workqueue → sync(key) re-reads the caches → planEndpointSlices → creates, updates, deletes
 * through the (fenced) API. Slices are found through an index of this controller's slices by
 * Service; writes not yet seen by the slice informer hold the Service back (no duplicate slices
 * from a sync on a stale cache).
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Service } from '../../api/core/v1/service.js';
import type { EndpointSlice } from '../../api/discovery/v1/endpoint-slice.js';
import { keyFor, splitKey } from '../../client/cache/keys.js';
import type { Informer } from '../../client/cache/types.js';
import type { EventRecorder } from '../../client/events/types.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { WorkQueue } from '../../client/workqueue/types.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import { describeError, hasCode, namespaceTerminating } from '../base/api-errors.js';
import { ENDPOINT_SLICES, NODES } from '../base/resources.js';
import { podsSelectedBy, serviceInformers } from '../base/service-informers.js';
import { performWrite, type TrackedWriter } from '../base/tracked-writes.js';
import { runQueueWorkers } from '../base/queue-workers.js';
import { WrittenVersions } from '../base/written-versions.js';
import {
  CONTROLLER_NAME,
  MANAGED_BY_LABEL,
  planEndpointSlices,
  SERVICE_NAME_LABEL,
} from './plan.js';

/** ENDPOINTSLICE_WORKERS: upstream's --concurrent-service-endpoint-syncs default. */
export const ENDPOINTSLICE_WORKERS = 5;

/** SLICES_BY_SERVICE indexes this controller's slices by their Service's key. */
export const SLICES_BY_SERVICE = 'endpointslice-controller/service';

/** serviceKeyOfSlice: "<ns>/<service>" of a slice this controller manages, else undefined. */
function serviceKeyOfSlice(s: EndpointSlice): string | undefined {
  const labels = s.metadata.labels ?? {};
  const svc = labels[SERVICE_NAME_LABEL];
  if (labels[MANAGED_BY_LABEL] !== CONTROLLER_NAME || !svc) return undefined;
  return keyFor(s.metadata.namespace, svc);
}

/** EndpointSliceController keeps each selecting Service's slices equal to its pods. */
export class EndpointSliceController {
  /** Services (the desired side) and the pods the slices publish. */
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  /** Nodes: endpoint zones; a pod on an unknown node waits for it. */
  private readonly nodes: Informer<Node>;
  /** Slices as last seen: the observed side (indexed by Service). */
  private readonly slices: Informer<EndpointSlice>;
  /** Service keys to sync. */
  private readonly queue: WorkQueue;
  /** Our writes not yet visible in the slice cache. */
  private readonly written: WrittenVersions;
  private readonly writer: TrackedWriter;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = newWorkQueue({ clock: ctx.clock, name: 'endpointslice' });
    ({ services: this.services, pods: this.pods } = serviceInformers(ctx, this.queue));
    this.nodes = ctx.informers.informerFor<Node>(NODES);
    this.slices = ctx.informers.informerFor<EndpointSlice>(ENDPOINT_SLICES);
    this.written = new WrittenVersions(ctx.clock);
    this.writer = { api: ctx.api, resource: ENDPOINT_SLICES, written: this.written };
    this.recorder = ctx.events('endpoint-slice-controller');
    this.slices.addIndex(SLICES_BY_SERVICE, (s) => {
      const key = serviceKeyOfSlice(s);
      return key === undefined ? [] : [key];
    });
    this.slices.addHandlers({
      add: (s) => this.sliceChanged(s),
      update: (_o, s) => this.sliceChanged(s),
      delete: (s) => {
        const key = serviceKeyOfSlice(s);
        if (key !== undefined) this.written.deletionObserved(key, s.metadata.name ?? '');
        this.sliceChanged(s);
      },
    });
  }

  /** sliceChanged: someone (maybe a user) touched one of our slices; re-check its Service. */
  private sliceChanged(s: EndpointSlice): void {
    const key = serviceKeyOfSlice(s);
    if (key !== undefined) this.queue.add(key);
  }

  /** run waits for the caches, then syncs keys until the context's signal aborts. */
  run(): Promise<void> {
    return runQueueWorkers(this.ctx,
      { queue: this.queue, sync: (key) => this.sync(key), workers: ENDPOINTSLICE_WORKERS });
  }

  /** sync makes the slices of Service key match the caches; throws to retry. */
  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const ns = namespace ?? '';
    if (this.written.stale(key, (n) => this.slices.lister.get(ns, n))) {
      throw new Error(`endpointslice cache of ${key} is older than our last write`);
    }
    const service = this.services.lister.get(ns, name);
    if (service === undefined) {
      // Its slices go with the garbage collector (owner reference); nothing left to track.
      this.written.forget(key);
      return;
    }
    const plan = planEndpointSlices({
      service,
      pods: podsSelectedBy(this.pods.lister, service),
      slices: this.slices.lister.byIndex(SLICES_BY_SERVICE, key),
      node: (n) => this.nodes.lister.get(undefined, n),
    });
    try {
      for (const action of plan.actions) await performWrite(this.writer, key, action);
    } catch (e) {
      if (namespaceTerminating(e)) return;
      if (!hasCode(e, 409)) {
        this.recorder.event(service, 'Warning', 'FailedToUpdateEndpointSlices',
          `Error updating Endpoint Slices for Service ${key}: ${describeError(e)}`);
      }
      throw e;
    }
    if (plan.missingNodes.length > 0) {
      const nodes = plan.missingNodes.join(', ');
      throw new Error(`pods of ${key} run on nodes not (yet) known: ${nodes}`);
    }
  }
}

/** endpointSliceController registers the controller under upstream's name, "endpointslice". */
export const endpointSliceController: ControllerDescriptor = {
  name: 'endpointslice',
  start: (ctx) => new EndpointSliceController(ctx).run(),
};
