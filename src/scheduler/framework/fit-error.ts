/**
 * The FailedScheduling summary: "0/5 nodes are available: 3 Insufficient cpu, 2 node(s) had
 * untolerated taint {node-role.kubernetes.io/control-plane: }." — upstream's FitError.Error()
 * (Kubernetes 1.32), so users and tools that read the text see what they expect. The
 * histogram counts each node's reasons from the first filter that rejected it; its entries are
 * "<count> <reason>" sorted as strings (so "10 ..." sorts before "2 ...", as upstream's do).
 * There is no "preemption: ..." suffix: k8ts has no preemption (no PostFilter plugin), which is
 * exactly upstream's text when DefaultPreemption is disabled.
 */
import type { Status } from './status.js';

/** NO_NODES_MESSAGE: upstream's ErrNoNodesAvailable text (an empty cluster). */
export const NO_NODES_MESSAGE = 'no nodes available to schedule pods';

/** Diagnosis: why no node fit, gathered during one cycle. */
export interface Diagnosis {
  /** nodeStatuses: each rejected node's first rejecting status (filter order). */
  readonly nodeStatuses: Map<string, Status>;
  /** unschedulablePlugins: every plugin that rejected the pod somewhere. */
  readonly unschedulablePlugins: Set<string>;
  /** preFilterMsg: a PreFilter's rejection (then nodeStatuses is not summarised). */
  preFilterMsg: string;
  /** postFilterMsg: a PostFilter's message ("" with none). */
  postFilterMsg: string;
}

/** newDiagnosis starts an empty diagnosis. */
export function newDiagnosis(): Diagnosis {
  return { nodeStatuses: new Map(), unschedulablePlugins: new Set(), preFilterMsg: '',
    postFilterMsg: '' };
}

/** fitErrorMessage renders the summary for a pod that fit none of numAllNodes nodes. */
export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg !== '') {
    msg += ` ${d.preFilterMsg}.`;
  } else {
    const histogram = new Map<string, number>();
    for (const st of d.nodeStatuses.values()) {
      for (const r of st.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
    }
    const entries = [...histogram].map(([reason, n]) => `${n} ${reason}`);
    entries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length > 0) msg += ` ${entries.join(', ')}.`;
  }
  if (d.postFilterMsg !== '') msg += ` ${d.postFilterMsg}.`;
  return msg;
}
