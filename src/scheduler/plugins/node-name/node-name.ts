/**
 * NodeName: a pod that names its node (spec.nodeName) fits only that node. Pods the scheduler
 * queues have no nodeName, so PreFilter skips this filter for nearly every pod.
 */
import type { Plugin } from '../../framework/interfaces.js';
import { skip, unresolvable } from '../../framework/status.js';

/** NODE_NAME is the plugin's name. */
export const NODE_NAME = 'NodeName';
/** ERR_REASON_NODE_NAME is upstream's reason text. */
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

const SKIP = skip(NODE_NAME);
const MISMATCH = unresolvable(NODE_NAME, ERR_REASON_NODE_NAME);

/** nodeNamePlugin builds the plugin. */
export function nodeNamePlugin(): Plugin {
  return {
    name: NODE_NAME,
    events: ['NodeAdd'],
    preFilter: (_s, pod) => ((pod.pod.spec?.nodeName ?? '') === '' ? SKIP : null),
    filter: (_s, pod, node) => (pod.pod.spec?.nodeName === node.name ? null : MISMATCH),
  };
}
