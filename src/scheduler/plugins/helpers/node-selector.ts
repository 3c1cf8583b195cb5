/**
 * Node selection (core/v1 NodeSelector): nodeSelectorTerms are ORed, a term's matchExpressions
 * and matchFields are ANDed, and a term with neither matches no node. Operators In, NotIn,
 * Exists, DoesNotExist, Gt and Lt on labels; matchFields on metadata.name only (In, NotIn).
 * Terms are compiled once per pod; matching a node is then plain string comparisons.
 */
import type {
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
} from '../../../api/core/v1/pod-types.js';

/** NodeFacts: what node selection reads from a node. */
export interface NodeFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** NodePredicate matches one node. */
export type NodePredicate = (n: NodeFacts) => boolean;

const INTEGER = /^[+-]?\d+$/;
const NEVER: NodePredicate = () => false;

function labelRequirement(r: NodeSelectorRequirement): NodePredicate {
  const values = r.values ?? [];
  const key = r.key;
  switch (r.operator) {
    case 'In':
      return (n) => n.labels[key] !== undefined && values.includes(n.labels[key]);
    case 'NotIn':
      return (n) => n.labels[key] === undefined || !values.includes(n.labels[key]);
    case 'Exists':
      return (n) => n.labels[key] !== undefined;
    case 'DoesNotExist':
      return (n) => n.labels[key] === undefined;
    case 'Gt':
    case 'Lt': {
      const want = values.length === 1 && INTEGER.test(values[0] ?? '') ? Number(values[0]) : NaN;
      if (Number.isNaN(want)) return NEVER;
      const gt = r.operator === 'Gt';
      return (n) => {
        const v = n.labels[key];
        if (v === undefined || !INTEGER.test(v)) return false;
        return gt ? Number(v) > want : Number(v) < want;
      };
    }
    default:
      return NEVER;
  }
}

function fieldRequirement(r: NodeSelectorRequirement): NodePredicate {
  if (r.key !== 'metadata.name') return NEVER;
  const values = r.values ?? [];
  if (r.operator === 'In') return (n) => values.includes(n.name);
  if (r.operator === 'NotIn') return (n) => !values.includes(n.name);
  return NEVER;
}

/** compileTerm: a term's predicate (an empty term matches nothing). */
export function compileTerm(t: NodeSelectorTerm): NodePredicate {
  const preds = [
    ...(t.matchExpressions ?? []).map(labelRequirement),
    ...(t.matchFields ?? []).map(fieldRequirement),
  ];
  if (preds.length === 0) return NEVER;
  if (preds.length === 1) return preds[0]!;
  return (n) => preds.every((p) => p(n));
}

/** compileTerms: the OR of terms (no terms: matches nothing). */
export function compileTerms(terms: readonly NodeSelectorTerm[]): NodePredicate {
  const preds = terms.map(compileTerm);
  if (preds.length === 1) return preds[0]!;
  return (n) => preds.some((p) => p(n));
}

/**
 * requiredNodeAffinity: spec.nodeSelector AND the required node affinity of a pod, or null
 * when the pod has neither (every node matches).
 */
export function requiredNodeAffinity(pod: Pod): NodePredicate | null {
  const sel = Object.entries(pod.spec?.nodeSelector ?? {});
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (sel.length === 0 && required === undefined) return null;
  const bySelector: NodePredicate = (n) => sel.every(([k, v]) => n.labels[k] === v);
  if (required === undefined) return bySelector;
  const byAffinity = compileTerms(required.nodeSelectorTerms ?? []);
  if (sel.length === 0) return byAffinity;
  return (n) => bySelector(n) && byAffinity(n);
}
