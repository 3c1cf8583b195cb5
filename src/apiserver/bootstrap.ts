/**
 * What every cluster has before anyone writes: the namespaces default, kube-system, kube-public
 * and kube-node-lease, and the `kubernetes` Service in default (the first service address, port
 * 443) whose Endpoints and EndpointSlice list the API servers. Every API server runs this at start; each step is
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

/** addEndpoint lists this API server in the kubernetes Service's Endpoints and in its
 *  EndpointSlice (kube-apiserver's endpoint reconciler writes both; kube-proxy reads the slice). */
async function addEndpoint(registry: ApiRegistry, o: { host: string; port: number }): Promise<void> {
  const port = { name: 'https', port: o.port, protocol: 'TCP' };
  const endpointsOf = (ips: string[]): KubeObject => ({
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default' },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [port] }],
  });
  await addIp(registry, res('', 'endpoints'), o.host, endpointsOf, (cur) =>
    ((cur.subsets ?? []) as { addresses?: { ip: string }[] }[])
      .flatMap((x) => (x.addresses ?? []).map((a) => a.ip)));
  const sliceOf = (ips: string[]): KubeObject => ({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [port],
  });
  await addIp(registry, res('discovery.k8s.io', 'endpointslices'), o.host, sliceOf, (cur) =>
    ((cur.endpoints ?? []) as { addresses?: string[] }[]).flatMap((e) => e.addresses ?? []));
}

/** addIp creates default/kubernetes of resource r listing ip, or adds ip to the one there
 *  (optimistic concurrency: re-read and retry on Conflict, bounded). */
async function addIp(
  registry: ApiRegistry, r: ResourceInfo, ip: string,
  build: (ips: string[]) => KubeObject, ipsOf: (cur: KubeObject) => string[],
): Promise<void> {
  await ensure(registry, r, 'default', build([ip]));
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await registry.get(SYSTEM, r, 'default', 'kubernetes');
    const ips = ipsOf(cur);
    if (ips.includes(ip)) return;
    const next = { ...build([...ips, ip].sort()), metadata: { ...cur.metadata } };
    try {
      await registry.update(SYSTEM, r, 'default', 'kubernetes', next, MANAGER);
      return;
    } catch (err) {
      if (!(isStatusError(err) && err.reason === 'Conflict')) throw err;
    }
  }
}
