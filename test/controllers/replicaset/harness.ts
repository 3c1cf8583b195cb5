/**
 * A workload-controller harness for integration tests: a real in-process API cluster, an
 * ApiClient on its gRPC face, the client kit's shared informers, fake kubelets (which bind and
 * "run" pods, since these tests run without the scheduler), and controllers started through
 * their descriptors with a ControllerContext built here. Events go through the client kit's
 * recorder to the API, and are also kept in memory so tests can read what a controller reported.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { isStatusError } from '../../../src/api/errors.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { SharedInformerFactory } from '../../../src/client/cache/factory.js';
import { eventRecorderFactory } from '../../../src/client/events/recorder.js';
import type { EventRecorder, EventType } from '../../../src/client/events/types.js';
import type { ApiResource } from '../../../src/client/types.js';
import type { ControllerContext, ControllerDescriptor } from '../../../src/controllers/types.js';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';
import { startFakeKubelets, type FakeKubelets } from '../../support/fake-kubelet.js';

export const PODS: ApiResource = { group: '', version: 'v1', resource: 'pods' };
export const NAMESPACES: ApiResource = { group: '', version: 'v1', resource: 'namespaces' };

/** RecordedEvent is one event a controller reported. */
export interface RecordedEvent {
  component: string;
  kind: string;
  name: string;
  type: EventType;
  reason: string;
  message: string;
}

/** ControllerHarness is a running cluster with controllers on it. */
export interface ControllerHarness {
  cluster: ApiCluster;
  api: ApiClient;
  events: RecordedEvent[];
  /** flushEvents resolves once recorded events are written to the API. */
  flushEvents(): Promise<void>;
  /** stop ends controllers, informers, kubelets, client and cluster. */
  stop(): Promise<void>;
}

/** startControllerHarness starts the cluster, namespace ns, kubelets and the controllers. */
export async function startControllerHarness(
  controllers: ControllerDescriptor[],
  o: { namespace: string; nodes?: string[] },
): Promise<ControllerHarness> {
  const cluster = await startApiCluster({ servers: 1 });
  const api = new ApiClient({ endpoints: cluster.grpcEndpoints });
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace } };
  try {
    await api.create(NAMESPACES, undefined, ns);
  } catch (err) {
    if (!isStatusError(err) || err.reason !== 'AlreadyExists') throw err;
  }
  const kubelets: FakeKubelets = await startFakeKubelets(api, {
    nodes: o.nodes ?? ['node-1', 'node-2', 'node-3'],
    bindUnscheduled: true,
  });
  const informers = new SharedInformerFactory(api, { clock: systemClock });
  const abort = new AbortController();
  const events: RecordedEvent[] = [];
  const sink = eventRecorderFactory(api, { clock: systemClock, wallMs: systemWallMs,
    host: 'test', log: () => {} });
  // Events go to the API through the kit's recorder (kubectl describe shows them) and into
  // `events` for the tests to read.
  const recorder = (component: string): EventRecorder => ({
    event: (obj, type, reason, message) => {
      events.push({ component, kind: obj.kind ?? '', name: obj.metadata.name ?? '', type, reason,
        message });
      sink(component).event(obj, type, reason, message);
    },
  });
  const ctx: ControllerContext = {
    api,
    informers,
    clock: systemClock,
    wallMs: systemWallMs,
    events: recorder,
    // K8TS_TEST_LOG=1 shows the controllers' logs (sync errors, retries).
    log: process.env.K8TS_TEST_LOG ? (line) => console.error(line) : () => {},
    signal: abort.signal,
  };
  const runs = controllers.map((d) => d.start(ctx).catch((err: unknown) => {
    if (!abort.signal.aborted) throw err;
  }));
  informers.start();
  return {
    cluster,
    api,
    events,
    flushEvents: () => sink.flush(),
    stop: async () => {
      abort.abort();
      await Promise.allSettled(runs);
      await sink.stop();
      await informers.stopAndWait();
      await kubelets.stop();
      api.close();
      await cluster.stop();
    },
  };
}

/** eventually polls fn until it returns without throwing, or rethrows after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** listPods lists the namespace's pods matching a label selector. */
export async function listPods(
  api: ApiClient,
  ns: string,
  selector: string,
): Promise<KubeObject[]> {
  const list = await api.list(PODS, ns, { labelSelector: selector });
  return list.items;
}

/** assertCount is assert.equal with the items' names in the message. */
export function assertCount(items: KubeObject[], n: number, what: string): void {
  assert.equal(items.length, n, `${what}: ${items.map((i) => i.metadata.name).join(', ')}`);
}
