/**
 * What a process of hollow nodes is told: which nodes, where the API is, what each node claims
 * to have, and the timing. The timing defaults are NOT upstream's: a real kubelet renews its
 * Lease every 10 s, which at 1,000 nodes is 100 writes/s through Raft — a third of what this
 * 2-core machine's API servers sustain (docs/benchmarks.md: creates saturate near 460/s) before
 * a single pod is written. Hollow nodes renew every 20 s (50 writes/s at 1,000 nodes; one missed
 * renewal still fits the node lifecycle controller's 40 s grace period), compute node status
 * every 60 s (one GET each, 17 reads/s at 1,000 nodes; a write only when it changed or every
 * 5 min, 3.3 writes/s) and look at their running pods every 30 s instead of every second
 * (simulated containers never exit on their own; the worker still reacts to every API change at
 * once).
 */
import type { ResourceList } from '../../api/core/v1/common-types.js';
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import type { TlsFiles } from '../../rpc/credentials.js';

/** HollowTiming: the knobs that set the API load of N idle hollow nodes. */
export interface HollowTiming {
  /** Lease renewal period (upstream 10 s). Writes/s at rest ≈ nodes / (this / 1000). */
  leaseRenewIntervalMs: number;
  /** Lease duration written into each Lease (upstream 40 s). */
  leaseDurationSeconds: number;
  /** Node status computed (one GET) this often; written only when changed (upstream 10 s). */
  nodeStatusUpdateFrequencyMs: number;
  /** Unchanged node status still written this often (upstream 5 min). */
  nodeStatusReportFrequencyMs: number;
  /** A pod worker's sync period while its containers run (the kubelet's default 1 s). */
  runningPollMs: number;
  /** A pod worker's sync period otherwise (the kubelet's default 10 s). */
  resyncMs: number;
}

/** HOLLOW_TIMING: defaults sized for 1,000 nodes on 2 cores (see the header). */
export const HOLLOW_TIMING: HollowTiming = {
  leaseRenewIntervalMs: 20_000,
  leaseDurationSeconds: 40,
  nodeStatusUpdateFrequencyMs: 60_000,
  nodeStatusReportFrequencyMs: 5 * 60_000,
  runningPollMs: 30_000,
  resyncMs: 60_000,
};

/** HOLLOW_CAPACITY: what a hollow node claims (a large VM; pods at upstream's maxPods). */
export const HOLLOW_CAPACITY: ResourceList = { cpu: '32', memory: '256Gi', pods: '110' };

/** HOLLOW_LABEL marks hollow Nodes, so a workload can target or avoid them. */
export const HOLLOW_LABEL = 'k8ts.io/hollow-node';

/** DEFAULT_BATCH: nodes started together; the next batch waits for these to register. */
export const DEFAULT_BATCH = { size: 50, waitMs: 30_000 };

/** HollowOptions: one process's hollow nodes. */
export interface HollowOptions {
  /** Node names, e.g. hollowShard(cfg.hollow, i) (src/cluster/node-config.ts). */
  names: string[];
  /** A node's InternalIP: from 127.65.0.0/16, never bound (hollowAddress). */
  addressOf(name: string): string;
  /** A node's pod range for its simulated runtime: never bound either (hollowPodCidr). */
  podCidrOf(name: string): string;
  /** host:port of every API server's component gRPC face (the first preferred). */
  apiEndpoints: string[];
  /** The client identity all of this process's nodes share; absent = insecure (tests). */
  tls?: TlsFiles;
  /** Directory for the nodes' kubelet state (volumes of their pods); made if missing. */
  rootDir: string;
  capacity?: ResourceList;
  /** Cluster DNS servers written into pods' dnsConfig. */
  clusterDns?: string[];
  clock: Clock;
  wallMs(): number;
  log(line: string): void;
  timing?: Partial<HollowTiming>;
  batch?: Partial<typeof DEFAULT_BATCH>;
  /** Let the kubelets record pod events (Pulled, Created, Started...): 3 writes more per pod.
   *  Default false, as KWOK's nodes record none. */
  podEvents?: boolean;
}

/** MAX_HOLLOW_INDEX: how many distinct addresses hollowAddress and hollowPodCidr hand out. */
export const MAX_HOLLOW_INDEX = 250 * 256;

/** hollowAddress: the InternalIP of hollow node i (0-based): 127.65.<i/250>.<1 + i%250>. */
export function hollowAddress(i: number): string {
  assert(Number.isInteger(i) && i >= 0 && i < MAX_HOLLOW_INDEX, `hollow index ${i} out of range`);
  return `127.65.${Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/**
 * hollowPodCidr: the pod range of hollow node i: a /24 of 127.128.0.0/9, above the process
 * runtime's 127.64.<k>.0/24 ranges, the hollow nodes' own 127.65/16 and the Service range
 * 127.96/16. Loopback by the network rule; nothing ever binds these addresses.
 */
export function hollowPodCidr(i: number): string {
  assert(Number.isInteger(i) && i >= 0 && i < MAX_HOLLOW_INDEX, `hollow index ${i} out of range`);
  return `127.${128 + Math.floor(i / 256)}.${i % 256}.0/24`;
}

/** hollowIndexOf: i for a name hollow-<i+1> (as hollowShard names them), else undefined. */
export function hollowIndexOf(name: string): number | undefined {
  const m = /^hollow-(\d+)$/.exec(name);
  if (m === null) return undefined;
  const i = Number(m[1]) - 1;
  return i >= 0 && i < MAX_HOLLOW_INDEX ? i : undefined;
}
