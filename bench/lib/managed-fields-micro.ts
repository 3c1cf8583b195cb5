/**
 * Microbench of managedFields bookkeeping alone (src/api/apply's recordUpdate, pure): the
 * writes one burst pod costs the API server's field manager — its create (without the
 * created-fields memo), the kubelet's first status write (Pending, ContainerCreating), its
 * Running write, and a Running write that changes only values the kubelet owns already
 * (a condition's time, the container's restart count): what every later status write is.
 * Prints CPU µs per write (process.cpuUsage over N writes, best of R rounds).
 *
 *   node --import tsx bench/lib/managed-fields-micro.ts [writes=5000] [rounds=5] [only]
 *
 * `only` (create, pending, running or values) runs that write alone: what --cpu-prof then shows.
 */
import { recordUpdate } from '../../src/api/apply/index.js';
import type { JsonObject } from '../../src/api/meta.js';

const T0 = '2026-11-24T17:00:00Z';
const T1 = '2026-11-24T17:00:01Z';
const T2 = '2026-11-24T17:00:02Z';
const T3 = '2026-11-24T17:00:03Z';

/** The nodes bench's burst pod after admission and defaulting, bound to w1. */
function boundPod(): JsonObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: 'b0-17', namespace: 'bench', uid: '3c1e6f0e-5b7a-4f7e-9a51-6d1f0c2b9e11',
      resourceVersion: '1234', creationTimestamp: T0, labels: { burst: '0', runtime: 'process' },
    },
    spec: {
      terminationGracePeriodSeconds: 1, restartPolicy: 'Always', dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler', securityContext: {}, enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority', priority: 0, serviceAccountName: 'default',
      nodeName: 'w1',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      containers: [{
        name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: {},
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
        imagePullPolicy: 'Always',
      }],
    },
    status: {
      phase: 'Pending', qosClass: 'BestEffort',
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: T0 }],
    },
  };
}

function condition(type: string, status: string, at: string): JsonObject {
  return { type, status, lastProbeTime: null, lastTransitionTime: at };
}

function withStatus(pod: JsonObject, status: JsonObject, managedFields: unknown): JsonObject {
  const metadata = { ...(pod.metadata as JsonObject), managedFields: managedFields as JsonObject[] };
  return { ...pod, metadata, status };
}

/** pendingStatus: the kubelet's first write, its container being created. */
function pendingStatus(): JsonObject {
  return {
    phase: 'Pending', hostIP: '127.0.8.1', hostIPs: [{ ip: '127.0.8.1' }], startTime: T1,
    qosClass: 'BestEffort',
    conditions: [
      condition('PodReadyToStartContainers', 'False', T1), condition('Initialized', 'True', T1),
      { ...condition('Ready', 'False', T1), reason: 'ContainersNotReady', message: 'containers with unready status: [c]' },
      { ...condition('ContainersReady', 'False', T1), reason: 'ContainersNotReady', message: 'containers with unready status: [c]' },
      condition('PodScheduled', 'True', T0),
    ],
    containerStatuses: [{
      name: 'c', ready: false, restartCount: 0, started: false, image: 'busybox', imageID: '',
      state: { waiting: { reason: 'ContainerCreating' } }, lastState: {},
    }],
  };
}

/** runningStatus: the kubelet's write once the container runs. */
function runningStatus(at: string, restarts: number): JsonObject {
  return {
    phase: 'Running', hostIP: '127.0.8.1', hostIPs: [{ ip: '127.0.8.1' }],
    podIP: '127.64.1.7', podIPs: [{ ip: '127.64.1.7' }], startTime: T1, qosClass: 'BestEffort',
    conditions: [
      condition('PodReadyToStartContainers', 'True', at), condition('Initialized', 'True', T1),
      condition('Ready', 'True', at), condition('ContainersReady', 'True', at),
      condition('PodScheduled', 'True', T0),
    ],
    containerStatuses: [{
      name: 'c', ready: true, restartCount: restarts, started: true,
      image: 'docker.io/library/busybox:latest', imageID: 'sha256:0123456789abcdef',
      containerID: 'k8ts-process://0123456789abcdef', state: { running: { startedAt: at } },
      lastState: {},
    }],
  };
}

interface Write { name: string; old?: JsonObject; new: JsonObject; manager: string; subresource?: string }

function writes(): Write[] {
  const bound = boundPod();
  const { status: _status, ...created } = bound;
  const createdFields = recordUpdate({
    new: created, manager: 'kubectl', apiVersion: 'v1', nowIso: T0, operation: 'Update',
  });
  const before = withStatus(bound, bound.status as JsonObject, createdFields);
  const pending = withStatus(bound, pendingStatus(), createdFields);
  const pendingFields = recordUpdate({
    old: before, new: pending, manager: 'kubelet', apiVersion: 'v1', nowIso: T1,
    operation: 'Update', subresource: 'status',
  });
  const pendingStored = withStatus(bound, pendingStatus(), pendingFields);
  const running = withStatus(bound, runningStatus(T2, 0), pendingFields);
  const runningFields = recordUpdate({
    old: pendingStored, new: running, manager: 'kubelet', apiVersion: 'v1', nowIso: T2,
    operation: 'Update', subresource: 'status',
  });
  const runningStored = withStatus(bound, runningStatus(T2, 0), runningFields);
  const rewritten = withStatus(bound, runningStatus(T3, 1), runningFields);
  return [
    { name: 'create', new: created, manager: 'kubectl' },
    { name: 'pending', old: before, new: pending, manager: 'kubelet', subresource: 'status' },
    { name: 'running', old: pendingStored, new: running, manager: 'kubelet', subresource: 'status' },
    { name: 'values', old: runningStored, new: rewritten, manager: 'kubelet', subresource: 'status' },
  ];
}

function cpuUsPerWrite(w: Write, n: number): number {
  const input = {
    ...(w.old ? { old: w.old } : {}), new: w.new, manager: w.manager, apiVersion: 'v1',
    nowIso: T3, operation: 'Update' as const, ...(w.subresource ? { subresource: w.subresource } : {}),
  };
  const t = process.cpuUsage();
  let entries = 0;
  for (let i = 0; i < n; i++) entries += recordUpdate(input).length;
  const used = process.cpuUsage(t);
  if (entries === 0) throw new Error('no managedFields recorded');
  return (used.user + used.system) / n;
}

function main(): void {
  const n = Number(process.argv[2] ?? 5000);
  const rounds = Number(process.argv[3] ?? 5);
  const only = process.argv[4];
  const ws = writes().filter((w) => only === undefined || w.name === only);
  if (ws.length === 0) throw new Error(`no write named ${only ?? ''}`);
  const best = new Map<string, number>();
  for (let k = 0; k < rounds; k++) {
    for (const w of ws) best.set(w.name, Math.min(best.get(w.name) ?? Infinity, cpuUsPerWrite(w, n)));
  }
  const parts = ws.map((w) => `${w.name} ${(best.get(w.name) ?? 0).toFixed(1)}`);
  console.log(`recordUpdate CPU µs per write (best of ${rounds} rounds of ${n}): ${parts.join(', ')}`);
}

main();
