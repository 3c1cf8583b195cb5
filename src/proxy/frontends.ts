/**
 * The proxy's desired state, pure: from Services and EndpointSlices to the frontends a node's
 * kube-proxy serves (a Service port on its ClusterIP, and on this node's address at its
 * nodePort) and the backends behind each — the same reading of the API that kube-proxy's
 * ServiceChangeTracker and EndpointsChangeTracker make before it writes iptables rules.
 *
 * Rules, as upstream: ExternalName and headless Services (clusterIP None) get no frontend;
 * backends come from the IPv4 slices labelled kubernetes.io/service-name=<service>, matched to
 * a Service port by port name and protocol; an endpoint is used when its ready condition is not
 * false (unset means ready); the same address:port listed by two slices counts once.
 * Frontends on addresses k8ts did not create are never produced: only loopback ClusterIPs and
 * this node's own (loopback) address are listened on (the network rule of ARCHITECTURE.md §6).
 */
import { isLoopbackIp } from '../base/loopback.js';
import type { Protocol } from '../api/core/v1/common-types.js';
import type { Service, ServicePort } from '../api/core/v1/service.js';
import type { EndpointSlice } from '../api/discovery/v1/endpoint-slice.js';

/** SERVICE_NAME_LABEL: how a slice names its Service (discovery.k8s.io). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Backend is one endpoint address and port behind a frontend. */
export interface Backend {
  ip: string;
  port: number;
}

/** Frontend is one listening address of one Service port, with its backends. */
export interface Frontend {
  /** "TCP 127.96.0.10:80": the listener's identity; equal keys are the same socket. */
  key: string;
  protocol: 'TCP' | 'UDP';
  ip: string;
  port: number;
  /** "<namespace>/<service>:<port name>", as kube-proxy names a service port in its logs. */
  servicePort: string;
  /** ClientIP affinity timeout in ms, or 0 for none. */
  affinityMs: number;
  backends: Backend[];
}

/** ProxyInputs: the caches' contents and where this node's NodePorts listen. */
export interface ProxyInputs {
  services: readonly Service[];
  slices: readonly EndpointSlice[];
  /** This node's address (its InternalIP); NodePorts listen here. */
  nodeIp: string;
}

/** frontendsOf computes every frontend this node serves, sorted by key (stable for diffs). */
export function frontendsOf(i: ProxyInputs): Frontend[] {
  const slicesByService = groupSlices(i.slices);
  const out: Frontend[] = [];
  for (const svc of i.services) {
    const spec = svc.spec;
    if (spec === undefined || spec.type === 'ExternalName') continue;
    const clusterIp = spec.clusterIP ?? '';
    const name = `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
    const slices = slicesByService.get(name) ?? [];
    const affinityMs = spec.sessionAffinity === 'ClientIP'
      ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) * 1000 : 0;
    for (const p of spec.ports ?? []) {
      const protocol = p.protocol ?? 'TCP';
      if (protocol !== 'TCP' && protocol !== 'UDP') continue; // SCTP: not proxied here.
      const base = {
        protocol,
        servicePort: `${name}:${p.name ?? ''}`,
        affinityMs,
        backends: backendsFor(p, protocol, slices),
      };
      if (isLoopbackIp(clusterIp)) out.push(frontend(base, clusterIp, p.port));
      if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort) {
        out.push(frontend(base, i.nodeIp, p.nodePort));
      }
    }
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

type FrontendBase = Omit<Frontend, 'key' | 'ip' | 'port'>;

function frontend(base: FrontendBase, ip: string, port: number): Frontend {
  return { key: `${base.protocol} ${ip}:${port}`, ip, port, ...base };
}

function groupSlices(slices: readonly EndpointSlice[]): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata.namespace ?? ''}/${svc}`;
    const list = out.get(key);
    if (list) list.push(s);
    else out.set(key, [s]);
  }
  return out;
}

/** backendsFor: the ready endpoints of the slice port matching p by name and protocol. */
function backendsFor(p: ServicePort, protocol: Protocol, slices: readonly EndpointSlice[]): Backend[] {
  const seen = new Set<string>();
  const out: Backend[] = [];
  const wanted = p.name ?? '';
  for (const s of slices) {
    const sp = (s.ports ?? []).find((x) => (x.name ?? '') === wanted && (x.protocol ?? 'TCP') === protocol);
    if (sp?.port === undefined) continue;
    for (const ep of s.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses) {
        const k = `${ip}:${sp.port}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push({ ip, port: sp.port });
      }
    }
  }
  return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

