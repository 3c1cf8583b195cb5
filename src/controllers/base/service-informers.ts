/**
 * Shell pieces the Endpoints and EndpointSlice controllers share: the resources they read and
 * write, the pod handlers that turn a pod's change into the keys of the Services selecting it
 * (before and after the change), and the API outcomes their executors treat as normal.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Service } from '../../api/core/v1/service.js';
import { StatusError } from '../../api/errors.js';
import type { EventHandlers, Lister } from '../../client/cache/types.js';
import type { ApiResource } from '../../client/types.js';
import type { WorkQueue } from '../../client/workqueue/types.js';
import { serviceKeysSelecting } from './service-pods.js';

/** PODS: what Services select and endpoints publish. */
export const PODS: ApiResource = { group: '', version: 'v1', resource: 'pods' };
/** SERVICES: the desired side of both controllers. */
export const SERVICES: ApiResource = { group: '', version: 'v1', resource: 'services' };
/** NODES: where endpoint zones come from. */
export const NODES: ApiResource = { group: '', version: 'v1', resource: 'nodes' };
/** ENDPOINTS: core/v1 Endpoints, written by the "endpoint" controller. */
export const ENDPOINTS: ApiResource = { group: '', version: 'v1', resource: 'endpoints' };
/** ENDPOINT_SLICES: discovery.k8s.io/v1 slices, written by the "endpointslice" controller. */
export const ENDPOINT_SLICES: ApiResource = {
  group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices',
};

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

/** selectorQuery: a Service selector (equality map) in the lister's query syntax. */
export function selectorQuery(selector: Readonly<Record<string, string>>): string {
  return Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
}

/** hasCode: e is the API's answer with this HTTP code (404 NotFound, 409 Conflict...). */
export function hasCode(e: unknown, code: number): boolean {
  return e instanceof StatusError && e.status.code === code;
}

/** namespaceTerminating: a create refused because its namespace is being deleted; retrying
 *  cannot help, so the key is dropped (upstream's NamespaceTerminatingCause). */
export function namespaceTerminating(e: unknown): boolean {
  return e instanceof StatusError && e.status.code === 403 &&
    (e.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

/** describeError: an error's message for logs and events. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
