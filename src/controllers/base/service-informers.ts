/**
 * Shell pieces the Endpoints and EndpointSlice controllers share: the Service and pod informers
 * whose handlers turn a change into the keys of the Services it concerns (a pod's Services
 * before and after the change), and the pods a Service selects.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Service } from '../../api/core/v1/service.js';
import { keyOf } from '../../client/cache/keys.js';
import type { EventHandlers, Informer, Lister } from '../../client/cache/types.js';
import type { WorkQueue } from '../../client/workqueue/types.js';
import type { ControllerContext } from '../types.js';
import { onEveryChange } from './queue-workers.js';
import { PODS, SERVICES } from './resources.js';
import { serviceKeysSelecting } from './service-pods.js';

/** ServiceInformers: the desired side (Services; a key is "<ns>/<name>") and what is
 *  published (the pods they select). */
export interface ServiceInformers {
  services: Informer<Service>;
  pods: Informer<Pod>;
}

/** serviceInformers asks for both informers and wires them to enqueue Service keys. */
export function serviceInformers(ctx: ControllerContext, queue: WorkQueue): ServiceInformers {
  const services = ctx.informers.informerFor<Service>(SERVICES);
  const pods = ctx.informers.informerFor<Pod>(PODS);
  services.addHandlers(onEveryChange((s) => queue.add(keyOf(s))));
  pods.addHandlers(podHandlers(services.lister, queue));
  return { services, pods };
}

/**
 * podHandlers enqueue every Service that selects a pod: on add and delete the pod's Services,
 * on update the union of the old and new pod's (a relabelled pod leaves one, joins another).
 * The payload only picks keys; the sync re-reads everything.
 */
export function podHandlers(services: Lister<Service>, queue: WorkQueue): EventHandlers<Pod> {
  const enqueue = (pods: Pod[]): void => {
    const ns = pods[0]?.metadata.namespace;
    if (ns === undefined) return;
    for (const key of serviceKeysSelecting(services.list(ns), pods)) queue.add(key);
  };
  return {
    add: (p) => enqueue([p]),
    update: (old, p) => enqueue([old, p]),
    delete: (p) => enqueue([p]),
  };
}

/** podsSelectedBy: the cached pods svc selects (none without a Service or a selector). */
export function podsSelectedBy(pods: Lister<Pod>, svc: Service | undefined): Pod[] {
  const selector = svc?.spec?.selector ?? {};
  if (svc === undefined || Object.keys(selector).length === 0) return [];
  return pods.list(svc.metadata.namespace, selectorQuery(selector));
}

/** selectorQuery: a Service selector (equality map) in the lister's query syntax. */
export function selectorQuery(selector: Readonly<Record<string, string>>): string {
  return Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
}
