/**
 * Topology counts for InterPodAffinity: "how many pods matching a term are in the domain
 * (topology key = value) of each node". Per-node counts come from the snapshot's incremental
 * counters; summing them into domains is O(nodes) per term, never O(pods).
 */
import {
  termMatches,
  type AffinityTerm,
  type WeightedAffinityTerm,
} from '../../snapshot/affinity-term.js';
import type { PodPredicate } from '../../snapshot/match-counters.js';
import type { PodInfo } from '../../snapshot/pod-info.js';
import type { Snapshot } from '../../snapshot/snapshot.js';

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

/**
 * existingAntiAffinityCounts: the domains where a placed pod's required anti-affinity term
 * matches the pod being placed (it may not join them).
 */
export function existingAntiAffinityCounts(pod: PodInfo, snap: Snapshot): TopologyCounts {
  const out: TopologyCounts = new Map();
  for (const p of snap.podsWithRequiredAntiAffinity.values()) {
    const node = snap.node(p.nodeName);
    if (node === undefined) continue;
    for (const t of p.info.requiredAntiAffinity) {
      const v = node.labels[t.topologyKey];
      if (v !== undefined && termMatches(t, pod.namespace, pod.labels)) {
        addTo(out, t.topologyKey, v, 1);
      }
    }
  }
  return out;
}

/**
 * existingPodsScores adds what placed pods' own terms say about the pod being placed: their
 * required affinity (weight 1, upstream's hardPodAffinityWeight), preferred affinity (+weight)
 * and preferred anti-affinity (-weight), in the domains of the nodes they are on.
 */
export function existingPodsScores(out: TopologyCounts, pod: PodInfo, snap: Snapshot): void {
  const apply = (terms: readonly WeightedAffinityTerm[], sign: number,
    labels: Readonly<Record<string, string>>): void => {
    for (const w of terms) {
      const v = labels[w.term.topologyKey];
      if (v !== undefined && termMatches(w.term, pod.namespace, pod.labels)) {
        addTo(out, w.term.topologyKey, v, sign * w.weight);
      }
    }
  };
  for (const p of snap.podsWithAffinity.values()) {
    const node = snap.node(p.nodeName);
    if (node === undefined) continue;
    const hard = p.info.requiredAffinity
      .map((term) => ({ term, weight: HARD_POD_AFFINITY_WEIGHT }));
    apply(hard, 1, node.labels);
    apply(p.info.preferredAffinity, 1, node.labels);
    apply(p.info.preferredAntiAffinity, -1, node.labels);
  }
}

/** HARD_POD_AFFINITY_WEIGHT: what a placed pod's required affinity adds to scores (upstream
 *  default of InterPodAffinityArgs.hardPodAffinityWeight). */
export const HARD_POD_AFFINITY_WEIGHT = 1;
