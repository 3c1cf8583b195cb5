/**
 * TaintToleration: a node's NoSchedule and NoExecute taints keep off every pod that does not
 * tolerate them (filter), and its PreferNoSchedule taints make it less attractive to pods that
 * do not tolerate them (score: fewer untolerated PreferNoSchedule taints is better).
 */
import type { Toleration } from '../../../api/core/v1/pod-types.js';
import { stateKey } from '../../framework/cycle-state.js';
import type { Plugin } from '../../framework/interfaces.js';
import { skip, unresolvable } from '../../framework/status.js';
import type { NodeInfo } from '../../snapshot/node-info.js';
import { firstUntoleratedTaint, toleratedBy } from '../helpers/taints.js';
import { defaultNormalizeScore } from '../helpers/normalize.js';

/** TAINT_TOLERATION is the plugin's name. */
export const TAINT_TOLERATION = 'TaintToleration';

/** untoleratedTaintReason is upstream's (1.32) reason text, e.g.
 *  "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }". */
export function untoleratedTaintReason(key: string, value: string | undefined): string {
  return `node(s) had untolerated taint {${key}: ${value ?? ''}}`;
}

const SKIP = skip(TAINT_TOLERATION);

function hasPreferNoSchedule(node: NodeInfo): boolean {
  for (const t of node.taints) if (t.effect === 'PreferNoSchedule') return true;
  return false;
}

const PREFER_TOLERATIONS = stateKey<readonly Toleration[]>('TaintToleration/prefer');

/** taintTolerationPlugin builds the plugin. */
export function taintTolerationPlugin(): Plugin {
  return {
    name: TAINT_TOLERATION,
    events: ['NodeAdd', 'NodeTaint'],
    filter: (_s, pod, node) => {
      if (node.taints.length === 0) return null;
      const taint = firstUntoleratedTaint(node.taints, pod.tolerations);
      if (taint === undefined) return null;
      return unresolvable(TAINT_TOLERATION, untoleratedTaintReason(taint.key, taint.value));
    },
    preScore: (s, pod, nodes) => {
      // No PreferNoSchedule taint on any candidate: every node would score the same, which
      // cannot change the choice — skip scoring (the usual case, 420 nodes per pod at 1,000).
      if (!nodes.some(hasPreferNoSchedule)) return SKIP;
      const prefer = pod.tolerations.filter((t) => (t.effect ?? '') === '' ||
        t.effect === 'PreferNoSchedule');
      s.write(PREFER_TOLERATIONS, prefer);
      return null;
    },
    score: (s, _pod, node) => {
      if (node.taints.length === 0) return 0;
      const prefer = s.read(PREFER_TOLERATIONS) ?? [];
      let n = 0;
      for (const t of node.taints) {
        if (t.effect === 'PreferNoSchedule' && !toleratedBy(prefer, t)) n++;
      }
      return n;
    },
    normalizeScore: (_s, _pod, _nodes, scores) => defaultNormalizeScore(scores, true),
  };
}
