/**
 * The objects of a burst pod's life as the micros write them without nodes (apiserver-pod-micro,
 * cp-pod-micro): the bare pod the bench creates, the kubelet's status writes (Pending with its
 * conditions, then Running) and its four Events — one definition, so both micros put the same
 * bytes through the API servers and the same watch events in front of the components.
 */
import type { KubeObject } from '../../src/api/meta.js';

/** nowSeconds: a wall time as the API's RFC 3339 text to the second. */
function nowSeconds(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** burstPod: a busybox `sleep` pod labelled with its burst (the name's part before the dash). */
export function burstPod(name: string, ns: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: ns, labels: { burst: name.split('-')[0] ?? '' } },
    spec: { terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } } as KubeObject;
}

/** burstStatus: pod with what a kubelet on hostIP writes, Pending first, then Running. */
export function burstStatus(pod: KubeObject, running: boolean, hostIP: string): KubeObject {
  const now = nowSeconds();
  const cond = (type: string, ok: boolean) =>
    ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now });
  const c = { name: 'c', ready: running, restartCount: 0, image: 'docker.io/library/busybox:latest',
    imageID: running ? 'sha256:0123' : '', started: running,
    state: running ? { running: { startedAt: now } } : { waiting: { reason: 'ContainerCreating' } } };
  return { ...pod, status: { phase: running ? 'Running' : 'Pending', hostIP,
    hostIPs: [{ ip: hostIP }], ...(running ? { podIP: '127.64.1.7', podIPs: [{ ip: '127.64.1.7' }] } : {}),
    startTime: now, qosClass: 'BestEffort', containerStatuses: [c],
    conditions: [cond('PodReadyToStartContainers', running), cond('Initialized', true),
      cond('Ready', running), cond('ContainersReady', running), cond('PodScheduled', true)] } } as KubeObject;
}

/** burstEvent: the i-th of the kubelet on node's Events about pod (Scheduled, Pulled, ...). */
export function burstEvent(pod: KubeObject, ns: string, node: string, reason: string, i: number): KubeObject {
  const now = nowSeconds();
  return { apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${pod.metadata.name ?? ''}.${(Date.now() * 1000 + i).toString(16)}`, namespace: ns },
    involvedObject: { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid, apiVersion: 'v1' },
    reason, message: `${reason} ${pod.metadata.name ?? ''}`, source: { component: 'kubelet', host: node },
    firstTimestamp: now, lastTimestamp: now, count: 1, type: 'Normal', reportingComponent: 'kubelet',
    reportingInstance: node } as KubeObject;
}
