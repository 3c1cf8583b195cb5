/**
 * The DaemonSet's per-node reconciliation (upstream's manage + podsShouldBeOnNode): a pod where
 * one should run and none is; failed pods deleted (so they are replaced) with a per-node backoff,
 * because a kubelet that keeps rejecting a pod would otherwise make the controller hot-loop;
 * excess pods deleted, the oldest kept; pods on nodes they may no longer run on deleted. Pure.
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { Pod, PodSpec } from '../../api/core/v1/pod-types.js';
import { nodeFit } from './node-fit.js';
import type { PodsByNode } from './pods-by-node.js';

/** FAILED_POD_BACKOFF: first and longest wait before deleting another failed pod of one node. */
export const FAILED_POD_BACKOFF = { initialMs: 1_000, maxMs: 15 * 60 * 1_000 };

/** FailedPodBackoff: one node's backoff (flowcontrol.Backoff entry), on the monotonic clock. */
export interface FailedPodBackoff {
  delayMs: number;
  lastMs: number;
}

/** ManageInput: what the per-node decisions read. */
export interface ManageInput {
  nodes: readonly Node[];
  spec: PodSpec;
  podsByNode: PodsByNode;
  nowMs: number;
  /** Backoff by node name; entries are replaced in place by the decisions. */
  backoff: Map<string, FailedPodBackoff>;
}

/** ManageResult: nodes needing a pod, pods to delete, failed pods found, earliest retry. */
export interface ManageResult {
  createOn: string[];
  deletes: Pod[];
  failed: { pod: Pod; node: string }[];
  retryAfterMs?: number;
}

/** manage decides every node's creates and deletes (nodes in the order given). */
export function manage(input: ManageInput): ManageResult {
  const out: ManageResult = { createOn: [], deletes: [], failed: [] };
  const known = new Set<string>();
  for (const node of input.nodes) {
    const name = node.metadata.name ?? '';
    known.add(name);
    const fit = nodeFit(input.spec, node);
    const pods = input.podsByNode.get(name) ?? [];
    if (fit.shouldRun && pods.length === 0) out.createOn.push(name);
    else if (fit.shouldContinueRunning) keepOne(input, name, pods, out);
    else out.deletes.push(...pods.filter(notDeleting));
  }
  // Unbound pods meant for a node that no longer exists would never be scheduled.
  for (const [name, pods] of input.podsByNode) {
    if (known.has(name)) continue;
    out.deletes.push(...pods.filter((p) => notDeleting(p) && (p.spec?.nodeName ?? '') === ''));
  }
  return out;
}

function notDeleting(p: Pod): boolean {
  return p.metadata.deletionTimestamp === undefined;
}

/** keepOne: finished pods go (failed ones under backoff); of the rest the oldest stays. */
function keepOne(input: ManageInput, node: string, pods: readonly Pod[], out: ManageResult): void {
  const running: Pod[] = [];
  for (const pod of pods) {
    if (!notDeleting(pod)) continue;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded') out.deletes.push(pod);
    else if (phase !== 'Failed') running.push(pod);
    else failedPod(input, node, pod, out);
  }
  // pods arrive oldest first (groupByNode); without surge one pod per node is the rule.
  out.deletes.push(...running.slice(1));
}

function failedPod(input: ManageInput, node: string, pod: Pod, out: ManageResult): void {
  const b = input.backoff.get(node);
  if (b !== undefined && input.nowMs - b.lastMs < b.delayMs) {
    const waitMs = b.lastMs + b.delayMs - input.nowMs;
    out.retryAfterMs = Math.min(out.retryAfterMs ?? waitMs, waitMs);
    return;
  }
  const delayMs = b === undefined ? FAILED_POD_BACKOFF.initialMs :
    Math.min(b.delayMs * 2, FAILED_POD_BACKOFF.maxMs);
  input.backoff.set(node, { delayMs, lastMs: input.nowMs });
  out.failed.push({ pod, node });
  out.deletes.push(pod);
}

/** pruneBackoff drops entries idle for twice the longest delay (flowcontrol's GC). */
export function pruneBackoff(backoff: Map<string, FailedPodBackoff>, nowMs: number): void {
  for (const [node, b] of backoff) {
    if (nowMs - b.lastMs > 2 * FAILED_POD_BACKOFF.maxMs) backoff.delete(node);
  }
}
