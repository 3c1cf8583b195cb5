/**
 * core/v1 Service: types, defaults (SetDefaults_Service plus the registry-time ipFamilies) and
 * validation. The cluster IP itself is allocated by the registry (src/apiserver/registry), so a
 * ClusterIP service without one is valid here.
 */
import type { FieldError } from '../../errors.js';
import type { KubeObject } from '../../meta.js';
import { child, duplicate, forbidden, index, invalid, invalidEach, notSupported, required } from '../../validation/field.js';
import { immutable, validatePortNum, validatePortNumOrName, validateProtocol } from '../../validation/common.js';
import { defineStrategy } from '../../validation/kind-strategy.js';
import { isDns1123Label, isDns1123Subdomain, nameIsDns1035Label } from '../../validation/names.js';
import { validateLabels } from '../../validation/object-meta.js';
import type { IntOrString, Protocol } from './common-types.js';

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  appProtocol?: string;
  port: number;
  targetPort?: IntOrString;
  nodePort?: number;
}

export interface ServiceSpec {
  ports?: ServicePort[];
  selector?: Record<string, string>;
  clusterIP?: string;
  clusterIPs?: string[];
  type?: ServiceType;
  externalIPs?: string[];
  sessionAffinity?: 'None' | 'ClientIP';
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  loadBalancerIP?: string;
  externalName?: string;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  ipFamilies?: ('IPv4' | 'IPv6')[];
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  allocateLoadBalancerNodePorts?: boolean;
}

export interface ServiceStatus {
  loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] };
  conditions?: unknown[];
}

/** Service is a stable virtual IP and DNS name in front of the pods its selector picks. */
export interface Service extends KubeObject {
  spec?: ServiceSpec;
  status?: ServiceStatus;
}

const SERVICE_TYPES: readonly string[] = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES: readonly string[] = ['ClientIP', 'None'];
const TRAFFIC_POLICIES: readonly string[] = ['Cluster', 'Local'];
/** Three hours: upstream's default ClientIP affinity timeout. */
const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

/** defaultService fills a Service's defaults in place. */
export function defaultService(svc: Service): void {
  const spec = (svc.spec ??= {});
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= DEFAULT_AFFINITY_TIMEOUT_SECONDS;
  }
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (spec.type === 'ExternalName') return;
  spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  spec.ipFamilyPolicy ??= 'SingleStack';
  spec.ipFamilies ??= ['IPv4'];
}

function validateServicePort(sp: ServicePort, p: string, requireName: boolean,
  type: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(required(child(p, 'name')));
  else if (sp.name) errs.push(...invalidEach(child(p, 'name'), sp.name, isDns1123Label(sp.name)));
  errs.push(...validatePortNum(sp.port, child(p, 'port')));
  errs.push(...validateProtocol(sp.protocol, child(p, 'protocol')));
  errs.push(...validatePortNumOrName(sp.targetPort, child(p, 'targetPort')));
  if (sp.nodePort && type === 'ClusterIP') {
    errs.push(forbidden(child(p, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
  } else if (sp.nodePort) {
    errs.push(...validatePortNum(sp.nodePort, child(p, 'nodePort')));
  }
  return errs;
}

function validatePorts(spec: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') return [required(
    'spec.ports')];
  const names = new Set<string>();
  const pairs = new Set<string>();
  ports.forEach((sp, i) => {
    const p = index('spec.ports', i);
    errs.push(...validateServicePort(sp, p, ports.length > 1, spec.type ?? ''));
    if (sp.name) {
      if (names.has(sp.name)) errs.push(duplicate(child(p, 'name'), sp.name));
      names.add(sp.name);
    }
    const pair = `${sp.port}/${sp.protocol ?? ''}`;
    if (pairs.has(pair)) errs.push(duplicate(p, { port: sp.port, protocol: sp.protocol }));
    pairs.add(pair);
  });
  return errs;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** isIp: dotted IPv4, or anything with a colon that parses as an IPv6 URL host. */
export function isIp(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!s.includes(':')) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 0;
  } catch {
    return false;
  }
}

/** IP_FORMAT_ERROR is upstream's detail for a malformed IP address. */
export const IP_FORMAT_ERROR = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

function validateSpec(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  if (!spec.type || !SERVICE_TYPES.includes(spec.type)) errs.push(notSupported('spec.type',
    spec.type ?? '', SERVICE_TYPES));
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) errs.push(required('spec.externalName'));
    else errs.push(...invalidEach('spec.externalName', spec.externalName, isDns1123Subdomain(
      spec.externalName)));
  }
  errs.push(...validatePorts(spec));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (!AFFINITIES.includes(spec.sessionAffinity ?? '')) {
    errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity ?? '', AFFINITIES));
  }
  (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).forEach((ip, i) => {
    if (ip !== 'None' && ip !== '' && !isIp(ip)) errs.push(invalid(index('spec.clusterIPs', i), ip,
      IP_FORMAT_ERROR));
  });
  for (const f of ['externalTrafficPolicy', 'internalTrafficPolicy'] as const) {
    const v = spec[f];
    if (v !== undefined && !TRAFFIC_POLICIES.includes(v)) errs.push(notSupported(child('spec', f),
      v, TRAFFIC_POLICIES));
  }
  return errs;
}

/**
 * validateServiceUpdate: an allocated cluster IP never changes. A body that omits it is left to
 * the registry, which carries allocated values over as upstream's REST layer does.
 */
function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const next = svc.spec?.clusterIP ?? '';
  const prev = old.spec?.clusterIP ?? '';
  if (next === '' || prev === '' || old.spec?.type === 'ExternalName' || svc.spec?.type === 'ExternalName') return [];
  if (next === prev) return [];
  const errs = immutable(svc.spec?.clusterIPs ?? [next], old.spec?.clusterIPs ?? [prev],
    'spec.clusterIPs[0]');
  return errs.map((e) => ({ ...e, detail: 'may not change once set' }));
}

/** serviceStrategy is core/v1 Service's KindStrategy. */
/**
 * keepAllocations: a PUT that leaves out the allocated cluster IPs or node ports keeps them (as
 * kube-apiserver's service REST does), so `kubectl replace` of the original manifest works.
 */
function keepAllocations(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const prev = old.spec ?? {};
  if (!spec.clusterIP && prev.clusterIP) spec.clusterIP = prev.clusterIP;
  if (!spec.clusterIPs?.length && prev.clusterIPs) spec.clusterIPs = [...prev.clusterIPs];
  for (const p of spec.ports ?? []) {
    if (p.nodePort) continue;
    const match = (prev.ports ?? []).find((q) => q.port === p.port && q.protocol === p.protocol);
    if (match?.nodePort) p.nodePort = match.nodePort;
  }
}

export const serviceStrategy = defineStrategy<Service>({
  group: '',
  version: 'v1',
  kind: 'Service',
  nameFn: nameIsDns1035Label,
  hasStatus: true,
  specFields: [],
  defaults: defaultService,
  validate: validateSpec,
  validateUpdate: validateServiceUpdate,
  prepareForUpdate: keepAllocations,
  prepareForCreate: (svc) => {
    svc.status = { loadBalancer: {} };
  },
});
