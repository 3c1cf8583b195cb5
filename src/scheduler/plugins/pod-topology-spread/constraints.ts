/**
 * PodTopologySpread's parsed constraints and domain counting. A constraint counts, per value of
 * its topology key (a domain: a zone, a host), the placed pods in the pod's namespace matching
 * its selector — terminating pods excluded — over the nodes eligible for the pod: nodes with
 * every constraint's key, and (nodeAffinityPolicy Honor, the default) matching the pod's node
 * selector and affinity, and (nodeTaintsPolicy Honor, not the default) whose taints it tolerates.
 * Per-node counts come from the snapshot's incremental counters, so counting is O(nodes).
 */
import type { Pod } from '../../../api/core/v1/pod-types.js';
import type { Selector } from '../../../api/selectors/labels.js';
import { selectorOf, withLabelKeys } from '../../snapshot/affinity-term.js';
import type { PodPredicate } from '../../snapshot/match-counters.js';
import type { NodeInfo } from '../../snapshot/node-info.js';
import type { PodInfo } from '../../snapshot/pod-info.js';
import type { Snapshot } from '../../snapshot/snapshot.js';
import type { NodePredicate } from '../helpers/node-selector.js';
import { firstUntoleratedTaint } from '../helpers/taints.js';

/** HOSTNAME_LABEL: the topology key whose domains are single nodes. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** Constraint is a parsed TopologySpreadConstraint. */
export interface Constraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: Selector;
  readonly minDomains: number;
  readonly honorNodeAffinity: boolean;
  readonly honorTaints: boolean;
  /** selfMatch: 1 when the pod being placed matches its own selector (it adds to a domain). */
  readonly selfMatch: number;
  /** counted: the pods this constraint counts (a snapshot counter's predicate). */
  readonly counted: PodPredicate;
}

/** parseConstraints: the pod's constraints with the given whenUnsatisfiable. */
export function parseConstraints(pod: Pod, when: 'DoNotSchedule' | 'ScheduleAnyway'):
  Constraint[] {
  const ns = pod.metadata.namespace ?? '';
  const labels = pod.metadata.labels ?? {};
  return (pod.spec?.topologySpreadConstraints ?? [])
    .filter((c) => c.whenUnsatisfiable === when)
    .map((c) => {
      const selector = withLabelKeys(selectorOf(c.labelSelector), labels, c.matchLabelKeys,
        undefined);
      const key = `pts|${ns}|${selector.nothing ? '<nothing>' : selector.toString()}`;
      const counted: PodPredicate = {
        key,
        matches: (p: PodInfo) => !p.terminating && p.namespace === ns && selector.matches(p.labels),
      };
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector,
        minDomains: c.minDomains ?? 1,
        honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
        honorTaints: c.nodeTaintsPolicy === 'Honor',
        selfMatch: selector.matches(labels) ? 1 : 0,
        counted,
      };
    });
}

/** hasAllKeys: the node has every constraint's topology key. */
export function hasAllKeys(node: NodeInfo, cs: readonly Constraint[]): boolean {
  for (const c of cs) if (node.labels[c.topologyKey] === undefined) return false;
  return true;
}

/** eligible: the node passes the constraint's node inclusion policies for this pod. */
export function eligible(c: Constraint, pod: PodInfo, node: NodeInfo,
  affinity: NodePredicate | null): boolean {
  if (c.honorNodeAffinity && affinity !== null && !affinity(node)) return false;
  if (c.honorTaints && firstUntoleratedTaint(node.taints, pod.tolerations) !== undefined) {
    return false;
  }
  return true;
}

/** perNodeCounts: each constraint's matching pods per node name, from the snapshot counters. */
export function perNodeCounts(snap: Snapshot, cs: readonly Constraint[]):
  ReadonlyMap<string, number>[] {
  return cs.map((c) => snap.counters.perNode(c.counted, () => snap.placedPods()));
}

/** DomainCounts: one constraint's matching pods per domain. */
export interface DomainCounts {
  /** counts: domain value → matching pods; a domain of an eligible node may be absent (0). */
  readonly counts: Map<string, number>;
  /** numDomains: how many domains the eligible nodes form (those absent from counts too). */
  readonly numDomains: number;
}

/**
 * domainCounts: for each constraint, matching pods per domain over the eligible nodes. With
 * `only` (domain values per constraint), just those domains are counted (scoring counts only the
 * domains of the feasible nodes). When every node is eligible — the pod has no node affinity,
 * taints are not honoured and every node has every key, the usual case — the counts come from
 * the nodes that hold matching pods and the snapshot's domain index: O(those nodes), not
 * O(all nodes).
 */
export function domainCounts(snap: Snapshot, pod: PodInfo, cs: readonly Constraint[],
  perNode: readonly ReadonlyMap<string, number>[], affinity: NodePredicate | null,
  only?: readonly ReadonlySet<string>[]): DomainCounts[] {
  const n = snap.numNodes();
  const allEligible = affinity === null && cs.every((c) => !c.honorTaints &&
    snap.nodesWithKey(c.topologyKey) === n);
  if (allEligible) {
    return cs.map((c, i) => {
      const counts = new Map<string, number>();
      for (const [nodeName, k] of perNode[i]!) {
        const v = snap.node(nodeName)?.labels[c.topologyKey];
        if (v === undefined || (only !== undefined && !only[i]!.has(v))) continue;
        counts.set(v, (counts.get(v) ?? 0) + k);
      }
      return { counts, numDomains: snap.topologyDomains(c.topologyKey).size };
    });
  }
  return slowDomainCounts(snap, pod, cs, perNode, affinity, only);
}

/** slowDomainCounts walks every node, checking each constraint's inclusion policies. */
function slowDomainCounts(snap: Snapshot, pod: PodInfo, cs: readonly Constraint[],
  perNode: readonly ReadonlyMap<string, number>[], affinity: NodePredicate | null,
  only: readonly ReadonlySet<string>[] | undefined): DomainCounts[] {
  const out = cs.map(() => new Map<string, number>());
  for (const node of snap.nodeList) {
    if (!hasAllKeys(node, cs)) continue;
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i]!;
      if (!eligible(c, pod, node, affinity)) continue;
      const value = node.labels[c.topologyKey]!;
      if (only !== undefined && !only[i]!.has(value)) continue;
      const counts = out[i]!;
      counts.set(value, (counts.get(value) ?? 0) + (perNode[i]!.get(node.name) ?? 0));
    }
  }
  return out.map((counts) => ({ counts, numDomains: counts.size }));
}
