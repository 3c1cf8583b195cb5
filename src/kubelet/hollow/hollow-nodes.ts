/**
 * runHollowNodes: many hollow kubelets in one process, for scale experiments in the spirit of
 * kubemark and KWOK. Each hollow node is a real Kubelet — the same code path as a real node:
 * registration, Lease, node status, the pods watch, the dispatcher and pod workers, the status
 * manager — over its own SimulatedRuntime, in which pods go Running without any process.
 *
 * The runtime is called in-process, not through a CRI socket as a real kubelet's is: kubemark
 * does the same (its hollow kubelet links a fake remote runtime into the kubelet binary), and a
 * thousand unix sockets and gRPC servers would measure grpc-js, not the control plane.
 *
 * What the nodes of one process share, so 1,000 of them fit: one ApiClient (one gRPC channel per
 * API server) and one informer factory (a namespace's ConfigMaps, Secrets and Services watched
 * once). One connection for 250 nodes has a cost: node:http2's server answers a connection whose
 * client resets more than 1,000 streams in a burst (then 33/s; nghttp2's rapid-reset limit,
 * CVE-2023-44487) with GOAWAY INTERNAL_ERROR, and 250 nodes' calls timing out together on a
 * loaded API server cross it ("Session closed with error code 2" for all of them). A connection
 * per 10 nodes (9d82db7) removed those closes but not the client's 3 s keepalive timeout: on a
 * starved API server 200 connections timed out and reconnected (TLS) together, and the run
 * stalled (hollow run 5), so it was reverted until API clients ping as upstream's kubelet does
 * (30 s idle, 15 s timeout). Each node watches its own pods (spec.nodeName=<node>), as a real kubelet does: the API
 * server's watch cache hands a pod's event to its node's watch alone (its watchers are indexed by
 * that field), and when a watch falls behind under load (410 Gone) only that node's few pods are
 * listed again. One watch of all bound pods per process, cut into per-node views, did neither:
 * every process decoded every pod of the cluster, and a relist after 410 fetched all of them —
 * 30,000 pods, which under load never finished within its deadline, so the process saw no new
 * pods again (measured: 1,469 of 30,000 pods stuck before Running). Nodes start in batches;
 * a batch waits (bounded) for the previous one to register, so a thousand registrations do not
 * stampede the API, and their heartbeat timers end up spread over the startup.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../api/core/v1/pod-types.js';
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import { ApiClient } from '../../client/api-client.js';
import { componentUserAgent } from '../../client/user-agent.js';
import { versionInfo } from '../../apiserver/discovery/version.js';
import { SharedInformerFactory } from '../../client/cache/factory.js';
import type { Informer } from '../../client/cache/types.js';
import { eventRecorderFactory } from '../../client/events/recorder.js';
import { SimulatedRuntime } from '../../runtime/simulated/runtime.js';
import { resolveKubeletConfig, type KubeletConfig } from '../config.js';
import { Kubelet, type StartWorker } from '../kubelet.js';
import { readHostFacts } from '../node/host-facts.js';
import { podActorStarter } from '../pod-workers.js';
import { PODS } from '../resources.js';
import {
  DEFAULT_BATCH, HOLLOW_CAPACITY, HOLLOW_LABEL, HOLLOW_TIMING, type HollowOptions,
  type HollowTiming,
} from './options.js';

/** HollowNodes is a running set; stop() ends every kubelet and the shared connections. */
export interface HollowNodes {
  /** How many of the nodes have registered their Node so far. */
  registered(): number;
  stop(): Promise<void>;
}

/** MAX_NODES_PER_PROCESS bounds one process (5,000 hollow nodes is the config's limit). */
export const MAX_NODES_PER_PROCESS = 5_000;

/** REGISTER_POLL_MS: how often a batch checks whether its nodes registered. */
const REGISTER_POLL_MS = 50;

interface HollowNode {
  kubelet: Kubelet;
  stopEvents(): Promise<void>;
}

