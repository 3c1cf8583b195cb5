/**
 * Pod affinity terms parsed once per pod: which namespaces a term looks at, its label selector
 * as a Selector, its topology key. Parsing happens when a pod enters the queue or the snapshot,
 * never per node checked. A term's `key` names its selector and namespaces canonically, so
 * pods with the same term share one incremental match counter (./match-counters.ts).
 */
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from '../../api/core/v1/pod-types.js';
import {
  compareStrings,
  fromLabelSelector,
  newRequirement,
  nothing,
  Selector,
  type Requirement,
} from '../../api/selectors/labels.js';

/** AffinityTerm is a parsed PodAffinityTerm. */
export interface AffinityTerm {
  /**
   * The namespaces whose pods the term matches; null = every namespace (namespaceSelector {}).
   * A non-empty namespaceSelector needs namespace labels, which the scheduler does not watch:
   * it matches no namespace (only the listed ones). Documented limitation.
   */
  readonly namespaces: ReadonlySet<string> | null;
  readonly selector: Selector;
  readonly topologyKey: string;
  /** key: canonical "namespaces|selector", equal for terms that match the same pods. */
  readonly key: string;
}

/** WeightedAffinityTerm is a parsed preferred term. */
export interface WeightedAffinityTerm {
  readonly term: AffinityTerm;
  readonly weight: number;
}

/** termMatches: does a pod (namespace, labels) satisfy the term's namespaces and selector. */
export function termMatches(
  t: AffinityTerm,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): boolean {
  return (t.namespaces === null || t.namespaces.has(namespace)) && t.selector.matches(labels);
}

/** selectorOf converts a LabelSelector, an invalid one (the API server validates, so only a
 *  bug) selecting nothing rather than crashing the scheduler. */
export function selectorOf(sel: unknown): Selector {
  try {
    return fromLabelSelector(sel);
  } catch {
    return nothing();
  }
}

/** withLabelKeys adds "key in (pod's value)" (match) or "key notin (...)" (mismatch)
 *  requirements for the keys the pod has (matchLabelKeys / mismatchLabelKeys). */
export function withLabelKeys(
  sel: Selector,
  labels: Readonly<Record<string, string>>,
  matchKeys: readonly string[] | undefined,
  mismatchKeys: readonly string[] | undefined,
): Selector {
  if (sel.nothing || ((matchKeys?.length ?? 0) === 0 && (mismatchKeys?.length ?? 0) === 0)) {
    return sel;
  }
  const extra: Requirement[] = [];
  const add = (keys: readonly string[] | undefined, op: 'in' | 'notin'): void => {
    for (const k of keys ?? []) {
      const v = labels[k];
      if (v === undefined) continue;
      try {
        extra.push(newRequirement(k, op, [v]));
      } catch {
        // An invalid key cannot be in the labels of a valid pod; ignore it.
      }
    }
  };
  add(matchKeys, 'in');
  add(mismatchKeys, 'notin');
  if (extra.length === 0) return sel;
  const reqs = [...sel.requirements, ...extra].sort((a, b) => compareStrings(a.key, b.key));
  return new Selector(reqs);
}

/** parseTerm parses one term of `pod` (its namespace is the default). */
export function parseTerm(pod: Pod, t: PodAffinityTerm): AffinityTerm {
  const podNs = pod.metadata.namespace ?? '';
  const labels = pod.metadata.labels ?? {};
  const selector = withLabelKeys(selectorOf(t.labelSelector), labels, t.matchLabelKeys,
    t.mismatchLabelKeys);
  let namespaces: Set<string> | null = new Set(t.namespaces ?? []);
  const nsSel = t.namespaceSelector;
  if (nsSel !== undefined && nsSel !== null && isEmptySelector(nsSel)) namespaces = null;
  else if (namespaces.size === 0 && (nsSel === undefined || nsSel === null)) namespaces.add(podNs);
  const nsKey = namespaces === null ? '*' : [...namespaces].sort().join(',');
  const key = `${nsKey}|${selector.nothing ? '<nothing>' : selector.toString()}`;
  return { namespaces, selector, topologyKey: t.topologyKey, key };
}

function isEmptySelector(s: { matchLabels?: object; matchExpressions?: unknown[] }): boolean {
  return Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
}

/** parseTerms parses a list of required terms. */
export function parseTerms(pod: Pod, terms: readonly PodAffinityTerm[] | undefined):
  AffinityTerm[] {
  return (terms ?? []).map((t) => parseTerm(pod, t));
}

/** parseWeightedTerms parses a list of preferred terms (weight 0 terms are dropped). */
export function parseWeightedTerms(
  pod: Pod,
  terms: readonly WeightedPodAffinityTerm[] | undefined,
): WeightedAffinityTerm[] {
  return (terms ?? [])
    .filter((w) => w.weight !== 0)
    .map((w) => ({ term: parseTerm(pod, w.podAffinityTerm), weight: w.weight }));
}
