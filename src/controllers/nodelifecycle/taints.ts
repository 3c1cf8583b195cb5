/**
 * The taints the node lifecycle controller owns and the toleration rules the taint manager
 * applies (upstream's node lifecycle controller taint templates and v1helper.ToleratesTaint).
 * Pure. Why the controller owns a fixed set of keys: a node can carry taints users put there
 * (dedicated=gpu:NoSchedule), and the controller must add and remove only its own.
 */
import type { Condition } from '../../api/core/v1/common-types.js';
import type { Node, Taint } from '../../api/core/v1/cluster-kinds.js';
import type { Toleration } from '../../api/core/v1/pod-types.js';

/** TAINT_NOT_READY: the node reports Ready=False. */
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
/** TAINT_UNREACHABLE: nothing heard from the node within the grace period (Ready=Unknown). */
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** TAINT_UNSCHEDULABLE: spec.unschedulable (kubectl cordon). */
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** NO_SCHEDULE_BY_CONDITION maps a node condition type and status to its NoSchedule taint key
 *  (upstream's nodeConditionToTaintKeyStatusMap). */
const NO_SCHEDULE_BY_CONDITION: readonly { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: TAINT_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: 'node.kubernetes.io/memory-pressure' },
  { type: 'DiskPressure', status: 'True', key: 'node.kubernetes.io/disk-pressure' },
  { type: 'PIDPressure', status: 'True', key: 'node.kubernetes.io/pid-pressure' },
  { type: 'NetworkUnavailable', status: 'True', key: 'node.kubernetes.io/network-unavailable' },
];

/** OWNED_NO_SCHEDULE_KEYS: the NoSchedule taint keys this controller adds and removes. */
const OWNED_NO_SCHEDULE_KEYS: ReadonlySet<string> = new Set([
  ...NO_SCHEDULE_BY_CONDITION.map((c) => c.key),
  TAINT_UNSCHEDULABLE,
]);

/** OWNED_NO_EXECUTE_KEYS: the NoExecute taint keys this controller adds and removes. */
const OWNED_NO_EXECUTE_KEYS: ReadonlySet<string> = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE]);

/** isOwned: the controller manages this taint (key and effect both in its set). */
export function isOwned(t: Taint): boolean {
  if (t.effect === 'NoSchedule') return OWNED_NO_SCHEDULE_KEYS.has(t.key);
  if (t.effect === 'NoExecute') return OWNED_NO_EXECUTE_KEYS.has(t.key);
  return false;
}

/** nodeCondition finds a node condition by type. */
export function nodeCondition(conditions: readonly Condition[], type: string):
  Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/** desiredNoScheduleKeys: the NoSchedule taints the conditions and spec.unschedulable call for
 *  (upstream's doNoScheduleTaintingPass), sorted so plans compare stably. */
export function desiredNoScheduleKeys(conditions: readonly Condition[], unschedulable: boolean):
  string[] {
  const keys = new Set<string>();
  for (const m of NO_SCHEDULE_BY_CONDITION) {
    if (nodeCondition(conditions, m.type)?.status === m.status) keys.add(m.key);
  }
  if (unschedulable) keys.add(TAINT_UNSCHEDULABLE);
  return [...keys].sort();
}

/** desiredNoExecuteKey: Ready=False → not-ready, Ready=Unknown → unreachable, else none
 *  (upstream's processTaintBaseEviction). A node that never reported Ready gets none until the
 *  controller itself has marked it Unknown. */
export function desiredNoExecuteKey(conditions: readonly Condition[]): string | undefined {
  const ready = nodeCondition(conditions, 'Ready')?.status;
  if (ready === 'False') return TAINT_NOT_READY;
  if (ready === 'Unknown') return TAINT_UNREACHABLE;
  return undefined;
}

/** TaintChange: owned taints to add and to remove (by key and effect). */
export interface TaintChange {
  add: Taint[];
  remove: Taint[];
}

/** sameTaint: same key and effect (the identity upstream's taint helpers use). */
export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

/**
 * taintChange compares the node's owned taints with the desired ones. timeAddedWall stamps a
 * new NoExecute taint (the taint manager and kubectl describe show it); NoSchedule taints carry
 * none, as upstream.
 */
export function taintChange(node: Node, conditions: readonly Condition[], timeAdded: string):
  TaintChange {
  const current = (node.spec?.taints ?? []).filter(isOwned);
  const want: Taint[] = desiredNoScheduleKeys(conditions, node.spec?.unschedulable === true)
    .map((key) => ({ key, effect: 'NoSchedule' }));
  const noExec = desiredNoExecuteKey(conditions);
  if (noExec !== undefined) want.push({ key: noExec, effect: 'NoExecute', timeAdded });
  return {
    add: want.filter((w) => !current.some((c) => sameTaint(c, w))),
    remove: current.filter((c) => !want.some((w) => sameTaint(c, w))),
  };
}

/** applyTaintChange returns the node's taints with change applied; others' taints untouched. */
export function applyTaintChange(taints: readonly Taint[], change: TaintChange): Taint[] {
  const kept = taints.filter((t) => !change.remove.some((r) => sameTaint(t, r)));
  const added = change.add.filter((a) => !kept.some((t) => sameTaint(t, a)));
  return [...kept, ...added];
}

/** tolerates: toleration t covers taint (v1helper.ToleratesTaint): effect and key match when
 *  given; Exists matches any value, Equal (or no operator) needs equal values. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false;
  if (t.key !== undefined && t.key !== '' && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}
