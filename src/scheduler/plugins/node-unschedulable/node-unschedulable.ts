/**
 * NodeUnschedulable: a cordoned node (spec.unschedulable, `kubectl cordon`) takes only pods that
 * tolerate the node.kubernetes.io/unschedulable:NoSchedule taint (DaemonSet pods do).
 */
import type { Taint } from '../../../api/core/v1/cluster-kinds.js';
import type { Plugin } from '../../framework/interfaces.js';
import { unresolvable } from '../../framework/status.js';
import { toleratedBy } from '../helpers/taints.js';

/** NODE_UNSCHEDULABLE is the plugin's name. */
export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
/** ERR_REASON_UNSCHEDULABLE is upstream's reason text. */
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
/** UNSCHEDULABLE_TAINT is the taint a cordoned node implies. */
export const UNSCHEDULABLE_TAINT: Taint = {
  key: 'node.kubernetes.io/unschedulable',
  effect: 'NoSchedule',
};

const REJECT = unresolvable(NODE_UNSCHEDULABLE, ERR_REASON_UNSCHEDULABLE);

/** nodeUnschedulablePlugin builds the plugin. */
export function nodeUnschedulablePlugin(): Plugin {
  return {
    name: NODE_UNSCHEDULABLE,
    events: ['NodeAdd', 'NodeSpecUnschedulable', 'NodeTaint'],
    filter: (_s, pod, node) => {
      if (!node.unschedulable) return null;
      return toleratedBy(pod.tolerations, UNSCHEDULABLE_TAINT) ? null : REJECT;
    },
  };
}
