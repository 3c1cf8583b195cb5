/**
 * Topology counts for InterPodAffinity: "how many pods matching a term are in the domain
 * (topology key = value) of each node". Per-node counts come from the snapshot's incremental
 * counters; summing them into domains is O(nodes) per term, never O(pods).
 */
import { termMatches, type AffinityTerm } from '../../snapshot/affinity-term.js';
import type { PodPredicate } from '../../snapshot/match-counters.js';
import type { PodInfo } from '../../snapshot/pod-info.js';
import type { Snapshot } from '../../snapshot/snapshot.js';
import type { TermIndex } from '../../snapshot/term-index.js';

/** TopologyCounts: topology key → value → count (or weight sum when scoring). */
export type TopologyCounts = Map<string, Map<string, number>>;

/** addTo adds delta to counts[key][value]. */
export function addTo(counts: TopologyCounts, key: string, value: string, delta: number): void {
  let byValue = counts.get(key);
  if (byValue === undefined) {
    byValue = new Map();
    counts.set(key, byValue);
  }
  byValue.set(value, (byValue.get(value) ?? 0) + delta);
}

/** countOf reads counts[key][value] (0 when absent). */
export function countOf(counts: TopologyCounts, key: string, value: string): number {
  return counts.get(key)?.get(value) ?? 0;
}

/** allTermsPredicate counts the pods matching every one of the terms. */
export function allTermsPredicate(terms: readonly AffinityTerm[]): PodPredicate {
  return {
    key: `ipa-all|${terms.map((t) => t.key).join('&')}`,
    matches: (p: PodInfo) => terms.every((t) => termMatches(t, p.namespace, p.labels)),
  };
}

/** termPredicate counts the pods matching one term. */
export function termPredicate(t: AffinityTerm): PodPredicate {
  return { key: `ipa|${t.key}`, matches: (p: PodInfo) => termMatches(t, p.namespace, p.labels) };
}

/**
 * addDomainCounts: for every node with matching pods, add count × weight to each of `keys`'
 * domains of that node (nodes lacking a key are skipped for that key).
 */
export function addDomainCounts(out: TopologyCounts, snap: Snapshot, pred: PodPredicate,
  keys: readonly string[], weight: number): void {
  const perNode = snap.counters.perNode(pred, () => snap.placedPods());
  for (const [nodeName, n] of perNode) {
    const node = snap.node(nodeName);
    if (node === undefined) continue;
    for (const k of keys) {
      const v = node.labels[k];
      if (v !== undefined) addTo(out, k, v, n * weight);
    }
  }
}

/** addMatchingTerms adds weight × multiplier to the domains of every indexed term (placed pods'
 *  terms) that matches the pod being placed. */
function addMatchingTerms(out: TopologyCounts, idx: TermIndex, pod: PodInfo, snap: Snapshot,
  multiplier: number): void {
  for (const { term, perNode } of idx.values()) {
    if (!termMatches(term, pod.namespace, pod.labels)) continue;
    for (const [nodeName, weight] of perNode) {
      const v = snap.node(nodeName)?.labels[term.topologyKey];
      if (v !== undefined) addTo(out, term.topologyKey, v, weight * multiplier);
    }
  }
}

/**
 * existingAntiAffinityCounts: the domains where a placed pod's required anti-affinity term
 * matches the pod being placed (it may not join them).
 */
export function existingAntiAffinityCounts(pod: PodInfo, snap: Snapshot): TopologyCounts {
  const out: TopologyCounts = new Map();
  addMatchingTerms(out, snap.terms.requiredAntiAffinity, pod, snap, 1);
  return out;
}

/**
 * existingPodsScores adds what placed pods' own terms say about the pod being placed: their
 * required affinity (× HARD_POD_AFFINITY_WEIGHT), preferred affinity (+weight) and preferred
 * anti-affinity (-weight), in the domains of the nodes they are on.
 */
export function existingPodsScores(out: TopologyCounts, pod: PodInfo, snap: Snapshot): void {
  const t = snap.terms;
  addMatchingTerms(out, t.requiredAffinity, pod, snap, HARD_POD_AFFINITY_WEIGHT);
  addMatchingTerms(out, t.preferredAffinity, pod, snap, 1);
  addMatchingTerms(out, t.preferredAntiAffinity, pod, snap, -1);
}

/** HARD_POD_AFFINITY_WEIGHT: what a placed pod's required affinity adds to scores (upstream
 *  default of InterPodAffinityArgs.hardPodAffinityWeight). */
export const HARD_POD_AFFINITY_WEIGHT = 1;
