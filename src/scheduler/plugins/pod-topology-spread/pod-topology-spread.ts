/**
 * PodTopologySpread: keep matching pods evenly spread over topology domains. Filter (the
 * DoNotSchedule constraints): placing the pod in a node's domain must not make that domain
 * exceed the least populated one by more than maxSkew. Score (the ScheduleAnyway constraints):
 * fewer matching pods in the node's domain is better, weighted by log(domains + 2). Pods
 * without constraints skip both (the system default constraints are not applied).
 */
import { stateKey } from '../../framework/cycle-state.js';
import type { Plugin } from '../../framework/interfaces.js';
import { MAX_NODE_SCORE } from '../../framework/interfaces.js';
import { skip, unresolvable, unschedulable } from '../../framework/status.js';
import type { NodeInfo } from '../../snapshot/node-info.js';
import type { PodInfo } from '../../snapshot/pod-info.js';
import type { Snapshot } from '../../snapshot/snapshot.js';
import { requiredNodeAffinity } from '../helpers/node-selector.js';
import {
  domainCounts,
  hasAllKeys,
  HOSTNAME_LABEL,
  parseConstraints,
  perNodeCounts,
  type Constraint,
} from './constraints.js';

/** POD_TOPOLOGY_SPREAD is the plugin's name. */
export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
/** ERR_REASON_CONSTRAINTS_NOT_MATCH is upstream's reason text. */
export const ERR_REASON_CONSTRAINTS_NOT_MATCH =
  "node(s) didn't match pod topology spread constraints";
/** ERR_REASON_NODE_LABEL_NOT_MATCH: the node lacks a constraint's topology key. */
export const ERR_REASON_NODE_LABEL_NOT_MATCH =
  `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

interface FilterState {
  readonly constraints: readonly Constraint[];
  readonly counts: readonly ReadonlyMap<string, number>[];
  /** minMatch: per constraint, the least populated eligible domain's count (Infinity: none). */
  readonly minMatch: readonly number[];
}

interface ScoreState {
  readonly constraints: readonly Constraint[];
  readonly counts: readonly ReadonlyMap<string, number>[];
  readonly perNode: readonly ReadonlyMap<string, number>[];
  readonly weights: readonly number[];
  readonly ignored: ReadonlySet<string>;
}

const FILTER = stateKey<FilterState>('PodTopologySpread/filter');
const SCORE = stateKey<ScoreState>('PodTopologySpread/score');
const SKIP = skip(POD_TOPOLOGY_SPREAD);
const MISSING_LABEL = unresolvable(POD_TOPOLOGY_SPREAD, ERR_REASON_NODE_LABEL_NOT_MATCH);
const SKEWED = unschedulable(POD_TOPOLOGY_SPREAD, ERR_REASON_CONSTRAINTS_NOT_MATCH);

function filterState(pod: PodInfo, snap: Snapshot): FilterState | undefined {
  const constraints = parseConstraints(pod.pod, 'DoNotSchedule');
  if (constraints.length === 0) return undefined;
  const affinity = requiredNodeAffinity(pod.pod);
  const domains = domainCounts(snap, pod, constraints, perNodeCounts(snap, constraints),
    affinity);
  const minMatch = constraints.map((c, i) => {
    const { counts, numDomains } = domains[i]!;
    if (numDomains < c.minDomains) return 0;
    if (counts.size < numDomains) return 0; // a domain without matching pods
    let min = Infinity;
    for (const n of counts.values()) if (n < min) min = n;
    return min;
  });
  return { constraints, counts: domains.map((d) => d.counts), minMatch };
}

function filter(st: FilterState, node: NodeInfo): ReturnType<NonNullable<Plugin['filter']>> {
  for (let i = 0; i < st.constraints.length; i++) {
    const c = st.constraints[i]!;
    const value = node.labels[c.topologyKey];
    if (value === undefined) return MISSING_LABEL;
    const skew = (st.counts[i]!.get(value) ?? 0) + c.selfMatch - st.minMatch[i]!;
    if (skew > c.maxSkew) return SKEWED;
  }
  return null;
}

function scoreState(pod: PodInfo, nodes: readonly NodeInfo[], snap: Snapshot):
  ScoreState | undefined {
  const constraints = parseConstraints(pod.pod, 'ScheduleAnyway');
  if (constraints.length === 0) return undefined;
  const ignored = new Set<string>();
  const only = constraints.map(() => new Set<string>());
  for (const node of nodes) {
    if (!hasAllKeys(node, constraints)) {
      ignored.add(node.name);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey !== HOSTNAME_LABEL) only[i]!.add(node.labels[c.topologyKey]!);
    });
  }
  const weights = constraints.map((c, i) => Math.log(
    (c.topologyKey === HOSTNAME_LABEL ? nodes.length - ignored.size : only[i]!.size) + 2));
  const perNode = perNodeCounts(snap, constraints);
  const affinity = requiredNodeAffinity(pod.pod);
  const counts = domainCounts(snap, pod, constraints, perNode, affinity, only)
    .map((d) => d.counts);
  return { constraints, counts, perNode, weights, ignored };
}

function score(st: ScoreState, node: NodeInfo): number {
  if (st.ignored.has(node.name)) return 0;
  let sum = 0;
  for (let i = 0; i < st.constraints.length; i++) {
    const c = st.constraints[i]!;
    const value = node.labels[c.topologyKey];
    if (value === undefined) continue;
    const cnt = c.topologyKey === HOSTNAME_LABEL
      ? (st.perNode[i]!.get(node.name) ?? 0)
      : (st.counts[i]!.get(value) ?? 0);
    sum += cnt * st.weights[i]! + (c.maxSkew - 1);
  }
  return Math.round(sum);
}

/** normalize: fewer is better; ignored nodes (missing a key) get 0 (upstream's formula). */
function normalize(st: ScoreState, nodes: readonly NodeInfo[], scores: number[]): void {
  let min = Infinity;
  let max = 0;
  nodes.forEach((n, i) => {
    if (st.ignored.has(n.name)) return;
    min = Math.min(min, scores[i]!);
    max = Math.max(max, scores[i]!);
  });
  nodes.forEach((n, i) => {
    if (st.ignored.has(n.name)) scores[i] = 0;
    else if (max === 0) scores[i] = MAX_NODE_SCORE;
    else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
  });
}

/** podTopologySpreadPlugin builds the plugin. */
export function podTopologySpreadPlugin(): Plugin {
  return {
    name: POD_TOPOLOGY_SPREAD,
    events: ['PodAdd', 'PodDelete', 'PodLabel', 'NodeAdd', 'NodeDelete', 'NodeLabel', 'NodeTaint'],
    preFilter: (s, pod, snap) => {
      const st = filterState(pod, snap);
      if (st === undefined) return SKIP;
      s.write(FILTER, st);
      return null;
    },
    filter: (s, _pod, node) => {
      const st = s.read(FILTER);
      return st === undefined ? null : filter(st, node);
    },
    preScore: (s, pod, nodes, snap) => {
      const st = scoreState(pod, nodes, snap);
      if (st === undefined) return SKIP;
      s.write(SCORE, st);
      return null;
    },
    score: (s, _pod, node) => {
      const st = s.read(SCORE);
      return st === undefined ? 0 : score(st, node);
    },
    normalizeScore: (s, _pod, nodes, scores) => {
      const st = s.read(SCORE);
      if (st !== undefined) normalize(st, nodes, scores);
    },
  };
}
