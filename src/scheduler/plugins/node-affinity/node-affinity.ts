/**
 * NodeAffinity: spec.nodeSelector and required node affinity decide which nodes a pod may use
 * (filter); preferred node affinity terms add their weights to the nodes they match (score).
 * Terms are compiled once per cycle in PreFilter/PreScore; pods without any skip both.
 */
import { stateKey } from '../../framework/cycle-state.js';
import type { Plugin } from '../../framework/interfaces.js';
import { skip, unresolvable } from '../../framework/status.js';
import { defaultNormalizeScore } from '../helpers/normalize.js';
import { compileTerm, requiredNodeAffinity, type NodePredicate } from '../helpers/node-selector.js';

/** NODE_AFFINITY is the plugin's name. */
export const NODE_AFFINITY = 'NodeAffinity';
/** ERR_REASON_POD is upstream's reason text. */
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

interface WeightedPredicate {
  readonly match: NodePredicate;
  readonly weight: number;
}

const REQUIRED = stateKey<NodePredicate>('NodeAffinity/required');
const PREFERRED = stateKey<readonly WeightedPredicate[]>('NodeAffinity/preferred');
const SKIP = skip(NODE_AFFINITY);
const MISMATCH = unresolvable(NODE_AFFINITY, ERR_REASON_POD);

/** nodeAffinityPlugin builds the plugin. */
export function nodeAffinityPlugin(): Plugin {
  return {
    name: NODE_AFFINITY,
    events: ['NodeAdd', 'NodeLabel'],
    preFilter: (s, pod) => {
      const required = requiredNodeAffinity(pod.pod);
      if (required === null) return SKIP;
      s.write(REQUIRED, required);
      return null;
    },
    filter: (s, _pod, node) => (s.read(REQUIRED)?.(node) === false ? MISMATCH : null),
    preScore: (s, pod) => {
      const terms = pod.pod.spec?.affinity?.nodeAffinity
        ?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      const preferred = terms.filter((t) => t.weight !== 0)
        .map((t) => ({ match: compileTerm(t.preference), weight: t.weight }));
      if (preferred.length === 0) return SKIP;
      s.write(PREFERRED, preferred);
      return null;
    },
    score: (s, _pod, node) => {
      let sum = 0;
      for (const p of s.read(PREFERRED) ?? []) if (p.match(node)) sum += p.weight;
      return sum;
    },
    normalizeScore: (_s, _pod, _nodes, scores) => defaultNormalizeScore(scores, false),
  };
}
