/**
 * Aggregated discovery (apidiscovery.k8s.io v2 and v2beta1): every resource of every version of a
 * group in one document, so kubectl learns the whole API in two requests (/api and /apis). Pure
 * renderings of the resource table; v2 and v2beta1 bodies differ only in apiVersion.
 */
import type { ResourceInfo, SubresourceInfo } from '../../api/resources.js';
import { RESOURCES } from '../../api/resources.js';

/** AggregatedVersion is an aggregated discovery apiVersion. */
export type AggregatedVersion = 'v2' | 'v2beta1';

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** APIResourceDiscovery is one resource entry (apidiscovery.k8s.io APIResourceDiscovery). */
export interface ResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: {
    subresource: string;
    responseKind: GroupVersionKind;
    verbs: string[];
  }[];
}

/** GroupDiscovery is one group (metadata.name absent for the core group). */
export interface GroupDiscovery {
  metadata: { name?: string; creationTimestamp: null };
  versions: { version: string; resources: ResourceDiscovery[]; freshness: 'Current' }[];
}

/** GroupDiscoveryList is the /api or /apis aggregated body. */
export interface GroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: string;
  metadata: Record<string, never>;
  items: GroupDiscovery[];
}

function subresourceEntry(s: SubresourceInfo): NonNullable<ResourceDiscovery['subresources']>[0] {
  return {
    subresource: s.name,
    responseKind: { group: s.group, version: s.version, kind: s.kind },
    verbs: [...s.verbs],
  };
}

/** resourceEntry renders one resource; empty lists are omitted, as upstream omits them. */
export function resourceEntry(r: ResourceInfo): ResourceDiscovery {
  const out: ResourceDiscovery = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length > 0) out.shortNames = [...r.shortNames];
  if (r.categories.length > 0) out.categories = [...r.categories];
  if (r.subresources.length > 0) out.subresources = r.subresources.map(subresourceEntry);
  return out;
}

/** groupEntry renders one group, versions in table order (the first is the preferred one). */
function groupEntry(group: string, resources: readonly ResourceInfo[]): GroupDiscovery {
  const versions: string[] = [];
  for (const r of resources) if (!versions.includes(r.version)) versions.push(r.version);
  return {
    metadata: group === '' ? { creationTimestamp: null } : { name: group, creationTimestamp: null },
    versions: versions.map((v) => ({
      version: v,
      resources: resources.filter((r) => r.version === v).map(resourceEntry),
      freshness: 'Current' as const,
    })),
  };
}

/** groupsInOrder lists served group names in table order, "" (core) first when present. */
export function groupsInOrder(resources: readonly ResourceInfo[] = RESOURCES): string[] {
  const out: string[] = [];
  for (const r of resources) if (!out.includes(r.group)) out.push(r.group);
  return out;
}

/** aggregatedList renders /api (core: true) or /apis (core: false). */
export function aggregatedList(version: AggregatedVersion, core: boolean,
  resources: readonly ResourceInfo[] = RESOURCES): GroupDiscoveryList {
  const groups = groupsInOrder(resources).filter((g) => (g === '') === core);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => groupEntry(g, resources.filter((r) => r.group === g))),
  };
}
