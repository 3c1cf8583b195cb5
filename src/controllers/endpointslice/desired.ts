/**
 * The endpoints a Service should have in its EndpointSlices, grouped by the set of ports the
 * pods serve (each group gets its own slices, since a slice's ports apply to all its endpoints),
 * and how an endpoint is identified and compared (upstream's EndpointSet: identity by
 * addresses, hostname and pod; everything else is a change to write). Pure.
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { EndpointPort } from '../../api/core/v1/endpoints.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Service } from '../../api/core/v1/service.js';
import type { Endpoint } from '../../api/discovery/v1/endpoint-slice.js';
import { isPodReady } from '../base/pods.js';
import {
  cmp,
  compact,
  comparePorts,
  endpointPortsForPod,
  hostnameFor,
  podIPv4,
  portSetKey,
  selects,
  shouldPodBeInEndpoints,
} from '../base/service-pods.js';

/** ZONE_LABEL: the node label whose value becomes an endpoint's zone. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** PortGroup: the desired endpoints of pods serving one set of ports, by endpointKey. */
export interface PortGroup {
  ports: EndpointPort[];
  endpoints: Map<string, Endpoint>;
}

/** Desired: port groups by portSetKey, and the nodes pods named that the cache lacks. */
export interface Desired {
  groups: Map<string, PortGroup>;
  missingNodes: string[];
}

/**
 * podEndpoint (upstream's podToEndpoint): serving = the pod is Ready; ready = serving and not
 * terminating, or always with publishNotReadyAddresses; the zone from the pod's node.
 */
export function podEndpoint(svc: Service, pod: Pod, ip: string, node: Node | undefined): Endpoint {
  const serving = isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const m = pod.metadata;
  const ep: Endpoint = {
    addresses: [ip],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '' },
  };
  const hostname = hostnameFor(pod, svc);
  if (hostname !== undefined) ep.hostname = hostname;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[ZONE_LABEL];
  if (zone) ep.zone = zone;
  return ep;
}

/**
 * desiredEndpoints: every pod svc selects that belongs in endpoints (terminating ones included,
 * marked so), grouped by port set. A pod whose node the cache lacks is left out and its node
 * reported (the sync retries), unless publishNotReadyAddresses says to publish it anyway.
 */
export function desiredEndpoints(svc: Service, pods: readonly Pod[],
  node: (name: string) => Node | undefined): Desired {
  const groups = new Map<string, PortGroup>();
  const missing = new Set<string>();
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  for (const pod of [...pods].sort((a, b) => cmp(a.metadata.name ?? '', b.metadata.name ?? ''))) {
    if (!selects(svc, pod) || !shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIPv4(pod);
    if (ip === undefined) continue;
    const nodeName = pod.spec?.nodeName ?? '';
    const n = nodeName === '' ? undefined : node(nodeName);
    if (n === undefined && !publishNotReady) {
      missing.add(nodeName);
      continue;
    }
    const ports = endpointPortsForPod(svc, pod).sort(comparePorts);
    const key = portSetKey(ports);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { ports, endpoints: new Map() }));
    const ep = podEndpoint(svc, pod, ip, n);
    g.endpoints.set(endpointKey(ep), ep);
  }
  return { groups, missingNodes: [...missing].sort() };
}

/** endpointKey identifies an endpoint across syncs: addresses, hostname and pod. */
export function endpointKey(ep: Endpoint): string {
  const ref = ep.targetRef;
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ref?.namespace ?? '',
    ref?.name ?? '']);
}

/**
 * sameEndpoint: a and b need no write between them. Conditions compare as "is it true", so a
 * server that drops false booleans cannot make every sync rewrite every slice; the pod's
 * resourceVersion in targetRef is ignored (a pod's annotation change is no endpoint change).
 */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(ep: Endpoint): unknown {
  const c = ep.conditions ?? {};
  return compact({
    addresses: [...ep.addresses].sort(),
    conditions: [c.ready === true, c.serving === true, c.terminating === true],
    hostname: ep.hostname,
    nodeName: ep.nodeName,
    zone: ep.zone,
    hints: ep.hints,
    targetRef: ep.targetRef && compact({ ...ep.targetRef, resourceVersion: undefined }),
  });
}
