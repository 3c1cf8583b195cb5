/**
 * Integration harness for the Endpoints and EndpointSlice controllers: a real in-process API
 * cluster, an ApiClient on its gRPC face, the client kit's shared informers and the controllers
 * under test started through their descriptors. No kubelets: tests create pods on nodes they
 * name and then write the pods' status as a kubelet would (subresource "status"), so readiness
 * is under the test's control.
 */
import type { Node } from '../../../src/api/core/v1/cluster-kinds.js';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { Service } from '../../../src/api/core/v1/service.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { SharedInformerFactory } from '../../../src/client/cache/factory.js';
import type { ControllerContext, ControllerDescriptor } from '../../../src/controllers/types.js';
import { NODES, PODS, SERVICES } from '../../../src/controllers/base/resources.js';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

/** Harness is a running cluster with the controllers on it. */
export interface Harness {
  cluster: ApiCluster;
  api: ApiClient;
  /** Lines the controllers logged (for failure messages). */
  logs: string[];
  stop(): Promise<void>;
}

/** startHarness starts the cluster, namespace ns, Node objects and the controllers. */
export async function startHarness(controllers: ControllerDescriptor[], ns: string,
  nodes: Node[]): Promise<Harness> {
  const cluster = await startApiCluster({ servers: 1 });
  const api = new ApiClient({ endpoints: cluster.grpcEndpoints });
  await api.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace',
    metadata: { name: ns } });
  for (const n of nodes) await api.create(NODES, undefined, n);
  const informers = new SharedInformerFactory(api, { clock: systemClock });
  const abort = new AbortController();
  const logs: string[] = [];
  const ctx: ControllerContext = {
    api, informers, clock: systemClock, wallMs: systemWallMs,
    events: () => ({ event: () => {} }),
    log: (line) => logs.push(line),
    signal: abort.signal,
  };
  const runs = controllers.map((d) => d.start(ctx));
  informers.start();
  return {
    cluster, api, logs,
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

/** webService: Service "web" selecting app=web, port 80 → the pods' "http" port. */
export function webService(ns: string): Service {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'web', namespace: ns, labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}

/** createPod creates pod name (app=web, "http" on 8080) on node. */
export async function createPod(api: ApiClient, ns: string, name: string, node: string):
  Promise<Pod> {
  const pod: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'web' } },
    spec: {
      nodeName: node,
      containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  };
  return api.create(PODS, ns, pod);
}

/** setPodStatus writes what a kubelet reports: Running, the IP, Ready True or False. */
export async function setPodStatus(api: ApiClient, ns: string, name: string, ip: string,
  ready: boolean): Promise<void> {
  const status = ready ? 'True' : 'False';
  const now = new Date(systemWallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
  await api.patch<KubeObject>(PODS, ns, name, 'application/merge-patch+json', {
    status: {
      phase: 'Running', podIP: ip, podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status, lastTransitionTime: now }],
    },
  }, { subresource: 'status' });
}

export { SERVICES };
