/**
 * The resource table: every resource k8ts serves, in discovery order. Discovery (aggregated v2 and
 * v2beta1, legacy), OpenAPI, routing, storage keys and kubectl's short names all derive from this
 * one table, so adding a kind is one entry here plus its strategy and printer.
 *
 * Order matters: kubectl's `get all` queries the "all" category in discovery order (pods,
 * services, daemonsets, deployments, replicasets, jobs on a real cluster), and the first version
 * listed for a group is its preferred version.
 */
import { apiVersionOf } from './meta.js';

/** Verb is an API verb as discovery lists it. */
export type Verb =
  | 'create'
  | 'delete'
  | 'deletecollection'
  | 'get'
  | 'list'
  | 'patch'
  | 'update'
  | 'watch';

/** SubresourceInfo is one subresource, e.g. deployments/scale answering autoscaling/v1 Scale. */
export interface SubresourceInfo {
  name:
    | 'status'
    | 'scale'
    | 'finalize'
    | 'binding'
    | 'eviction'
    | 'log'
    | 'exec'
    | 'attach'
    | 'portforward';
  group: string;
  version: string;
  kind: string;
  verbs: readonly string[];
}

/** ResourceInfo describes one resource of one group-version. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural, lower-case: the URL segment and the storage key segment. */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  verbs: readonly Verb[];
  subresources: readonly SubresourceInfo[];
}

const ALL_VERBS: readonly Verb[] = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
const GPU = ['get', 'patch', 'update'] as const;

function status(group: string, version: string, kind: string): SubresourceInfo {
  return { name: 'status', group, version, kind, verbs: GPU };
}
function scale(): SubresourceInfo {
  return { name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: GPU };
}

interface Entry {
  kind: string;
  resource: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: (g: string, v: string) => SubresourceInfo[];
}

function group(g: string, v: string, entries: Entry[]): ResourceInfo[] {
  return entries.map((e) => ({
    group: g,
    version: v,
    kind: e.kind,
    listKind: `${e.kind}List`,
    resource: e.resource,
    singular: e.kind.toLowerCase(),
    namespaced: e.namespaced,
    shortNames: e.shortNames ?? [],
    categories: e.categories ?? [],
    verbs: ALL_VERBS,
    subresources: e.subresources ? e.subresources(g, v) : [],
  }));
}

const POD_SUBRESOURCES = (g: string, v: string): SubresourceInfo[] => [
  { name: 'attach', group: g, version: v, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
  { name: 'binding', group: g, version: v, kind: 'Binding', verbs: ['create'] },
  { name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
  { name: 'exec', group: g, version: v, kind: 'PodExecOptions', verbs: ['create', 'get'] },
  { name: 'log', group: g, version: v, kind: 'Pod', verbs: ['get'] },
  { name: 'portforward', group: g, version: v, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  status(g, v, 'Pod'),
];

/** namespaces/finalize (update only: the namespace controller's write of spec.finalizers), then
 *  status, in upstream's discovery order. */
const NAMESPACE_SUBRESOURCES = (g: string, v: string): SubresourceInfo[] => [
  { name: 'finalize', group: g, version: v, kind: 'Namespace', verbs: ['update'] },
  status(g, v, 'Namespace'),
];

/** RESOURCES is every served resource, in discovery order (core first, then groups). */
export const RESOURCES: readonly ResourceInfo[] = [
  ...group('', 'v1', [
    { kind: 'Pod', resource: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: POD_SUBRESOURCES },
    { kind: 'Service', resource: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: (g, v) => [status(g, v, 'Service')] },
    { kind: 'Endpoints', resource: 'endpoints', namespaced: true, shortNames: ['ep'] },
    { kind: 'Namespace', resource: 'namespaces', namespaced: false, shortNames: ['ns'], subresources: NAMESPACE_SUBRESOURCES },
    { kind: 'Node', resource: 'nodes', namespaced: false, shortNames: ['no'], subresources: (g, v) => [status(g, v, 'Node')] },
    { kind: 'ConfigMap', resource: 'configmaps', namespaced: true, shortNames: ['cm'] },
    { kind: 'Secret', resource: 'secrets', namespaced: true },
    { kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
    { kind: 'Event', resource: 'events', namespaced: true, shortNames: ['ev'] },
  ]),
  ...group('apps', 'v1', [
    { kind: 'DaemonSet', resource: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: (g, v) => [status(g, v, 'DaemonSet')] },
    { kind: 'Deployment', resource: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: (g, v) => [scale(), status(g, v, 'Deployment')] },
    { kind: 'ReplicaSet', resource: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: (g, v) => [scale(), status(g, v, 'ReplicaSet')] },
  ]),
  ...group('batch', 'v1', [
    { kind: 'Job', resource: 'jobs', namespaced: true, categories: ['all'], subresources: (g, v) => [status(g, v, 'Job')] },
  ]),
  ...group('coordination.k8s.io', 'v1', [{ kind: 'Lease', resource: 'leases', namespaced: true }]),
  ...group('discovery.k8s.io', 'v1', [
    { kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true },
  ]),
];

/** GroupVersion is one served group-version, e.g. {group: "apps", version: "v1"}. */
export interface GroupVersion {
  group: string;
  version: string;
}

/** groupVersions lists served group-versions in discovery order (core "v1" first). */
export function groupVersions(): GroupVersion[] {
  const seen = new Set<string>();
  const out: GroupVersion[] = [];
  for (const r of RESOURCES) {
    const key = apiVersionOf(r.group, r.version);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ group: r.group, version: r.version });
  }
  return out;
}

/** findResource looks a resource up by group, version and plural; undefined when not served. */
export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** findKind looks a resource up by apiVersion and kind (for bodies and ownerReferences). */
export function findKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => apiVersionOf(r.group, r.version) === apiVersion && r.kind === kind);
}

/** storagePrefix is the key prefix of a resource in the store: "/registry/pods/" (etcd-api.md §3); plural names are
 * unique across the served groups, so no group segment is needed. */
export function storagePrefix(r: ResourceInfo): string {
  return `/registry/${r.resource}/`;
}
