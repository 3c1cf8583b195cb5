/**
 * The API resources the kubelet reads and writes (from the client kit's one catalog,
 * src/client/resources.ts), and the kubelet's own API constants.
 */
export { CONFIG_MAPS, LEASES, NODES, PODS, SECRETS, SERVICES } from '../client/resources.js';

/** NODE_LEASE_NAMESPACE holds one Lease per node, named after it. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** MERGE_PATCH: the patch type the kubelet writes statuses with. */
export const MERGE_PATCH = 'application/merge-patch+json' as const;
