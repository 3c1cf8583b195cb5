/**
 * Integration harness for the DaemonSet and Job controllers: a real in-process API cluster, an
 * ApiClient on its gRPC face, the client kit's shared informers, the controllers started through
 * their descriptors, and events kept in memory. There are no kubelets and no scheduler: the test
 * plays both — it binds pods (api.bind) and writes their status (subresource "status") as a
 * kubelet would: Running and Ready, Succeeded or Failed.
 */
import type { Node, Taint } from '../../../src/api/core/v1/cluster-kinds.js';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { SharedInformerFactory } from '../../../src/client/cache/factory.js';
import type { EventRecorder, EventType } from '../../../src/client/events/types.js';
import type { ControllerContext, ControllerDescriptor } from '../../../src/controllers/types.js';
import { NODES, PODS } from '../../../src/controllers/base/resources.js';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

/** RecordedEvent: one event a controller reported. */
export interface RecordedEvent {
  component: string;
  name: string;
  type: EventType;
  reason: string;
  message: string;
}

/** Harness: a running cluster with controllers on it. */
export interface Harness {
  cluster: ApiCluster;
  api: ApiClient;
  events: RecordedEvent[];
  logs: string[];
  stop(): Promise<void>;
}

/** startHarness starts the cluster, namespace ns and the controllers. */
export async function startHarness(controllers: ControllerDescriptor[], ns: string)
  : Promise<Harness> {
  const cluster = await startApiCluster({ servers: 1 });
  const api = new ApiClient({ endpoints: cluster.grpcEndpoints });
  await api.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace',
    metadata: { name: ns } });
  const informers = new SharedInformerFactory(api, { clock: systemClock });
  const abort = new AbortController();
  const events: RecordedEvent[] = [];
  const logs: string[] = [];
  const recorder = (component: string): EventRecorder => ({
    event: (obj, type, reason, message) => events.push({ component,
      name: obj.metadata.name ?? '', type, reason, message }),
  });
  const ctx: ControllerContext = { api, informers, clock: systemClock, wallMs: systemWallMs,
    events: recorder, log: (line) => logs.push(line), signal: abort.signal };
  const runs = controllers.map((d) => d.start(ctx));
  informers.start();
  return {
    cluster, api, events, logs,
    stop: async () => {
      abort.abort();
      await Promise.allSettled(runs);
      await informers.stopAndWait();
      api.close();
      await cluster.stop();
    },
  };
}

/** eventually polls fn until it stops throwing; rethrows its last error after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadlineMs = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadlineMs) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** createNode creates a Node object (no kubelet behind it). */
export async function createNode(api: ApiClient, name: string, taints?: Taint[]): Promise<void> {
  const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name,
    labels: { 'kubernetes.io/hostname': name } }, spec: taints === undefined ? {} : { taints } };
  await api.create(NODES, undefined, node);
}

/** listPods: the namespace's pods, by name. */
export async function listPods(api: ApiClient, ns: string, labelSelector = ''): Promise<Pod[]> {
  const list = await api.list<Pod>(PODS, ns, { labelSelector });
  return list.items.sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
}

function nowIso(): string {
  return new Date(systemWallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** runPod plays scheduler and kubelet: binds the pod (unless bound) and makes it Running and
 *  Ready. */
export async function runPod(api: ApiClient, pod: Pod, node: string): Promise<void> {
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  if ((pod.spec?.nodeName ?? '') === '') await api.bind(ns, name, node);
  await api.patch<KubeObject>(PODS, ns, name, 'application/merge-patch+json', { status: {
    phase: 'Running', conditions: [{ type: 'Ready', status: 'True',
      lastTransitionTime: nowIso() }] } }, { subresource: 'status' });
}

/** finishPod plays the kubelet when the pod's containers exit: Succeeded or Failed. */
export async function finishPod(api: ApiClient, pod: Pod, phase: 'Succeeded' | 'Failed')
  : Promise<void> {
  await api.patch<KubeObject>(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '',
    'application/merge-patch+json', { status: { phase, conditions: [{ type: 'Ready',
      status: 'False', lastTransitionTime: nowIso() }] } }, { subresource: 'status' });
}
