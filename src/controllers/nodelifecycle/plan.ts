/**
 * The node lifecycle controller's pure core for one node (upstream's monitorNodeHealth,
 * doNoScheduleTaintingPass, processTaintBaseEviction and MarkPodsNotReady, level-triggered):
 * given the cached node, its Lease, the pods bound to it, what the controller remembers of its
 * health and the controller clock, decide what to write. No I/O, no clock reads.
 *
 * Order of the actions is the order the shell performs them: node status first (so taints and
 * pods follow the status everyone else will read), then taints, then pods, then events.
 */
import type { Condition } from '../../api/core/v1/common-types.js';
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Lease } from '../../api/coordination/v1/lease.js';
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { EventType } from '../../client/events/types.js';
import { markUnknown, sameConditions } from './conditions.js';
import {
  gracePeriodMs,
  observeHealth,
  silentForTooLong,
  type GracePeriods,
  type NodeHealth,
} from './health.js';
import { isOwned, nodeCondition, taintChange, type TaintChange } from './taints.js';

/** JsonPatchOp is one RFC 6902 operation (the pod status patches are JSON patches). */
export interface JsonPatchOp {
  op: 'test' | 'add' | 'replace';
  path: string;
  value: string;
}

/** NodeAction is one write (or event) the shell performs. */
export type NodeAction =
  | { type: 'updateNodeStatus'; conditions: Condition[] }
  | { type: 'changeTaints'; change: TaintChange }
  | { type: 'markPodNotReady'; namespace: string; name: string; patch: JsonPatchOp[] }
  | { type: 'event'; regarding: KubeObject; eventType: EventType; reason: string; message: string };

/** NodeEvent is the event kind of NodeAction. */
export type NodeEvent = Extract<NodeAction, { type: 'event' }>;

/** NodeInput is everything one node's sync looks at. */
export interface NodeInput {
  node: Node;
  lease: Lease | undefined;
  /** Pods whose spec.nodeName is this node (from the pod cache). */
  pods: readonly Pod[];
  health: NodeHealth | undefined;
  /** Controller clock (monotonic ms) and wall time (metav1.Time text) of this sync. */
  nowMs: number;
  nowWall: string;
  grace: GracePeriods;
  /** Re-check at least this often (upstream --node-monitor-period). */
  monitorPeriodMs: number;
  /** The eviction rate limiter has a token: a NoExecute taint may be put on a healthy node. */
  mayTaintNoExecute: boolean;
  /** When it has none: how long until it will. */
  noExecuteWaitMs: number;
}

/** NodePlan: the new health record, the writes, and when to look at this node again. */
export interface NodePlan {
  health: NodeHealth;
  actions: NodeAction[];
  /** A NoExecute taint is added to a node that had none (takes an eviction token). */
  startsEviction: boolean;
  requeueAfterMs: number;
}

/** planNode decides one node's writes. */
export function planNode(i: NodeInput): NodePlan {
  assert(i.grace.monitorMs > 0 && i.grace.startupMs > 0, 'node grace periods must be positive');
  assert(i.monitorPeriodMs > 0, 'node monitor period must be positive');
  const name = i.node.metadata.name ?? '';
  const health = observeHealth(i.health, i.node, i.lease, i.nowMs);
  const actions: NodeAction[] = [];
  const ref = nodeRef(i.node);
  if (i.health === undefined || i.health.uid !== health.uid) {
    actions.push(nodeEvent(ref, 'RegisteredNode', `Registered Node ${name} in Controller`));
  }
  const graceMs = gracePeriodMs(i.node, i.grace);
  const before = i.node.status?.conditions ?? [];
  const silent = silentForTooLong(health, graceMs, i.nowMs);
  const after = silent ? markUnknown(before, i.nowWall, i.node.metadata.creationTimestamp ??
    undefined) : before;
  if (!sameConditions(before, after)) {
    actions.push({ type: 'updateNodeStatus', conditions: after });
    const wasReady = nodeCondition(before, 'Ready')?.status === 'True';
    if (wasReady) actions.push(statusChangeEvent(ref, name, 'NodeNotReady'));
  }
  const taints = planTaints(i, after);
  if (taints.change.add.length + taints.change.remove.length > 0) {
    actions.push({ type: 'changeTaints', change: taints.change });
  }
  if (nodeCondition(after, 'Ready')?.status === 'Unknown') {
    actions.push(...markPodsNotReady(i.pods, name, i.nowWall));
  }
  const untilSilentMs = health.probeMs + graceMs - i.nowMs + 1;
  let requeueAfterMs = silent ? i.monitorPeriodMs : Math.min(i.monitorPeriodMs, untilSilentMs);
  if (taints.deferred) requeueAfterMs = Math.min(requeueAfterMs, Math.max(1, i.noExecuteWaitMs));
  return { health, actions: sortActions(actions), startsEviction: taints.startsEviction,
    requeueAfterMs: Math.max(1, requeueAfterMs) };
}

