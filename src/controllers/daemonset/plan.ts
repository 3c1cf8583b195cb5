/**
 * The DaemonSet controller's pure core: one DaemonSet, the nodes and its pods as the caches show
 * them, the clocks' values and the failed-pod backoff in; the API actions out, in the order the
 * shell runs them (events, creates, deletes, then the status), plus the backoff to keep and when
 * to look again. Upstream's syncDaemonSet order: per-node creates/deletes first; only when those
 * are done (nothing to do, expectations met) the rolling update deletes old pods; status always.
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { DaemonSet, DaemonSetStatus } from '../../api/apps/v1/workloads.js';
import { assert } from '../../base/assert.js';
import { ownerRefTo } from '../base/pods.js';
import { templateHash } from '../base/template-hash.js';
import { daemonPodFor, daemonPodSpec } from './daemon-pod.js';
import { type FailedPodBackoff, manage, pruneBackoff } from './manage.js';
import { type DaemonSetView, groupByNode } from './pods-by-node.js';
import { rollingUpdateDeletes } from './rolling-update.js';
import { computeStatus, statusChanged } from './status.js';

/** BURST_PODS: creates (and deletes) per sync at most (upstream's BurstReplicas). */
export const BURST_PODS = 250;

/** DaemonSetInput: one sync's view. */
export interface DaemonSetInput {
  ds: DaemonSet;
  /** Every node of the cluster. */
  nodes: readonly Node[];
  /** The DaemonSet's pods (controller reference to its uid). */
  pods: readonly Pod[];
  /** Monotonic clock (failed-pod backoff). */
  nowMs: number;
  /** Wall clock (pod availability after minReadySeconds). */
  nowWallMs: number;
  /** Expectations met: creates and deletes of earlier syncs are all visible in the cache. */
  expectationsSatisfied: boolean;
  /** Failed-pod backoff by node name (not modified; the plan returns the next one). */
  backoff: ReadonlyMap<string, FailedPodBackoff>;
}

/** DaemonSetAction: one API call (or event) for the shell. */
export type DaemonSetAction =
  | { verb: 'create'; node: string; pod: Pod }
  | { verb: 'delete'; pod: Pod }
  | { verb: 'event'; type: 'Normal' | 'Warning'; reason: string; message: string }
  | { verb: 'status'; status: DaemonSetStatus };

/** DaemonSetPlan: the actions, the backoff to keep, and when to sync again (if at all). */
export interface DaemonSetPlan {
  actions: DaemonSetAction[];
  backoff: Map<string, FailedPodBackoff>;
  requeueAfterMs?: number;
}

/** planDaemonSet decides one sync. */
export function planDaemonSet(input: DaemonSetInput): DaemonSetPlan {
  const { ds } = input;
  const backoff = new Map(input.backoff);
  if (ds.metadata.deletionTimestamp !== undefined) return { actions: [], backoff };
  const nodes = [...input.nodes].sort((a, b) => cmp(a.metadata.name, b.metadata.name));
  const hash = templateHash(ds.spec?.template, ds.status?.collisionCount);
  const spec = daemonPodSpec(ds);
  const podsByNode = groupByNode(input.pods);
  const view: DaemonSetView = { ds, hash, spec, nodes, podsByNode, nowWallMs: input.nowWallMs };
  const actions: DaemonSetAction[] = [];
  let requeueAfterMs: number | undefined;
  if (input.expectationsSatisfied) {
    const m = manage({ nodes, spec, podsByNode, nowMs: input.nowMs, backoff });
    pruneBackoff(backoff, input.nowMs);
    requeueAfterMs = m.retryAfterMs;
    for (const f of m.failed) {
      actions.push({ verb: 'event', type: 'Warning', reason: 'FailedDaemonPod', message:
        `Found failed daemon pod ${f.pod.metadata.namespace ?? ''}/${f.pod.metadata.name ?? ''}`
        + ` on node ${f.node}, will try to kill it` });
    }
    const owner = ownerRefTo(ds, 'apps/v1', 'DaemonSet');
    for (const node of m.createOn.slice(0, BURST_PODS)) {
      actions.push({ verb: 'create', node, pod: daemonPodFor(ds, hash, node, owner) });
    }
    let deletes = m.deletes;
    if (m.createOn.length === 0 && deletes.length === 0 && rolling(ds)) {
      deletes = rollingUpdateDeletes(view);
    }
    for (const pod of deletes.slice(0, BURST_PODS)) actions.push({ verb: 'delete', pod });
  }
  const status = computeStatus(view);
  if (statusChanged(ds.status, status)) actions.push({ verb: 'status', status });
  requeueAfterMs = minDefined(requeueAfterMs, availabilityRecheckMs(ds, status));
  const createdOn = actions.flatMap((a) => (a.verb === 'create' ? [a.node] : []));
  assert(createdOn.length <= BURST_PODS, 'daemonset plan: too many creates');
  assert(new Set(createdOn).size === createdOn.length, 'daemonset plan: two pods for a node');
  return { actions, backoff, ...(requeueAfterMs === undefined ? {} : { requeueAfterMs }) };
}

function rolling(ds: DaemonSet): boolean {
  return (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** availabilityRecheckMs: ready pods become available minReadySeconds later; look then. */
function availabilityRecheckMs(ds: DaemonSet, st: DaemonSetStatus): number | undefined {
  const minReady = ds.spec?.minReadySeconds ?? 0;
  if (minReady <= 0 || st.numberReady === st.numberAvailable) return undefined;
  return minReady * 1000;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

function cmp(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
