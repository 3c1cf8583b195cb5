/**
 * NodeResourcesFit: a pod fits a node whose allocatable, minus what its placed pods request,
 * covers the pod's requests (cpu, memory, ephemeral-storage, extended resources) and which has
 * room for one more pod. Scores with LeastAllocated: nodes with more cpu and memory left after
 * placing the pod score higher (scoring requests count unset cpu/memory requests as defaults).
 */
import type { Plugin } from '../../framework/interfaces.js';
import { MAX_NODE_SCORE } from '../../framework/interfaces.js';
import { unschedulable } from '../../framework/status.js';
import type { NodeInfo } from '../../snapshot/node-info.js';
import type { PodInfo } from '../../snapshot/pod-info.js';

/** NODE_RESOURCES_FIT is the plugin's name. */
export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
/** TOO_MANY_PODS is upstream's reason when the node's "pods" allocatable is used up. */
export const TOO_MANY_PODS = 'Too many pods';

/** insufficientReasons lists why the pod does not fit (upstream's order; [] = it fits). */
export function insufficientReasons(pod: PodInfo, node: NodeInfo): string[] {
  const out: string[] = [];
  const alloc = node.allocatable;
  const used = node.requested;
  const req = pod.requests;
  if (node.pods.size + 1 > alloc.allowedPods) out.push(TOO_MANY_PODS);
  if (req.milliCpu > 0 && req.milliCpu > alloc.milliCpu - used.milliCpu) {
    out.push('Insufficient cpu');
  }
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) out.push('Insufficient memory');
  if (req.ephemeralStorage > 0 &&
    req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    out.push('Insufficient ephemeral-storage');
  }
  if (req.scalars !== null) {
    for (const [name, want] of req.scalars) {
      if (want > 0 && want > alloc.scalar(name) - used.scalar(name)) {
        out.push(`Insufficient ${name}`);
      }
    }
  }
  return out;
}

/** fits: insufficientReasons(...).length === 0 without building the list (the hot path:
 *  most nodes fit, and this runs for hundreds of nodes per pod). */
export function fits(pod: PodInfo, node: NodeInfo): boolean {
  const alloc = node.allocatable;
  const used = node.requested;
  const req = pod.requests;
  if (node.pods.size + 1 > alloc.allowedPods) return false;
  if (req.milliCpu > 0 && req.milliCpu > alloc.milliCpu - used.milliCpu) return false;
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) return false;
  if (req.ephemeralStorage > 0 &&
    req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    return false;
  }
  if (req.scalars !== null) {
    for (const [name, want] of req.scalars) {
      if (want > 0 && want > alloc.scalar(name) - used.scalar(name)) return false;
    }
  }
  return true;
}

/** leastRequestedScore: the share of capacity left free, 0..MAX_NODE_SCORE (integer). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** nodeResourcesFitPlugin builds the plugin. */
export function nodeResourcesFitPlugin(): Plugin {
  return {
    name: NODE_RESOURCES_FIT,
    events: ['NodeAdd', 'NodeAllocatable', 'PodDelete', 'PodScaleDown'],
    filter: (_s, pod, node) => {
      if (fits(pod, node)) return null;
      return unschedulable(NODE_RESOURCES_FIT, ...insufficientReasons(pod, node));
    },
    score: (_s, pod, node) => {
      const cpu = leastRequestedScore(node.nonZeroRequested.milliCpu + pod.nonZeroRequests.milliCpu,
        node.allocatable.milliCpu);
      const mem = leastRequestedScore(node.nonZeroRequested.memory + pod.nonZeroRequests.memory,
        node.allocatable.memory);
      return Math.trunc((cpu + mem) / 2);
    },
  };
}
