/**
 * Objects for the Endpoints and EndpointSlice plan tests: a Service selecting app=web and pods
 * as a kubelet would report them (IP, node, Ready condition).
 */
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { Service, ServicePort } from '../../../src/api/core/v1/service.js';

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
