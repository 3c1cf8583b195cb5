/**
 * The one harness every controller integration test uses: a real in-process API cluster, the
 * real ApiClient on its gRPC face, the client kit's shared informers and workqueues, and the
 * controllers under test started through the controller manager's runControllers. Events go
 * through the client kit's recorder to the API (kubectl describe shows them) and are also kept
 * in memory so a test can assert what a controller reported. Optionally fake kubelets
 * (./fake-kubelet.ts) bind and run pods; otherwise the test plays scheduler and kubelet with
 * the pod helpers below. Also the bounded polls every test here uses instead of fixed sleeps.
 *
 *   const h = await startControllerHarness([replicaSetController], { namespaces: ['t'] });
 *   await until(async () => (await listPods(h.api, 't', 'app=web')).length === 3, '3 pods');
 *   await h.stop();
 */
import type { Node, Taint } from '../../src/api/core/v1/cluster-kinds.js';
import type { Pod, PodStatus } from '../../src/api/core/v1/pod-types.js';
import { isStatusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import { systemClock } from '../../src/base/clock.js';
import { systemWallMs } from '../../src/base/wall-clock.js';
import { ApiClient } from '../../src/client/api-client.js';
import { SharedInformerFactory } from '../../src/client/cache/factory.js';
import { eventRecorderFactory } from '../../src/client/events/recorder.js';
import type { EventRecorder, EventType } from '../../src/client/events/types.js';
import { NAMESPACES, NODES, PODS } from '../../src/controllers/base/resources.js';
import { runControllers } from '../../src/controllers/manager.js';
import type { ControllerDescriptor } from '../../src/controllers/types.js';
import { startApiCluster, type ApiCluster } from './apiserver.js';
import { startFakeKubelets, type FakeKubelets } from './fake-kubelet.js';
import { eventually } from './poll.js';

/** RecordedEvent is one event a controller reported. */
export interface RecordedEvent {
  component: string;
  kind: string;
  namespace: string;
  name: string;
  type: EventType;
  reason: string;
  message: string;
}

/** ControllerHarnessOptions: what exists before the controllers start. */
export interface ControllerHarnessOptions {
  /** Namespaces to create. */
  namespaces?: string[];
  /** Node objects with nothing behind them (the test plays kubelet; see node()). */
  nodes?: Node[];
  /** Fake kubelets on nodes of these names: they bind unscheduled pods and run them. */
  kubelets?: string[];
}

/** ControllerHarness is a running cluster with controllers on it. */
export interface ControllerHarness {
  cluster: ApiCluster;
  api: ApiClient;
  /** Every event the controllers reported, in order. */
  events: RecordedEvent[];
  /** The controllers' log lines (K8TS_TEST_LOG=1 prints them as well). */
  logs: string[];
  /** flushEvents resolves once the recorded events are written to the API. */
  flushEvents(): Promise<void>;
  /** stop ends controllers, informers, events, kubelets, client and cluster. */
  stop(): Promise<void>;
}

/** startControllerHarness starts a one-server cluster, what o asks for, and the controllers. */
export async function startControllerHarness(
  controllers: readonly ControllerDescriptor[],
  o: ControllerHarnessOptions = {},
): Promise<ControllerHarness> {
  const cluster = await startApiCluster({ servers: 1 });
  const api = new ApiClient({ endpoints: cluster.grpcEndpoints });
  for (const ns of o.namespaces ?? []) await createNamespace(api, ns);
  for (const n of o.nodes ?? []) await api.create(NODES, undefined, n);
  const kubelets: FakeKubelets | undefined = o.kubelets === undefined ? undefined :
    await startFakeKubelets(api, { nodes: o.kubelets, bindUnscheduled: true });
  const informers = new SharedInformerFactory(api, { clock: systemClock });
  const logs: string[] = [];
  const log = (line: string): void => {
    logs.push(line);
    if (process.env.K8TS_TEST_LOG) console.error(line);
  };
  const sink = eventRecorderFactory(api, { clock: systemClock, wallMs: systemWallMs,
    host: 'test', log });
  const events: RecordedEvent[] = [];
  const recorder = (component: string): EventRecorder => ({
    event: (obj, type, reason, message) => {
      events.push({ component, kind: obj.kind ?? '', namespace: obj.metadata.namespace ?? '',
        name: obj.metadata.name ?? '', type, reason, message });
      sink(component).event(obj, type, reason, message);
    },
  });
  const abort = new AbortController();
  const done = runControllers({ api, informers, events: recorder, clock: systemClock,
    wallMs: systemWallMs, log, signal: abort.signal, controllers: [...controllers] });
  return {
    cluster, api, events, logs,
    flushEvents: () => sink.flush(),
    stop: async () => {
      abort.abort();
      await done;
      await sink.stop();
      await informers.stopAndWait();
      await kubelets?.stop();
      api.close();
      await cluster.stop();
    },
  };
}

export { eventually } from './poll.js';

/** until polls cond (sync or async) until true, failing after deadlineMs. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  deadlineMs = 10_000,
): Promise<void> {
  await eventually(async () => {
    if (!(await cond())) throw new Error(`timed out waiting for ${what}`);
  }, deadlineMs);
}

/** gone resolves true when get fails with 404. */
export async function gone(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return false;
  } catch (err) {
    if (isStatusError(err) && err.code === 404) return true;
    throw err;
  }
}

/** createNamespace creates namespace name; one that exists already is fine. */
export async function createNamespace(api: ApiClient, name: string): Promise<void> {
  try {
    await api.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace',
      metadata: { name } });
  } catch (err) {
    if (!isStatusError(err) || err.reason !== 'AlreadyExists') throw err;
  }
}

/** node: a Node object with the hostname label (no kubelet behind it). */
export function node(name: string, o: { labels?: Record<string, string>; taints?: Taint[] } = {})
  : Node {
  return { apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: o.taints === undefined ? {} : { taints: o.taints } };
}

/** listPods: the namespace's pods matching labelSelector, by name. */
export async function listPods(api: ApiClient, ns: string, labelSelector = ''): Promise<Pod[]> {
  const list = await api.list<Pod>(PODS, ns, { labelSelector });
  return list.items.sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
}

/** PodReport: what the test, playing kubelet, says about a pod. */
export interface PodReport {
  phase: NonNullable<PodStatus['phase']>;
  ready: boolean;
  ip?: string;
}

/** reportPodStatus writes a kubelet's status: the phase, the Ready condition, the IP. */
export async function reportPodStatus(api: ApiClient, pod: Pick<KubeObject, 'metadata'>,
  r: PodReport): Promise<void> {
  const now = new Date(systemWallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
  const status: PodStatus = { phase: r.phase, conditions: [{ type: 'Ready',
    status: r.ready ? 'True' : 'False', lastTransitionTime: now }] };
  if (r.ip !== undefined) Object.assign(status, { podIP: r.ip, podIPs: [{ ip: r.ip }] });
  await api.patch<KubeObject>(PODS, pod.metadata.namespace, pod.metadata.name ?? '',
    'application/merge-patch+json', { status }, { subresource: 'status' });
}

/** runPod plays scheduler and kubelet: binds the pod (unless bound), Running and Ready. */
export async function runPod(api: ApiClient, pod: Pod, nodeName: string): Promise<void> {
  if ((pod.spec?.nodeName ?? '') === '') {
    await api.bind(pod.metadata.namespace ?? '', pod.metadata.name ?? '', nodeName);
  }
  await reportPodStatus(api, pod, { phase: 'Running', ready: true });
}
