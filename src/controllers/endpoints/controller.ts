/**
 * The Endpoints controller's shell ("endpoint" in kube-controller-manager): Services, pods and
 * Endpoints informers whose handlers only enqueue Service keys → workqueue → sync(key) re-reads
 * the caches → planEndpoints → the write, through the (fenced) API. Endpoints already cached at
 * start are replayed as adds, which enqueues their keys: Endpoints left behind by a Service
 * deleted while no controller ran are found and deleted (upstream's checkLeftoverEndpoints).
 */
import type { Endpoints } from '../../api/core/v1/endpoints.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Service } from '../../api/core/v1/service.js';
import { keyOf, splitKey } from '../../client/cache/keys.js';
import type { Informer } from '../../client/cache/types.js';
import type { EventRecorder } from '../../client/events/types.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { WorkQueue } from '../../client/workqueue/types.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import { describeError, hasCode, namespaceTerminating } from '../base/api-errors.js';
import { ENDPOINTS } from '../base/resources.js';
import { podsSelectedBy, serviceInformers } from '../base/service-informers.js';
import { performWrite, type TrackedWriter } from '../base/tracked-writes.js';
import { runQueueWorkers } from '../base/queue-workers.js';
import { WrittenVersions } from '../base/written-versions.js';
import { type EndpointsAction, planEndpoints } from './plan.js';

/** ENDPOINTS_WORKERS: upstream's --concurrent-endpoint-syncs default. */
export const ENDPOINTS_WORKERS = 5;

/** EndpointsController keeps each selecting Service's Endpoints equal to its pods. */
export class EndpointsController {
  /** Services (the desired side) and the pods the Endpoints publish. */
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  /** Endpoints as last seen: the observed side. */
  private readonly endpoints: Informer<Endpoints>;
  /** Service keys to sync. */
  private readonly queue: WorkQueue;
  /** Our writes not yet visible in the Endpoints cache (no sync on a stale view). */
  private readonly written: WrittenVersions;
  private readonly writer: TrackedWriter;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = newWorkQueue({ clock: ctx.clock, name: 'endpoint' });
    ({ services: this.services, pods: this.pods } = serviceInformers(ctx, this.queue));
    this.endpoints = ctx.informers.informerFor<Endpoints>(ENDPOINTS);
    this.written = new WrittenVersions(ctx.clock);
    this.writer = { api: ctx.api, resource: ENDPOINTS, written: this.written };
    this.recorder = ctx.events('endpoint-controller');
    const enqueue = (ep: Endpoints): void => this.queue.add(keyOf(ep));
    this.endpoints.addHandlers({
      add: enqueue,
      delete: (ep) => {
        this.written.deletionObserved(keyOf(ep), ep.metadata.name ?? '');
        enqueue(ep);
      },
    });
  }

  /** run waits for the caches, then syncs keys until the context's signal aborts. */
  run(): Promise<void> {
    return runQueueWorkers(this.ctx,
      { queue: this.queue, sync: (key) => this.sync(key), workers: ENDPOINTS_WORKERS });
  }

  /** sync makes the Endpoints of Service key match the caches; throws to retry. */
  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const ns = namespace ?? '';
    if (this.written.stale(key, (n) => this.endpoints.lister.get(ns, n))) {
      throw new Error(`endpoints cache of ${key} is older than our last write`);
    }
    const service = this.services.lister.get(ns, name);
    const pods = podsSelectedBy(this.pods.lister, service);
    const current = this.endpoints.lister.get(ns, name);
    for (const action of planEndpoints({ namespace: ns, name, service, pods, current })) {
      await this.execute(key, action, service);
    }
  }

  /** execute performs one write; a failed create or update is reported on the Service. */
  private async execute(key: string, a: EndpointsAction, svc: Service | undefined): Promise<void> {
    try {
      await performWrite(this.writer, key, a);
    } catch (e) {
      if (a.verb === 'delete') throw e;
      if (a.verb === 'create' && namespaceTerminating(e)) return;
      if (svc !== undefined && !hasCode(e, 409)) {
        const [reason, what] = a.verb === 'create' ?
          ['FailedToCreateEndpoint', 'create endpoint for service'] :
          ['FailedToUpdateEndpoint', 'update endpoint'];
        const message = `Failed to ${what} ${key}: ${describeError(e)}`;
        this.recorder.event(svc, 'Warning', reason, message);
      }
      throw e;
    }
  }
}

/** endpointsController registers the controller under upstream's name, "endpoint". */
export const endpointsController: ControllerDescriptor = {
  name: 'endpoint',
  start: (ctx) => new EndpointsController(ctx).run(),
};
