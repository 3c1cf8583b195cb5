/**
 * Legacy discovery: APIVersions (/api), APIGroupList (/apis), APIGroup (/apis/<g>) and
 * APIResourceList (/api/v1, /apis/<g>/<v>). kubectl itself uses the aggregated documents, but
 * `kubectl drain` still reads /api/v1 to find pods/eviction, and older clients read only these.
 */
import { apiVersionOf } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import { RESOURCES } from '../../api/resources.js';
import { groupsInOrder } from './aggregated.js';

/** GroupVersionForDiscovery names one version of a group. */
export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

/** ApiGroup is the APIGroup document. */
export interface ApiGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

/** ApiResource is one APIResourceList entry; subresources appear as "pods/status". */
export interface ApiResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

/** apiVersions is the /api body; clients use serverAddress to reach the server by CIDR. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: versionsOf('').map((v) => v.version),
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function versionsOf(group: string, resources = RESOURCES): GroupVersionForDiscovery[] {
  const out: GroupVersionForDiscovery[] = [];
  for (const r of resources) {
    if (r.group !== group || out.some((v) => v.version === r.version)) continue;
    out.push({ groupVersion: apiVersionOf(group, r.version), version: r.version });
  }
  return out;
}

/** apiGroup is /apis/<group>; undefined for the core group or a group not served. */
export function apiGroup(group: string, resources = RESOURCES): ApiGroup | undefined {
  if (group === '') return undefined;
  const versions = versionsOf(group, resources);
  const preferred = versions[0];
  if (!preferred) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: preferred };
}

/** apiGroupList is /apis: every named group. */
export function apiGroupList(resources = RESOURCES): Record<string, unknown> {
  const groups = groupsInOrder(resources).filter((g) => g !== '');
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((g) => {
      const { kind: _k, apiVersion: _a, ...rest } = apiGroup(g, resources) as ApiGroup;
      return rest;
    }),
  };
}

/**
 * apiResourceList is /api/v1 or /apis/<g>/<v>: resources, each followed by its subresources,
 * which carry group/version when their kind lives elsewhere (deployments/scale is
 * autoscaling/v1 Scale, pods/eviction is policy/v1 Eviction).
 */
export function apiResourceList(group: string, version: string, resources = RESOURCES):
  Record<string, unknown> | undefined {
  const served = resources.filter((r) => r.group === group && r.version === version);
  if (served.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(group, version),
    resources: served.flatMap((r) => [resourceEntry(r), ...subresourceEntries(r)]),
  };
}

function resourceEntry(r: ResourceInfo): ApiResource {
  const out: ApiResource = {
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length > 0) out.shortNames = [...r.shortNames];
  if (r.categories.length > 0) out.categories = [...r.categories];
  return out;
}

function subresourceEntries(r: ResourceInfo): ApiResource[] {
  return r.subresources.map((s) => {
    const foreign = s.group !== r.group || s.version !== r.version;
    return {
      name: `${r.resource}/${s.name}`,
      singularName: '',
      namespaced: r.namespaced,
      ...(foreign ? { group: s.group, version: s.version } : {}),
      kind: s.kind,
      verbs: [...s.verbs],
    };
  });
}
