/**
 * The Endpoints controller's pure core (kube-controller-manager's "endpoint" controller): given
 * a Service, the pods of its namespace and the Endpoints of the same name as the cache has
 * them, the one write (or none) that makes the Endpoints publish the Service's pods. A Service
 * without a selector is left alone (its Endpoints are written out of band, as the API server
 * does for default/kubernetes); a deleted Service's Endpoints are deleted.
 */
import type { Endpoints, EndpointSubset } from '../../api/core/v1/endpoints.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Service } from '../../api/core/v1/service.js';
import {
  HEADLESS_LABEL,
  hasSelector,
  sameLabels,
  isHeadless,
  selects,
  TRIGGER_TIME_ANNOTATION,
  triggerTime,
} from '../base/service-pods.js';
import type { ObjectWrite } from '../base/tracked-writes.js';
import { desiredSubsets, MAX_ENDPOINTS_CAPACITY, subsetsEqual } from './subsets.js';
import { OVER_CAPACITY_ANNOTATION, TRUNCATED, truncateSubsets } from './truncate.js';

/** LEADER_ANNOTATION marks Endpoints used as a leader-election lock (no Service behind them);
 *  upstream never deletes those. */
export const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

/** EndpointsPlanInput: what one sync of "<namespace>/<name>" observed in the caches. */
export interface EndpointsPlanInput {
  namespace: string;
  name: string;
  /** The Service, or undefined when it does not exist (any more). */
  service: Service | undefined;
  /** Pods of the namespace (those the selector does not pick are ignored). */
  pods: readonly Pod[];
  /** The Endpoints of the same name, or undefined. */
  current: Endpoints | undefined;
  /** Endpoints capacity (MAX_ENDPOINTS_CAPACITY unless a test needs a small one). */
  capacity?: number;
}

/** EndpointsAction is one API write; a no-op sync plans none. */
export type EndpointsAction = ObjectWrite<Endpoints>;

/** planEndpoints returns the writes for one Service key (at most one). */
export function planEndpoints(input: EndpointsPlanInput): EndpointsAction[] {
  const { service, current } = input;
  if (service === undefined) {
    if (current === undefined || current.metadata.annotations?.[LEADER_ANNOTATION] !== undefined) {
      return [];
    }
    return [{ verb: 'delete', namespace: input.namespace, name: input.name }];
  }
  if (!hasSelector(service)) return [];
  const desired = truncateSubsets(desiredSubsets(service, input.pods),
    input.capacity ?? MAX_ENDPOINTS_CAPACITY);
  const labels = desiredLabels(service);
  if (current !== undefined && upToDate(current, desired.subsets, desired.truncated, labels)) {
    return [];
  }
  const selected = input.pods.filter((p) => selects(service, p));
  const annotations = { ...(current?.metadata.annotations ?? {}) };
  setOrDelete(annotations, TRIGGER_TIME_ANNOTATION, triggerTime(service, selected));
  setOrDelete(annotations, OVER_CAPACITY_ANNOTATION, desired.truncated ? TRUNCATED : undefined);
  if (current === undefined) {
    const object: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: input.name, namespace: input.namespace, labels, annotations },
      subsets: desired.subsets,
    };
    return [{ verb: 'create', object }];
  }
  const object = structuredClone(current);
  object.metadata.labels = labels;
  object.metadata.annotations = annotations;
  object.subsets = desired.subsets;
  return [{ verb: 'update', object }];
}

/** desiredLabels: the Service's labels, plus the headless label when clusterIP is None. */
function desiredLabels(svc: Service): Record<string, string> {
  const labels = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/** upToDate: current already publishes subsets with these labels and a correct over-capacity
 *  annotation (the trigger time alone never causes a write). */
function upToDate(current: Endpoints, subsets: EndpointSubset[], truncated: boolean,
  labels: Record<string, string>): boolean {
  const marked = current.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] !== undefined;
  return marked === truncated && sameLabels(current.metadata.labels ?? {}, labels) &&
    subsetsEqual(current.subsets, subsets);
}

function setOrDelete(m: Record<string, string>, key: string, value: string | undefined): void {
  if (value === undefined) delete m[key];
  else m[key] = value;
}
