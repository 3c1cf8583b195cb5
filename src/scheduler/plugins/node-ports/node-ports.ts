/**
 * NodePorts: a pod asking for host ports fits only nodes where no placed pod holds the same
 * protocol and port on an overlapping address (0.0.0.0 overlaps every address).
 */
import type { Plugin } from '../../framework/interfaces.js';
import { skip, unschedulable } from '../../framework/status.js';

/** NODE_PORTS is the plugin's name. */
export const NODE_PORTS = 'NodePorts';
/** ERR_REASON_NODE_PORTS is upstream's reason text. */
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const SKIP = skip(NODE_PORTS);
const CONFLICT = unschedulable(NODE_PORTS, ERR_REASON_NODE_PORTS);

/** nodePortsPlugin builds the plugin. */
export function nodePortsPlugin(): Plugin {
  return {
    name: NODE_PORTS,
    events: ['NodeAdd', 'PodDelete'],
    preFilter: (_s, pod) => (pod.hostPorts.length === 0 ? SKIP : null),
    filter: (_s, pod, node) => {
      for (const hp of pod.hostPorts) if (node.portConflicts(hp)) return CONFLICT;
      return null;
    },
  };
}
