/**
 * Objects for the Endpoints and EndpointSlice tests: for the plan tests a Service selecting
 * app=web and pods as a kubelet would report them (IP, node, Ready condition); for the
 * integration tests the same Service and pods written to the API, their status reported by the
 * test playing kubelet.
 */
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { Service, ServicePort } from '../../../src/api/core/v1/service.js';
import type { ApiClient } from '../../../src/client/api-client.js';
import { PODS } from '../../../src/controllers/base/resources.js';
import { reportPodStatus } from '../../support/controllers.js';

/** svc: Service "web" in "default" selecting app=web, port 80 → targetPort "http". */
export function svc(over: { ports?: ServicePort[]; clusterIP?: string; labels?: Record<string,
  string>; publishNotReadyAddresses?: boolean; selector?: Record<string, string> } = {}): Service {
  const s: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web', namespace: 'default', uid: 'svc-uid', resourceVersion: '5',
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
    spec: {
      selector: over.selector ?? { app: 'web' },
      clusterIP: over.clusterIP ?? '127.96.0.10',
      ports: over.ports ?? [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
  if (over.labels !== undefined) s.metadata.labels = over.labels;
  if (over.publishNotReadyAddresses !== undefined) {
    s.spec!.publishNotReadyAddresses = over.publishNotReadyAddresses;
  }
  return s;
}

/** PodOpts: what differs between test pods. */
export interface PodOpts {
  ip?: string;
  ready?: boolean;
  node?: string;
  labels?: Record<string, string>;
  ports?: { name: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[];
  deleting?: boolean;
  hostname?: string;
  subdomain?: string;
  phase?: 'Running' | 'Succeeded' | 'Failed';
  restartPolicy?: 'Always' | 'Never' | 'OnFailure';
  readySince?: string;
}

/** pod: a running pod "name" labelled app=web serving "http" on 8080 unless opts say else. */
export function pod(name: string, o: PodOpts = {}): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '10',
      labels: o.labels ?? { app: 'web' },
    },
    spec: {
      containers: [{
        name: 'c', image: 'x', ports: o.ports ?? [{ name: 'http', containerPort: 8080 }],
      }],
      nodeName: o.node ?? 'n1',
      restartPolicy: o.restartPolicy ?? 'Always',
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{
        type: 'Ready', status: o.ready === false ? 'False' : 'True',
        lastTransitionTime: o.readySince ?? '2026-01-01T00:01:00Z',
      }],
    },
  };
  if (o.ip !== '') p.status!.podIP = o.ip ?? '127.0.2.1';
  if (o.deleting === true) p.metadata.deletionTimestamp = '2026-01-01T00:02:00Z';
  if (o.hostname !== undefined) p.spec!.hostname = o.hostname;
  if (o.subdomain !== undefined) p.spec!.subdomain = o.subdomain;
  return p;
}

/** webService: Service "web" in ns selecting app=web, port 80 → the pods' "http" port. */
export function webService(ns: string): Service {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'web', namespace: ns, labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}

/** createPod creates pod name (app=web, "http" on 8080) on node, with no status yet. */
export async function createPod(api: ApiClient, ns: string, name: string, node: string):
  Promise<Pod> {
  return api.create<Pod>(PODS, ns, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'web' } },
    spec: {
      nodeName: node,
      containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  });
}

/** setPodStatus reports pod name Running with ip, Ready or not. */
export async function setPodStatus(api: ApiClient, ns: string, name: string, ip: string,
  ready: boolean): Promise<void> {
  await reportPodStatus(api, { metadata: { namespace: ns, name } },
    { phase: 'Running', ready, ip });
}
