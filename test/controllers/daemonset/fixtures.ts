/**
 * Objects for the DaemonSet plan tests: nodes, a DaemonSet, and its pods as the kubelet (the
 * test) would leave them — bound or not, running, ready since a given time, failed.
 */
import type { Node, Taint } from '../../../src/api/core/v1/cluster-kinds.js';
import type { Pod, PodSpec } from '../../../src/api/core/v1/pod-types.js';
import type { DaemonSet } from '../../../src/api/apps/v1/workloads.js';
import { ownerRefTo } from '../../../src/controllers/base/pods.js';
import { templateHash } from '../../../src/controllers/base/template-hash.js';
import { daemonPodFor } from '../../../src/controllers/daemonset/daemon-pod.js';

/** T0_MS: the tests' wall-clock "now". */
export const T0_MS = Date.parse('2026-01-01T00:10:00Z');

/** node makes a Node with optional labels and taints. */
export function node(name: string, o: { labels?: Record<string, string>; taints?: Taint[] } = {})
  : Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}`,
    labels: { 'kubernetes.io/hostname': name, ...o.labels } },
  spec: o.taints === undefined ? {} : { taints: o.taints } };
}

/** daemonSet makes a DaemonSet "agent" (uid ds-uid, generation 1) with spec overrides. */
export function daemonSet(o: { spec?: Partial<PodSpec>; image?: string; maxUnavailable?: number
  | string; minReadySeconds?: number; onDelete?: boolean } = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 1,
      resourceVersion: '10' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a',
        image: o.image ?? 'agent:1' }], ...o.spec } },
      updateStrategy: o.onDelete === true ? { type: 'OnDelete' } : { type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: o.maxUnavailable ?? 1, maxSurge: 0 } },
      ...(o.minReadySeconds === undefined ? {} : { minReadySeconds: o.minReadySeconds }),
    },
    status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0,
      numberReady: 0 },
  };
}

/** hashOf: the revision hash the controller computes for ds. */
export function hashOf(ds: DaemonSet): string {
  return templateHash(ds.spec?.template, ds.status?.collisionCount);
}

/** PodState: how far the "kubelet" got with a pod. */
export interface PodState {
  bound?: boolean;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Ready since this wall time (ms); ready implies Running. */
  readySinceMs?: number;
  createdMs?: number;
  deleting?: boolean;
  /** Make the pod from this DaemonSet (an older template) instead of ds. */
  from?: DaemonSet;
}

/** daemonPod makes ds's pod for nodeName named name, in the given state. */
export function daemonPod(ds: DaemonSet, name: string, nodeName: string, s: PodState = {}): Pod {
  const src = s.from ?? ds;
  const pod = daemonPodFor(src, hashOf(src), nodeName, ownerRefTo(ds, 'apps/v1', 'DaemonSet'));
  pod.metadata.name = name;
  pod.metadata.uid = `uid-${name}`;
  pod.metadata.creationTimestamp = new Date(s.createdMs ?? T0_MS - 60_000).toISOString()
    .replace('.000', '');
  if (s.deleting === true) pod.metadata.deletionTimestamp = '2026-01-01T00:09:00Z';
  if (s.bound !== false && pod.spec !== undefined) pod.spec.nodeName = nodeName;
  const ready = s.readySinceMs !== undefined;
  pod.status = { phase: s.phase ?? (ready ? 'Running' : 'Pending') };
  if (ready) {
    pod.status.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime:
      new Date(s.readySinceMs ?? 0).toISOString().replace('.000', '') }];
  }
  return pod;
}
