/**
 * The API resources the kubelet reads and writes, named once here: the kubelet is a peer of the
 * controllers, not their dependant, so it keeps its own list instead of importing theirs.
 */
import type { ApiResource } from '../client/types.js';

/** PODS: the pods bound to this node, their status and their mirror pods. */
export const PODS: ApiResource = { group: '', version: 'v1', resource: 'pods' };
/** NODES: this node's own object. */
export const NODES: ApiResource = { group: '', version: 'v1', resource: 'nodes' };
/** LEASES: the node's heartbeat in kube-node-lease. */
export const LEASES: ApiResource = { group: 'coordination.k8s.io', version: 'v1',
  resource: 'leases' };
/** CONFIG_MAPS and SECRETS: env and volume sources. */
export const CONFIG_MAPS: ApiResource = { group: '', version: 'v1', resource: 'configmaps' };
export const SECRETS: ApiResource = { group: '', version: 'v1', resource: 'secrets' };
/** SERVICES: the source of the service environment variables. */
export const SERVICES: ApiResource = { group: '', version: 'v1', resource: 'services' };

/** NODE_LEASE_NAMESPACE holds one Lease per node, named after it. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** MERGE_PATCH: the patch type the kubelet writes statuses with. */
export const MERGE_PATCH = 'application/merge-patch+json' as const;
