/**
 * InterPodAffinity: required pod affinity (the pod must share a domain with matching pods),
 * required anti-affinity (it must not), and placed pods' required anti-affinity against the pod
 * (filter); preferred terms on both sides move scores. Pods without terms, in a cluster where no
 * placed pod has any, skip both: the common case costs nothing.
 */
import { stateKey } from '../../framework/cycle-state.js';
import type { Plugin } from '../../framework/interfaces.js';
import { MAX_NODE_SCORE } from '../../framework/interfaces.js';
import { skip, unresolvable, unschedulable, type MaybeStatus } from '../../framework/status.js';
import { termMatches } from '../../snapshot/affinity-term.js';
import type { NodeInfo } from '../../snapshot/node-info.js';
import type { PodInfo } from '../../snapshot/pod-info.js';
import type { Snapshot } from '../../snapshot/snapshot.js';
import {
  addDomainCounts,
  allTermsPredicate,
  countOf,
  existingAntiAffinityCounts,
  existingPodsScores,
  termPredicate,
  type TopologyCounts,
} from './counts.js';

/** INTER_POD_AFFINITY is the plugin's name. */
export const INTER_POD_AFFINITY = 'InterPodAffinity';
/** Upstream's reason texts. */
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY =
  "node(s) didn't satisfy existing pods anti-affinity rules";

interface FilterState {
  readonly existingAnti: TopologyCounts;
  readonly affinity: TopologyCounts;
  readonly anti: TopologyCounts;
  /** selfMatch: the pod matches all its own affinity terms (the first of a group may start
   *  a domain when no matching pod exists anywhere). */
  readonly selfMatch: boolean;
}

const FILTER = stateKey<FilterState>('InterPodAffinity/filter');
const SCORE = stateKey<TopologyCounts>('InterPodAffinity/score');
const SKIP = skip(INTER_POD_AFFINITY);
const AFFINITY = unresolvable(INTER_POD_AFFINITY, ERR_REASON_AFFINITY);
const ANTI = unschedulable(INTER_POD_AFFINITY, ERR_REASON_ANTI_AFFINITY);
const EXISTING_ANTI = unschedulable(INTER_POD_AFFINITY, ERR_REASON_EXISTING_ANTI_AFFINITY);

function filterState(pod: PodInfo, snap: Snapshot): FilterState | undefined {
  const existingAnti = existingAntiAffinityCounts(pod, snap);
  const terms = pod.requiredAffinity;
  if (terms.length === 0 && pod.requiredAntiAffinity.length === 0 && existingAnti.size === 0) {
    return undefined;
  }
  const affinity: TopologyCounts = new Map();
  if (terms.length > 0) {
    addDomainCounts(affinity, snap, allTermsPredicate(terms), terms.map((t) => t.topologyKey), 1);
  }
  const anti: TopologyCounts = new Map();
  for (const t of pod.requiredAntiAffinity) {
    addDomainCounts(anti, snap, termPredicate(t), [t.topologyKey], 1);
  }
  const selfMatch = terms.every((t) => termMatches(t, pod.namespace, pod.labels));
  return { existingAnti, affinity, anti, selfMatch };
}

function filter(st: FilterState, pod: PodInfo, node: NodeInfo): MaybeStatus {
  let podsExist = true;
  for (const t of pod.requiredAffinity) {
    const v = node.labels[t.topologyKey];
    if (v === undefined) return AFFINITY;
    if (countOf(st.affinity, t.topologyKey, v) <= 0) podsExist = false;
  }
  if (!podsExist && !(st.affinity.size === 0 && st.selfMatch)) return AFFINITY;
  for (const t of pod.requiredAntiAffinity) {
    const v = node.labels[t.topologyKey];
    if (v !== undefined && countOf(st.anti, t.topologyKey, v) > 0) return ANTI;
  }
  for (const [key, byValue] of st.existingAnti) {
    const v = node.labels[key];
    if (v !== undefined && (byValue.get(v) ?? 0) > 0) return EXISTING_ANTI;
  }
  return null;
}

function scoreState(pod: PodInfo, snap: Snapshot): TopologyCounts | undefined {
  const out: TopologyCounts = new Map();
  for (const w of pod.preferredAffinity) {
    addDomainCounts(out, snap, termPredicate(w.term), [w.term.topologyKey], w.weight);
  }
  for (const w of pod.preferredAntiAffinity) {
    addDomainCounts(out, snap, termPredicate(w.term), [w.term.topologyKey], -w.weight);
  }
  existingPodsScores(out, pod, snap);
  return out.size === 0 ? undefined : out;
}

function score(st: TopologyCounts, node: NodeInfo): number {
  let sum = 0;
  for (const [key, byValue] of st) {
    const v = node.labels[key];
    if (v !== undefined) sum += byValue.get(v) ?? 0;
  }
  return sum;
}

/** normalize maps [min, max] onto [0, MAX_NODE_SCORE] (all equal: all 0). */
function normalize(scores: number[]): void {
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const diff = max - min;
  for (let i = 0; i < scores.length; i++) {
    scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i]! - min)) / diff) : 0;
  }
}

/** interPodAffinityPlugin builds the plugin. */
export function interPodAffinityPlugin(): Plugin {
  return {
    name: INTER_POD_AFFINITY,
    events: ['PodAdd', 'PodDelete', 'PodLabel', 'NodeAdd', 'NodeLabel'],
    preFilter: (s, pod, snap) => {
      const st = filterState(pod, snap);
      if (st === undefined) return SKIP;
      s.write(FILTER, st);
      return null;
    },
    filter: (s, pod, node) => {
      const st = s.read(FILTER);
      return st === undefined ? null : filter(st, pod, node);
    },
    preScore: (s, pod, _nodes, snap) => {
      const st = scoreState(pod, snap);
      if (st === undefined) return SKIP;
      s.write(SCORE, st);
      return null;
    },
    score: (s, _pod, node) => {
      const st = s.read(SCORE);
      return st === undefined ? 0 : score(st, node);
    },
    normalizeScore: (_s, _pod, _nodes, scores) => normalize(scores),
  };
}
