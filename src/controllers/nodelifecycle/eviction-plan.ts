/**
 * The NoExecute taint manager's pure core for one pod (upstream's tainteviction controller): a
 * pod bound to a node with a NoExecute taint it does not tolerate is deleted at once; one that
 * tolerates every such taint for a while (tolerationSeconds) is deleted when the shortest of
 * those tolerations has passed since the controller first saw the pod exposed; tolerating
 * forever means never. The "since" moment is on the controller's clock and remembered by the
 * shell, so skewed wall clocks and taint timeAdded stamps do not move evictions.
 */
import type { Node, Taint } from '../../api/core/v1/cluster-kinds.js';
import type { Pod, Toleration } from '../../api/core/v1/pod-types.js';
import type { Condition } from '../../api/core/v1/common-types.js';
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import { podRef } from './plan.js';
import { tolerates } from './taints.js';

/** EVENT_TAINT_EVICTION is the reason of both the marking and the cancelling event. */
export const EVENT_TAINT_EVICTION = 'TaintManagerEviction';

/** DISRUPTION_REASON: the DisruptionTarget condition's reason on a pod the taint manager
 *  deletes, so its owner (a Job's podFailurePolicy) can tell why it went. */
export const DISRUPTION_REASON = 'DeletionByTaintManager';
/** DISRUPTION_MESSAGE goes with DISRUPTION_REASON (upstream's text). */
export const DISRUPTION_MESSAGE = 'Taint manager: deleting due to NoExecute taint';

/** EvictionAction is one write (or event) for a pod. */
export type EvictionAction =
  | { type: 'addDisruptionCondition'; namespace: string; name: string; condition: Condition }
  | { type: 'deletePod'; namespace: string; name: string; uid: string }
  | { type: 'event'; regarding: KubeObject; reason: string; message: string };

/** EvictionInput: the cached pod and its node, the remembered start and the clock. */
export interface EvictionInput {
  pod: Pod;
  node: Node | undefined;
  /** Controller clock (ms) when this pod's timed eviction started; undefined: none pending. */
  sinceMs: number | undefined;
  nowMs: number;
  nowWall: string;
}

/** EvictionPlan: writes now, the pending start to remember, and when to look again. */
export interface EvictionPlan {
  actions: EvictionAction[];
  sinceMs: number | undefined;
  /** Set while a timed eviction is pending: when it falls due. */
  requeueAfterMs?: number;
}

/** INFINITE: the pod tolerates its node's NoExecute taints forever. */
const INFINITE = -1;

/**
 * evictionInputsDiffer: whether an update of a pod can change planPodEviction's answer — its
 * node, its tolerations, or whether it is terminating (upstream's PodUpdated looks at node and
 * tolerations only). A bound pod's status writes change none of them: the kubelet's two or three
 * writes per started pod each cost the leader a taint-manager sync (queue, lister reads, plan)
 * that could only answer the same. A change of the node's taints reaches the pod through the
 * node's handler; a pending timed eviction through its requeue.
 */
export function evictionInputsDiffer(old: Pod, pod: Pod): boolean {
  return (old.spec?.nodeName ?? '') !== (pod.spec?.nodeName ?? '') ||
    (old.metadata.deletionTimestamp === undefined) !== (pod.metadata.deletionTimestamp === undefined) ||
    !sameTolerations(old.spec?.tolerations ?? [], pod.spec?.tolerations ?? []);
}

function sameTolerations(a: readonly Toleration[], b: readonly Toleration[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.key !== y.key || x.operator !== y.operator || x.value !== y.value ||
      x.effect !== y.effect || x.tolerationSeconds !== y.tolerationSeconds) return false;
  }
  return true;
}

/** planPodEviction decides what happens to one pod. */
export function planPodEviction(i: EvictionInput): EvictionPlan {
  const pod = i.pod;
  if (pod.metadata.deletionTimestamp !== undefined) return { actions: [], sinceMs: undefined };
  const taints = (i.node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
  const seconds = taints.length === 0 ? INFINITE
    : minTolerationSeconds(pod.spec?.tolerations ?? [], taints);
  if (seconds === INFINITE) {
    return { actions: i.sinceMs === undefined ? [] : [cancelEvent(pod)], sinceMs: undefined };
  }
  const sinceMs = i.sinceMs ?? i.nowMs;
  assert(sinceMs <= i.nowMs, 'eviction start is in the future of the same clock');
  const dueMs = sinceMs + seconds * 1000;
  if (i.nowMs < dueMs) return { actions: [], sinceMs, requeueAfterMs: dueMs - i.nowMs };
  return { actions: evict(pod, i.nowWall), sinceMs: undefined };
}

/**
 * minTolerationSeconds: 0 when some taint is not tolerated at all; otherwise the shortest
 * tolerationSeconds among the tolerations that match a taint (≤ 0 counts as 0), or INFINITE when
 * none of them has one (upstream getMinTolerationTime over the used tolerations).
 */
export function minTolerationSeconds(tolerations: readonly Toleration[], taints: readonly Taint[]):
  number {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return 0;
    used.push(...matching);
  }
  let min = INFINITE;
  for (const t of used) {
    if (t.tolerationSeconds === undefined) continue;
    const s = Math.max(0, t.tolerationSeconds);
    if (min === INFINITE || s < min) min = s;
  }
  return min;
}

function podName(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

function evict(pod: Pod, nowWall: string): EvictionAction[] {
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  // Writes first, then the event: the shell stops at a pod that is already gone, so no event
  // claims a deletion that never happened.
  return [
    { type: 'addDisruptionCondition', namespace, name, condition: {
      type: 'DisruptionTarget', status: 'True', reason: DISRUPTION_REASON,
      message: DISRUPTION_MESSAGE, lastTransitionTime: nowWall } },
    { type: 'deletePod', namespace, name, uid: pod.metadata.uid ?? '' },
    { type: 'event', regarding: podRef(pod), reason: EVENT_TAINT_EVICTION,
      message: `Marking for deletion Pod ${podName(pod)}` },
  ];
}

function cancelEvent(pod: Pod): EvictionAction {
  return { type: 'event', regarding: podRef(pod), reason: EVENT_TAINT_EVICTION,
    message: `Cancelling deletion of Pod ${podName(pod)}` };
}
