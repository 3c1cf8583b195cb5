/**
 * The subsets of a Service's Endpoints, built from its pods and kept in one canonical order
 * (upstream's RepackSubsets + SortSubsets): pods serving the same set of ports share a subset,
 * an address appears once per subset (ready wins over not ready), addresses sorted by IP then
 * pod uid, ports by name/number/protocol, subsets by their port set. One order means the
 * subsets of an unchanged Service compare equal to what is stored, so a no-op sync writes
 * nothing. Pure.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset } from '../../api/core/v1/endpoints.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Service } from '../../api/core/v1/service.js';
import { isPodReady } from '../base/pods.js';
import {
  cmp,
  compact,
  comparePorts,
  endpointPortsForPod,
  hostnameFor,
  isHeadless,
  podIPv4,
  portSetKey,
  selects,
  shouldPodBeInEndpoints,
} from '../base/service-pods.js';

/** MAX_ENDPOINTS_CAPACITY: upstream's maxCapacity — more addresses than this are truncated. */
export const MAX_ENDPOINTS_CAPACITY = 1000;

interface Group {
  ports: EndpointPort[];
  /** address key (ip + pod uid) → address and whether it is ready. */
  addrs: Map<string, { addr: EndpointAddress; ready: boolean }>;
}

/** podAddress: the EndpointAddress of pod for svc (its IPv4, node, hostname, reference). */
function podAddress(svc: Service, pod: Pod, ip: string): EndpointAddress {
  const m = pod.metadata;
  const addr: EndpointAddress = { ip };
  const hostname = hostnameFor(pod, svc);
  if (hostname !== undefined) addr.hostname = hostname;
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = {
    kind: 'Pod', namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '',
  };
  return addr;
}

/**
 * desiredSubsets: svc's subsets over pods (any pods; those the selector does not pick are
 * ignored). Terminating pods are left out unless publishNotReadyAddresses, which also counts
 * every pod as ready. A headless Service without ports gets its addresses without ports; a pod
 * serving none of a Service's ports is left out.
 */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const svcHasPorts = (svc.spec?.ports ?? []).length > 0;
  if (!svcHasPorts && !isHeadless(svc)) return [];
  const groups = new Map<string, Group>();
  for (const pod of pods) {
    if (!selects(svc, pod) || !shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ip = podIPv4(pod);
    if (ip === undefined) continue;
    const ports = svcHasPorts ? endpointPortsForPod(svc, pod) : [];
    if (svcHasPorts && ports.length === 0) continue;
    const key = portSetKey(ports);
    let g = groups.get(key);
    if (g === undefined) {
      g = { ports: [...ports].sort(comparePorts), addrs: new Map() };
      groups.set(key, g);
    }
    const addr = podAddress(svc, pod, ip);
    const addrKey = `${ip}/${addr.targetRef?.uid ?? ''}`;
    const ready = publishNotReady || isPodReady(pod);
    if (g.addrs.get(addrKey)?.ready !== true) g.addrs.set(addrKey, { addr, ready });
  }
  return [...groups.entries()].sort(([a], [b]) => cmp(a, b)).map(([, g]) => groupSubset(g));
}

function groupSubset(g: Group): EndpointSubset {
  const all = [...g.addrs.values()];
  const subset: EndpointSubset = {};
  const ready = all.filter((a) => a.ready).map((a) => a.addr).sort(compareAddresses);
  const notReady = all.filter((a) => !a.ready).map((a) => a.addr).sort(compareAddresses);
  if (ready.length > 0) subset.addresses = ready;
  if (notReady.length > 0) subset.notReadyAddresses = notReady;
  if (g.ports.length > 0) subset.ports = g.ports;
  return subset;
}

/** compareAddresses: by IP, then by the pod's uid (upstream's LessEndpointAddress). */
export function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return cmp(a.ip, b.ip) || cmp(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

/**
 * normalizeSubsets: subsets as a canonical value for comparison — sorted as desiredSubsets sorts,
 * empty fields dropped, protocol defaulted, the pods' resourceVersions ignored (a pod's
 * annotation change must not rewrite its Service's Endpoints).
 */
export function normalizeSubsets(subsets: readonly EndpointSubset[] | undefined): unknown[] {
  const addrs = (list: EndpointAddress[] | undefined): unknown[] =>
    [...(list ?? [])].sort(compareAddresses).map((a) => compact({
      ip: a.ip, hostname: a.hostname, nodeName: a.nodeName,
      targetRef: a.targetRef && compact({ ...a.targetRef, resourceVersion: undefined }),
    }));
  return (subsets ?? [])
    .map((s) => ({ key: portSetKey(s.ports ?? []), s }))
    .filter(({ s }) => (s.addresses ?? []).length + (s.notReadyAddresses ?? []).length > 0)
    .sort((a, b) => cmp(a.key, b.key))
    .map(({ s }) => compact({
      addresses: addrs(s.addresses),
      notReadyAddresses: addrs(s.notReadyAddresses),
      ports: [...(s.ports ?? [])].sort(comparePorts)
        .map((p) => compact({ ...p, protocol: p.protocol ?? 'TCP' })),
    }));
}

/** subsetsEqual: a and b publish the same addresses and ports. */
export function subsetsEqual(a: readonly EndpointSubset[] | undefined,
  b: readonly EndpointSubset[] | undefined): boolean {
  return JSON.stringify(normalizeSubsets(a)) === JSON.stringify(normalizeSubsets(b));
}