interface TaintPlan {
  change: TaintChange;
  startsEviction: boolean;
  /** A NoExecute taint waits for the eviction rate limiter. */
  deferred: boolean;
}

/**
 * planTaints: the owned taints the conditions call for. Putting a NoExecute taint on a node
 * that has none starts evicting its pods, so it is rate limited (upstream --node-eviction-rate);
 * swapping not-ready for unreachable (or back) and removing taints are not.
 */
function planTaints(i: NodeInput, conditions: readonly Condition[]): TaintPlan {
  const change = taintChange(i.node, conditions, i.nowWall);
  const hadNoExecute = (i.node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute' &&
    isOwned(t));
  const addsNoExecute = change.add.some((t) => t.effect === 'NoExecute');
  if (!addsNoExecute || hadNoExecute) {
    return { change, startsEviction: false, deferred: false };
  }
  if (i.mayTaintNoExecute) return { change, startsEviction: true, deferred: false };
  const add = change.add.filter((t) => t.effect !== 'NoExecute');
  return { change: { add, remove: change.remove }, startsEviction: false, deferred: true };
}

/**
 * markPodsNotReady: a node nobody hears from cannot report its pods' readiness, so their Ready
 * condition turns False (upstream MarkPodsNotReady) and Services stop sending them traffic. The
 * JSON patch tests the condition first: if the kubelet changed it meanwhile, the patch fails
 * instead of overwriting newer news.
 */
function markPodsNotReady(pods: readonly Pod[], nodeName: string, nowWall: string): NodeAction[] {
  const out: NodeAction[] = [];
  for (const pod of pods) {
    if (pod.spec?.nodeName !== nodeName) continue;
    const conds = pod.status?.conditions ?? [];
    const idx = conds.findIndex((c) => c.type === 'Ready');
    if (idx < 0 || conds[idx]?.status !== 'True') continue;
    const at = `/status/conditions/${idx}`;
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    out.push({
      type: 'markPodNotReady', namespace, name, patch: [
        { op: 'test', path: `${at}/type`, value: 'Ready' },
        { op: 'test', path: `${at}/status`, value: 'True' },
        { op: 'replace', path: `${at}/status`, value: 'False' },
        { op: 'add', path: `${at}/lastTransitionTime`, value: nowWall },
      ],
    });
    out.push({ type: 'event', regarding: podRef(pod), eventType: 'Warning',
      reason: 'NodeNotReady', message: 'Node is not ready' });
  }
  return out;
}

/** sortActions keeps writes in their order and moves events last (they report done writes). */
function sortActions(actions: NodeAction[]): NodeAction[] {
  const events = actions.filter((a) => a.type === 'event');
  return [...actions.filter((a) => a.type !== 'event'), ...events];
}

/** nodeRef: the minimal Node an event points at (kind, name, uid). */
export function nodeRef(node: Node | { name: string; uid: string }): KubeObject {
  const meta = 'metadata' in node ? node.metadata : { name: node.name, uid: node.uid };
  return { apiVersion: 'v1', kind: 'Node',
    metadata: { name: meta.name ?? '', uid: meta.uid ?? '' } };
}

/** podRef: the minimal Pod an event points at. */
export function podRef(pod: Pod): KubeObject {
  const m = pod.metadata;
  return { apiVersion: 'v1', kind: 'Pod',
    metadata: { namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '' } };
}

/** nodeEvent: upstream's RecordNodeEvent text, "Node <name> event: <what>". */
export function nodeEvent(ref: KubeObject, reason: string, what: string): NodeEvent {
  const message = `Node ${ref.metadata.name ?? ''} event: ${what}`;
  return { type: 'event', regarding: ref, eventType: 'Normal', reason, message };
}

/** statusChangeEvent: upstream's RecordNodeStatusChange, "Node <name> status is now: <s>". */
function statusChangeEvent(ref: KubeObject, name: string, status: string): NodeEvent {
  return { type: 'event', regarding: ref, eventType: 'Normal', reason: status,
    message: `Node ${name} status is now: ${status}` };
}
