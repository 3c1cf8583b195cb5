/**
 * The API resources components read and write, as the component API names them, in one place:
 * one component's informer and another's writes (or a test's reads) must name the same resource.
 */
import type { ApiResource } from './types.js';

/** PODS: what workload controllers create and Services select. */
export const PODS: ApiResource = { group: '', version: 'v1', resource: 'pods' };
/** NODES: where pods run; DaemonSets, endpoint zones and node lifecycle look at them. */
export const NODES: ApiResource = { group: '', version: 'v1', resource: 'nodes' };
/** NAMESPACES: emptied by the namespace controller, given accounts by the serviceaccount one. */
export const NAMESPACES: ApiResource = { group: '', version: 'v1', resource: 'namespaces' };
/** SERVICE_ACCOUNTS: the "default" account of every namespace. */
export const SERVICE_ACCOUNTS: ApiResource = {
  group: '', version: 'v1', resource: 'serviceaccounts',
};
/** CONFIG_MAPS and SECRETS: what pods' env and volumes read. */
export const CONFIG_MAPS: ApiResource = { group: '', version: 'v1', resource: 'configmaps' };
export const SECRETS: ApiResource = { group: '', version: 'v1', resource: 'secrets' };
/** SERVICES: the desired side of the Endpoints and EndpointSlice controllers. */
export const SERVICES: ApiResource = { group: '', version: 'v1', resource: 'services' };
/** ENDPOINTS: core/v1 Endpoints, written by the "endpoint" controller. */
export const ENDPOINTS: ApiResource = { group: '', version: 'v1', resource: 'endpoints' };
/** ENDPOINT_SLICES: discovery.k8s.io/v1 slices, written by the "endpointslice" controller. */
export const ENDPOINT_SLICES: ApiResource = {
  group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices',
};
/** LEASES: coordination.k8s.io/v1 Leases (the kubelets' heartbeats in kube-node-lease). */
export const LEASES: ApiResource = { group: 'coordination.k8s.io', version: 'v1',
  resource: 'leases' };
/** REPLICASETS: apps/v1 ReplicaSets, rolled by Deployments, kept at size by their controller. */
export const REPLICASETS: ApiResource = { group: 'apps', version: 'v1', resource: 'replicasets' };
/** DEPLOYMENTS: apps/v1 Deployments. */
export const DEPLOYMENTS: ApiResource = { group: 'apps', version: 'v1', resource: 'deployments' };
/** DAEMONSETS: apps/v1 DaemonSets. */
export const DAEMONSETS: ApiResource = { group: 'apps', version: 'v1', resource: 'daemonsets' };
/** JOBS: batch/v1 Jobs. */
export const JOBS: ApiResource = { group: 'batch', version: 'v1', resource: 'jobs' };
