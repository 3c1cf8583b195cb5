/**
 * The resources, keys and time format the node lifecycle controller uses, in one place so the
 * shell and the executor agree on them.
 */
import type { ApiResource } from '../../client/types.js';

/** NODES, PODS and LEASES as the component API names them. */
export const NODES: ApiResource = { group: '', version: 'v1', resource: 'nodes' };
export const PODS: ApiResource = { group: '', version: 'v1', resource: 'pods' };
export const LEASES: ApiResource = { group: 'coordination.k8s.io', version: 'v1',
  resource: 'leases' };

/** NODE_LEASE_NAMESPACE holds one Lease per node, named after it, renewed by its kubelet. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** metaTime renders wall-clock ms as metav1.Time does: RFC 3339, whole seconds, UTC. */
export function metaTime(wallMs: number): string {
  return new Date(Math.floor(wallMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
