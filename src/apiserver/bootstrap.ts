/**
 * What every cluster has before anyone writes: the namespaces default, kube-system, kube-public
 * and kube-node-lease, and the `kubernetes` Service in default (the first service address, port
 * 443) whose Endpoints list the API servers. Every API server runs this at start; each step is
 * create-if-absent or an idempotent update, so masters starting together cannot conflict.
 */
import { isStatusError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { findResource, type ResourceInfo } from '../api/resources.js';
import type { ApiRegistry, RequestContext } from './registry/types.js';

const SYSTEM: RequestContext = { user: { name: 'system:apiserver', groups: ['system:masters'] } };
const MANAGER = { fieldManager: 'kube-apiserver' };

function res(group: string, resource: string): ResourceInfo {
  const r = findResource(group, 'v1', resource);
  if (!r) throw new Error(`bootstrap: resource ${resource} is not served`);
  return r;
}

async function ensure(registry: ApiRegistry, r: ResourceInfo, ns: string | undefined, obj: KubeObject): Promise<void> {
  try {
    await registry.create(SYSTEM, r, ns, obj, MANAGER);
  } catch (err) {
    if (!(isStatusError(err) && err.reason === 'AlreadyExists')) throw err;
  }
}

/** bootstrapCluster creates the system namespaces and the kubernetes Service. */
export async function bootstrapCluster(registry: ApiRegistry, o: { host: string; port: number }): Promise<void> {
  const namespaces = res('', 'namespaces');
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await ensure(registry, namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  await ensure(registry, res('', 'services'), 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.port }] },
  });
  await addEndpoint(registry, o);
}

/** addEndpoint lists this API server in the kubernetes Service's Endpoints. */
async function addEndpoint(registry: ApiRegistry, o: { host: string; port: number }): Promise<void> {
  const endpoints = res('', 'endpoints');
  const port = { name: 'https', port: o.port, protocol: 'TCP' };
  await ensure(registry, endpoints, 'default', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default' },
    subsets: [{ addresses: [{ ip: o.host }], ports: [port] }],
  });
  const patch = (cur: KubeObject): KubeObject | undefined => {
    const subsets = (cur.subsets ?? []) as { addresses?: { ip: string }[]; ports?: unknown[] }[];
    const ips = subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
    if (ips.includes(o.host)) return undefined;
    const addresses = [...ips, o.host].sort().map((ip) => ({ ip }));
    return { ...cur, subsets: [{ addresses, ports: [port] }] };
  };
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await registry.get(SYSTEM, endpoints, 'default', 'kubernetes');
    const next = patch(cur);
    if (!next) return;
    try {
      await registry.update(SYSTEM, endpoints, 'default', 'kubernetes', next, MANAGER);
      return;
    } catch (err) {
      if (!(isStatusError(err) && err.reason === 'Conflict')) throw err;
    }
  }
}
