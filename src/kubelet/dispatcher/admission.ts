/**
 * Pod admission (the kubelet's canAdmitPod with upstream's GeneralPredicates): a pod bound to
 * this node that cannot run here — not enough allocatable resources left, a node selector or
 * required node affinity this node does not match, a host port already taken — is rejected:
 * phase Failed with upstream's reason (OutOfcpu, OutOfmemory, OutOfpods, NodeAffinity,
 * NodePorts) and message. Uses the scheduler's own resource and selector arithmetic, as
 * upstream's kubelet does, so both judge a pod alike. Pure.
 */
import type { ResourceList } from '../../api/core/v1/common-types.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import { requiredNodeAffinity } from '../../scheduler/plugins/helpers/node-selector.js';
import { podRequests, Resources, resourcesOf } from '../../scheduler/snapshot/resources.js';

/** AdmitNode: what admission knows of this node. */
export interface AdmitNode {
  name: string;
  labels: Record<string, string>;
  allocatable: ResourceList;
}

/** AdmitResult: admitted, or rejected with a reason and message (the message gets
 *  "Pod was rejected: " in front in the pod's status, as upstream). */
export type AdmitResult = { admit: true } | { admit: false; reason: string; message: string };

/** admitPod decides whether pod may run next to the already admitted pods. */
export function admitPod(pod: Pod, node: AdmitNode, admitted: readonly Pod[]): AdmitResult {
  const affinity = requiredNodeAffinity(pod);
  if (affinity !== null && !affinity({ name: node.name, labels: node.labels })) {
    return { admit: false, reason: 'NodeAffinity', message:
      "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" };
  }
  const clash = hostPortClash(pod, admitted);
  if (clash) {
    return { admit: false, reason: 'NodePorts', message:
      "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" };
  }
  return fits(pod, node, admitted);
}

/**
 * requestsOf: podRequests, remembered per pod object (pods from the informer's cache are never
 * changed in place; an update is a new object). Each admission sums the requests of every pod
 * already admitted, as upstream's does with a NodeInfo of the active pods: without this, a
 * burst of n pods on a node computed n²/2 of them (4 % of the kubelet's allocations in a
 * 100-pod round).
 */
const requestsMemo = new WeakMap<Pod, Resources>();
function requestsOf(pod: Pod): Resources {
  let r = requestsMemo.get(pod);
  if (r === undefined) {
    r = podRequests(pod);
    requestsMemo.set(pod, r);
  }
  return r;
}

function fits(pod: Pod, node: AdmitNode, admitted: readonly Pod[]): AdmitResult {
  const alloc = resourcesOf(node.allocatable);
  const used = new Resources();
  for (const p of admitted) used.add(requestsOf(p));
  const want = requestsOf(pod);
  if (admitted.length + 1 > alloc.allowedPods) {
    return outOf('pods', 1, admitted.length, alloc.allowedPods);
  }
  const checks: [string, number, number, number][] = [
    ['cpu', want.milliCpu, used.milliCpu, alloc.milliCpu],
    ['memory', want.memory, used.memory, alloc.memory],
    ['ephemeral-storage', want.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage],
  ];
  for (const [name, req, u, cap] of checks) {
    if (req > 0 && req + u > cap) return outOf(name, req, u, cap);
  }
  for (const [name, req] of want.scalars ?? []) {
    if (req > 0 && req + used.scalar(name) > alloc.scalar(name)) {
      return outOf(name, req, used.scalar(name), alloc.scalar(name));
    }
  }
  return { admit: true };
}

function outOf(name: string, requested: number, used: number, capacity: number): AdmitResult {
  return { admit: false, reason: `OutOf${name}`, message: `Node didn't have enough resource: ` +
    `${name}, requested: ${requested}, used: ${used}, capacity: ${capacity}` };
}

function hostPorts(pod: Pod): string[] {
  const out: string[] = [];
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      if ((p.hostPort ?? 0) > 0) out.push(`${p.protocol ?? 'TCP'}/${p.hostIP ?? ''}/${p.hostPort}`);
    }
  }
  return out;
}

/** hostPortClash: the same protocol and port on overlapping host IPs ("" / 0.0.0.0 = all). */
function hostPortClash(pod: Pod, admitted: readonly Pod[]): boolean {
  const mine = hostPorts(pod);
  if (mine.length === 0) return false;
  const taken = admitted.flatMap(hostPorts);
  const wild = (ip: string): boolean => ip === '' || ip === '0.0.0.0';
  return mine.some((m) => {
    const [proto, ip = '', port] = m.split('/');
    return taken.some((t) => {
      const [tp, tip = '', tport] = t.split('/');
      return tp === proto && tport === port && (wild(ip) || wild(tip) || ip === tip);
    });
  });
}

/** rejectedStatus: the status a rejected pod gets. */
export function rejectedStatus(r: { reason: string; message: string }): {
  phase: 'Failed'; reason: string; message: string;
} {
  return { phase: 'Failed', reason: r.reason, message: `Pod was rejected: ${r.message}` };
}