/** runHollowNodes starts o.names in batches; resolves once all have been started. */
export async function runHollowNodes(o: HollowOptions): Promise<HollowNodes> {
  assert(o.names.length <= MAX_NODES_PER_PROCESS,
    `${o.names.length} hollow nodes in one process; at most ${MAX_NODES_PER_PROCESS}`);
  assert(new Set(o.names).size === o.names.length, 'hollow node names must be distinct');
  const timing: HollowTiming = { ...HOLLOW_TIMING, ...o.timing };
  const batch = { ...DEFAULT_BATCH, ...o.batch };
  assert(batch.size >= 1, 'hollow batch size must be at least 1');
  mkdirSync(o.rootDir, { recursive: true });
  const api = new ApiClient({ endpoints: o.apiEndpoints, clock: o.clock,
    ...(o.tls !== undefined ? { tls: o.tls } : {}),
    userAgent: componentUserAgent('kubelet', versionInfo()) });
  // As a kubelet's own caches (kubelet.ts): nothing here reads managedFields.
  const informers = new SharedInformerFactory(api, { clock: o.clock, log: o.log, dropManagedFields: true });
  informers.start();
  const startWorker = podActorStarter({ runningPollMs: timing.runningPollMs,
    resyncMs: timing.resyncMs });
  const nodes: HollowNode[] = [];
  const make = (name: string): HollowNode => newHollowNode(o, name, timing, {
    api, startWorker, shared: { informers, pods: informers.informerFor<Pod>(PODS,
      { fieldSelector: `spec.nodeName=${name}` }) } });
  for (let i = 0; i < o.names.length; i += batch.size) {
    const started = o.names.slice(i, i + batch.size).map(make);
    for (const n of started) n.kubelet.start();
    nodes.push(...started);
    await waitRegistered(o.clock, started.map((n) => n.kubelet), batch.waitMs);
    o.log(`hollow: ${nodes.length}/${o.names.length} nodes started, ` +
      `${countRegistered(nodes)} registered`);
  }
  return {
    registered: () => countRegistered(nodes),
    stop: async () => {
      await Promise.all(nodes.map(async (n) => {
        await n.kubelet.stop();
        await n.stopEvents();
      }));
      await informers.stopAndWait();
      api.close();
      rmSync(o.rootDir, { recursive: true, force: true });
    },
  };
}

interface SharedParts {
  api: ApiClient;
  startWorker: StartWorker;
  shared: { informers: SharedInformerFactory; pods: Informer<Pod> };
}

function newHollowNode(o: HollowOptions, name: string, timing: HollowTiming,
  p: SharedParts): HollowNode {
  const cfg = hollowKubeletConfig(o, name, timing);
  const events = o.podEvents === true ? eventRecorderFactory(p.api,
    { clock: o.clock, wallMs: o.wallMs, host: name, log: o.log }) : undefined;
  const kubelet = new Kubelet({
    cfg, api: p.api, clock: o.clock, wallMs: o.wallMs, log: o.log,
    cri: new SimulatedRuntime({ podCidr: o.podCidrOf(name), wallMs: o.wallMs }),
    startWorker: p.startWorker,
    host: readHostFacts(name),
    shared: p.shared,
    // Hollow pods' emptyDirs are plain directories: nothing is ever mounted for them. No log
    // rotation (simulated containers write no logs) and no kubelet server (nothing to serve).
    useTmpfs: false,
    logRotation: false,
    ...(events !== undefined ? { events } : {}),
  });
  return { kubelet, stopEvents: async () => { await events?.stop(); } };
}

/** hollowKubeletConfig: a worker with the hollow capacity, timing and label. */
export function hollowKubeletConfig(o: Pick<HollowOptions, 'addressOf' | 'podCidrOf' |
  'rootDir' | 'capacity' | 'clusterDns'>, name: string, timing: HollowTiming): KubeletConfig {
  return resolveKubeletConfig({
    nodeName: name,
    address: o.addressOf(name),
    rootDir: join(o.rootDir, name),
    role: 'worker',
    podCidrs: [o.podCidrOf(name)],
    capacity: o.capacity ?? HOLLOW_CAPACITY,
    leaseRenewIntervalMs: timing.leaseRenewIntervalMs,
    leaseDurationSeconds: timing.leaseDurationSeconds,
    nodeStatusUpdateFrequencyMs: timing.nodeStatusUpdateFrequencyMs,
    nodeStatusReportFrequencyMs: timing.nodeStatusReportFrequencyMs,
    clusterDns: o.clusterDns ?? [],
    nodeLabels: { [HOLLOW_LABEL]: 'true' },
  });
}

function countRegistered(nodes: readonly HollowNode[]): number {
  return nodes.filter((n) => n.kubelet.registered).length;
}

/** waitRegistered resolves when every kubelet registered, or after waitMs. */
async function waitRegistered(clock: Clock, kubelets: readonly Kubelet[],
  waitMs: number): Promise<void> {
  const deadline = clock.nowMs() + waitMs;
  while (clock.nowMs() < deadline && !kubelets.every((k) => k.registered)) {
    await new Promise<void>((r) => clock.setTimeout(r, REGISTER_POLL_MS));
  }
}
