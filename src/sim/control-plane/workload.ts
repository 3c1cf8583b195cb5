/**
 * The objects the scenario writes, as a user would: ReplicaSets, Deployments and Services in
 * namespace default. Pods tolerate an unreachable or not-ready node for only a couple of
 * seconds, so a killed node's pods are evicted (and replaced elsewhere) within the run.
 */
import type { Deployment, ReplicaSet } from '../../api/apps/v1/workloads.js';
import type { PodTemplateSpec } from '../../api/core/v1/pod-types.js';
import type { KubeObject } from '../../api/meta.js';
import type { ApiResource } from '../../client/types.js';

export const NAMESPACE = 'default';
export const REPLICASETS: ApiResource = { group: 'apps', version: 'v1', resource: 'replicasets' };
export const DEPLOYMENTS: ApiResource = { group: 'apps', version: 'v1', resource: 'deployments' };
export const SERVICES: ApiResource = { group: '', version: 'v1', resource: 'services' };

/** POD_MILLI_CPU / POD_MEMORY: every pod's requests (node capacity is sized in pods). */
export const POD_MILLI_CPU = 100;
export const POD_MEMORY = '64Mi';

/** template: the pod template of workload app at version (a roll bumps the version). */
export function template(app: string, version: number, tolerationSeconds: number):
  PodTemplateSpec {
  const tolerate = (key: string): object =>
    ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds });
  return {
    metadata: { labels: { app }, annotations: { 'sim.k8ts.dev/version': String(version) } },
    spec: {
      containers: [{
        name: 'app',
        image: `sim.k8ts.dev/${app}:v${version}`,
        ports: [{ containerPort: 8080 }],
        resources: { requests: { cpu: `${POD_MILLI_CPU}m`, memory: POD_MEMORY } },
      }],
      tolerations: [tolerate('node.kubernetes.io/unreachable'),
        tolerate('node.kubernetes.io/not-ready')] as never,
      terminationGracePeriodSeconds: 1,
    },
  };
}

/** replicaSet: a standalone ReplicaSet. */
export function replicaSet(name: string, replicas: number, tolerationSeconds: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name, namespace: NAMESPACE, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } },
      template: template(name, 1, tolerationSeconds) },
  };
}

/** deployment: a RollingUpdate Deployment. */
export function deployment(name: string, replicas: number, surge: number | string,
  unavailable: number | string, tolerationSeconds: number): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: template(name, 1, tolerationSeconds),
      strategy: { type: 'RollingUpdate',
        rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
    },
  };
}

/** service: a ClusterIP Service selecting app. */
export function service(name: string, app: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: NAMESPACE },
    spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
  };
}
