/**
 * Service ↔ pod facts the Endpoints and EndpointSlice controllers share (upstream's
 * endpointslice util package and podutil.FindPort), in one place so both publish the same
 * pods, addresses and ports: which services select a pod, whether a pod belongs in endpoints,
 * the address and the ports it serves a Service on, its hostname, the trigger time. Pure.
 */
import type { EndpointPort } from '../../api/core/v1/endpoints.js';
import type { Container, Pod } from '../../api/core/v1/pod-types.js';
import type { Service, ServicePort } from '../../api/core/v1/service.js';
import { podCondition } from './pods.js';

/** HEADLESS_LABEL marks the Endpoints and slices of a Service whose clusterIP is None. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** TRIGGER_TIME_ANNOTATION: when the change that caused the last write happened, which
 *  kube-proxy turns into its network-programming-latency metric. */
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/** hasSelector: the controllers publish endpoints only for Services with a non-empty selector
 *  (a Service without one gets its Endpoints out of band, as default/kubernetes does), and never
 *  for ExternalName Services (upstream issue 105986). */
export function hasSelector(svc: Service): boolean {
  if (svc.spec?.type === 'ExternalName') return false;
  return Object.keys(svc.spec?.selector ?? {}).length > 0;
}

/** selects: svc's selector (an equality map) picks pod; false for a Service without one. */
export function selects(svc: Service, pod: Pod): boolean {
  if (!hasSelector(svc) || svc.metadata.namespace !== pod.metadata.namespace) return false;
  const labels = pod.metadata.labels ?? {};
  return Object.entries(svc.spec?.selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** serviceKeysSelecting: "<ns>/<name>" of every Service among services selecting any of pods
 *  (pass an updated pod's old and new states: a relabelled pod leaves one, joins another). */
export function serviceKeysSelecting(services: readonly Service[], pods: readonly Pod[]): string[] {
  const keys = new Set<string>();
  for (const svc of services) {
    if (pods.some((p) => selects(svc, p))) {
      keys.add(`${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`);
    }
  }
  return [...keys].sort();
}

/** isHeadless: clusterIP None (no virtual IP; DNS answers with the endpoints themselves). */
export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/**
 * shouldPodBeInEndpoints (upstream's ShouldPodBeInEndpoints): the pod has an IP, is not being
 * deleted unless includeTerminating, and cannot be finished for good — a pod that will never
 * run again (Succeeded, or Failed without restarts) is left out; an Always pod always counts.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (podIPv4(pod) === undefined) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp !== undefined) return false;
  const phase = pod.status?.phase;
  switch (pod.spec?.restartPolicy) {
    case 'Never':
      return phase !== 'Failed' && phase !== 'Succeeded';
    case 'OnFailure':
      return phase !== 'Succeeded';
    default:
      return true;
  }
}

/** podIPv4: the pod's IPv4 address (k8ts services are single-stack IPv4), if it has one. */
export function podIPv4(pod: Pod): string | undefined {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.find((ip) => ip !== '' && !ip.includes(':'));
}

/** hostnameFor: the pod's spec.hostname when it asked for a DNS name under this Service
 *  (spec.subdomain = the Service's name, same namespace; upstream's ShouldSetHostname). */
export function hostnameFor(pod: Pod, svc: Service): string | undefined {
  const host = pod.spec?.hostname ?? '';
  const under = pod.spec?.subdomain === svc.metadata.name &&
    pod.metadata.namespace === svc.metadata.namespace;
  return host !== '' && under ? host : undefined;
}

/** servingContainers: containers that serve ports — the regular ones and sidecars (init
 *  containers with restartPolicy Always, which keep running). */
function servingContainers(pod: Pod): Container[] {
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  return [...(pod.spec?.containers ?? []), ...sidecars];
}

/**
 * findPodPort (podutil.FindPort): the port number sp targets on pod — a number as is, a name
 * looked up among the pod's container ports with the same protocol; undefined when the pod has
 * no such named port (the pod then serves the Service without this port).
 */
export function findPodPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target === 0 ? sp.port : target;
  if (/^[0-9]+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  for (const c of servingContainers(pod)) {
    const hit = (c.ports ?? [])
      .find((p) => p.name === target && (p.protocol ?? 'TCP') === protocol);
    if (hit !== undefined) return hit.containerPort;
  }
  return undefined;
}

/** endpointPortsForPod: svc's ports as pod serves them, in the Service's order, each with the
 *  Service port's name (always set, "" when unnamed), protocol and appProtocol. */
export function endpointPortsForPod(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPodPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined && sp.appProtocol !== '') ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** comparePorts orders ports canonically: by name, then number, then protocol. */
export function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return cmp(a.name ?? '', b.name ?? '') || a.port - b.port ||
    cmp(a.protocol ?? 'TCP', b.protocol ?? 'TCP') || cmp(a.appProtocol ?? '', b.appProtocol ?? '');
}

/** portSetKey names a set of ports independent of order: pods serving the same set share
 *  one Endpoints subset / one group of slices. */
export function portSetKey(ports: readonly EndpointPort[]): string {
  return [...ports].sort(comparePorts)
    .map((p) => `${p.name ?? ''}:${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`)
    .join(',');
}

/** sameLabels: equal label maps. */
export function sameLabels(a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** cmp compares strings by code point (locale-free, so every process orders alike). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** compact drops undefined, "" and [] fields, so absent and empty compare equal, and orders the
 *  keys, so objects decoded from the wire stringify alike: for comparing what is stored with
 *  what a plan wants. Shallow: callers compact nested objects themselves. */
export function compact<T extends object>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o).sort(([a], [b]) => cmp(a, b))) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

/**
 * triggerTime: the newest change among the Service and pods that can explain a write — the
 * Service's creation and each pod's Ready transition (or creation) — as RFC 3339; undefined
 * when none is known. Upstream tracks the oldest unprocessed change across syncs; a pure plan
 * has no memory, and the newest observed change is the one this write reflects.
 */
export function triggerTime(svc: Service, pods: readonly Pod[]): string | undefined {
  let bestMs = Number.NEGATIVE_INFINITY;
  let best: string | undefined;
  const consider = (t: string | null | undefined): void => {
    if (!t) return;
    const ms = Date.parse(t);
    if (!Number.isNaN(ms) && ms > bestMs) {
      bestMs = ms;
      best = t;
    }
  };
  consider(svc.metadata.creationTimestamp);
  for (const p of pods) {
    consider(podCondition(p, 'Ready')?.lastTransitionTime ?? p.metadata.creationTimestamp);
  }
  return best;
}
