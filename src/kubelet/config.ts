/**
 * KubeletConfig: everything one kubelet needs to know about its node and its timing, resolved
 * (defaults applied) before anything starts, so the rest of the kubelet reads plain values.
 * The field names follow upstream's KubeletConfiguration where one exists.
 */
import type { ResourceList } from '../api/core/v1/common-types.js';
import { assert } from '../base/assert.js';

/** NodeRole: masters register with the control-plane role label and NoSchedule taint. */
export type NodeRole = 'master' | 'worker';

/** KubeletConfig is the resolved configuration (see resolveKubeletConfig for the defaults). */
export interface KubeletConfig {
  nodeName: string;
  /** The node's address (its loopback address): InternalIP, hostIP, the kubelet server's. */
  address: string;
  role: NodeRole;
  /** Root of the kubelet's state: pods/<uid>/volumes, logs. */
  rootDir: string;
  /** Static pod manifests; undefined = no static pods. */
  manifestDir: string | undefined;
  /** spec.podCIDR(s); empty when the runtime allocates addresses its own way. */
  podCidrs: string[];
  /** What the node claims to have (hollow nodes may claim anything). */
  capacity: ResourceList;
  /** Held back from pods (system-reserved + kube-reserved): allocatable = capacity − reserved. */
  reserved: ResourceList;
  /** The kubelet server's port (daemonEndpoints.kubeletEndpoint.Port). */
  kubeletPort: number;
  /** Lease duration written into the node Lease (upstream nodeLeaseDurationSeconds, 40). */
  leaseDurationSeconds: number;
  /** How often the Lease is renewed (upstream: 25 % of the duration, 10 s). */
  leaseRenewIntervalMs: number;
  /** How often node status is computed, and written when it changed (upstream 10 s). */
  nodeStatusUpdateFrequencyMs: number;
  /** Unchanged status is still written this often (upstream nodeStatusReportFrequency, 5 min). */
  nodeStatusReportFrequencyMs: number;
  /** How often the manifest directory is re-read (upstream fileCheckFrequency, 20 s). */
  fileCheckFrequencyMs: number;
  /** How often running pods' configMap/secret/downwardAPI volumes are rewritten from their
   *  objects (upstream re-syncs each pod about once a minute). */
  volumeRefreshMs: number;
  /** How often leftovers of vanished pods are cleaned up (sandboxes, volumes, logs). */
  housekeepingIntervalMs: number;
  /** Cluster DNS servers and domain for pods' dnsConfig (ClusterFirst). */
  clusterDns: string[];
  clusterDomain: string;
  /** Extra node labels (beyond the well-known ones). */
  nodeLabels: Record<string, string>;
}

/** KubeletConfigInput: the required fields, and any default to override. */
export type KubeletConfigInput = Pick<KubeletConfig, 'nodeName' | 'address' | 'rootDir'> &
  Partial<KubeletConfig>;

/** DEFAULT_POD_CAPACITY: upstream's maxPods. */
export const DEFAULT_POD_CAPACITY = 110;

/**
 * DEFAULT_TIMING follows upstream: a 40 s lease renewed every 10 s, which the node lifecycle
 * controller's 40 s grace period (src/controllers/nodelifecycle, nodeMonitorGracePeriodMs)
 * tolerates three missed renewals of.
 */
export const DEFAULT_TIMING = {
  leaseDurationSeconds: 40,
  leaseRenewIntervalMs: 10_000,
  nodeStatusUpdateFrequencyMs: 10_000,
  nodeStatusReportFrequencyMs: 5 * 60_000,
  fileCheckFrequencyMs: 20_000,
  volumeRefreshMs: 10_000,
  housekeepingIntervalMs: 10_000,
} as const;

/** resolveKubeletConfig fills defaults; capacity must be given (main measures the host). */
export function resolveKubeletConfig(i: KubeletConfigInput): KubeletConfig {
  assert(i.nodeName !== '', 'kubelet config: nodeName is required');
  const c: KubeletConfig = {
    role: 'worker',
    manifestDir: undefined,
    podCidrs: [],
    capacity: { cpu: '1', memory: '1Gi', pods: String(DEFAULT_POD_CAPACITY) },
    reserved: {},
    kubeletPort: 10250,
    ...DEFAULT_TIMING,
    clusterDns: [],
    clusterDomain: 'cluster.local',
    nodeLabels: {},
    ...stripUndefined(i),
    nodeName: i.nodeName,
    address: i.address,
    rootDir: i.rootDir,
  };
  assert(c.leaseRenewIntervalMs > 0 && c.nodeStatusUpdateFrequencyMs > 0,
    'kubelet config: intervals must be positive');
  assert(c.leaseRenewIntervalMs < c.leaseDurationSeconds * 1000,
    'kubelet config: the lease must be renewed within its duration');
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
