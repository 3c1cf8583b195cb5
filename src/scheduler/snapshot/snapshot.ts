/**
 * Snapshot is the scheduler's view of the cluster: every node with the pods placed on it, bound
 * (seen through the informers) or ASSUMED (chosen by this scheduler, bind still in flight).
 * It is updated incrementally from the informers' events between scheduling cycles and read by
 * the plugins during a cycle; a cycle runs synchronously, so it never sees a half-applied event
 * and nothing is copied per pod. An assumed pod counts at once, so the next pod does not pick a
 * node on the strength of resources that a bind in flight is about to use.
 */
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import { assert } from '../../base/assert.js';
import { MatchCounters, type PlacedPod } from './match-counters.js';
import { NodeInfo } from './node-info.js';
import type { AffinityTerm } from './affinity-term.js';
import type { PodInfo } from './pod-info.js';
import { TermIndex } from './term-index.js';

export type { PlacedPod } from './match-counters.js';

/** MAX_TOPOLOGY_KEYS bounds the topology keys indexed (zone, hostname, region: a handful). */
export const MAX_TOPOLOGY_KEYS = 32;

/** TopologyDomains: one key's values with their node counts, and the nodes having the key. */
interface TopologyDomains {
  readonly byValue: Map<string, number>;
  nodes: number;
}

/** Snapshot: node infos, placed pods and the indexes plugins need. */
export class Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  /** nodeList: the nodes that have a Node object; the order filters walk (not sorted). */
  readonly nodeList: NodeInfo[] = [];
  private readonly placed = new Map<string, PlacedPod>();
  private readonly assumedKeys = new Set<string>();
  /** The placed pods' affinity terms by kind (weight 1 for required terms). */
  readonly terms = {
    requiredAffinity: new TermIndex(),
    requiredAntiAffinity: new TermIndex(),
    preferredAffinity: new TermIndex(),
    preferredAntiAffinity: new TermIndex(),
  };
  /** counters: per-node counts of pods matching a selector, kept incrementally. */
  readonly counters = new MatchCounters();
  /** domains: for the topology keys asked about, value → how many listed nodes have it. */
  private readonly domains = new Map<string, TopologyDomains>();

  /** numNodes: nodes with a Node object. */
  numNodes(): number {
    return this.nodeList.length;
  }

  /** node: a node's info (undefined when unknown or without a Node object). */
  node(name: string): NodeInfo | undefined {
    const ni = this.infos.get(name);
    return ni?.node !== undefined ? ni : undefined;
  }

  /** setNode adds or updates a node. */
  setNode(node: Node): void {
    const name = node.metadata.name ?? '';
    assert(name !== '', 'Snapshot.setNode: node without a name');
    const ni = this.infoFor(name);
    if (ni.listIndex >= 0) this.countDomains(ni.labels, -1);
    ni.setNode(node);
    this.countDomains(ni.labels, 1);
    if (ni.listIndex < 0) {
      ni.listIndex = this.nodeList.length;
      this.nodeList.push(ni);
    }
  }

  /**
   * topologyDomains: the values of a topology key among the nodes, each with how many nodes
   * carry it (PodTopologySpread's domains, without walking every node per pod). The first call
   * for a key scans the nodes; after that the index follows node events. Keys are bounded.
   */
  topologyDomains(key: string): ReadonlyMap<string, number> {
    return this.domainsOf(key).byValue;
  }

  /** nodesWithKey: how many nodes carry the topology key. */
  nodesWithKey(key: string): number {
    return this.domainsOf(key).nodes;
  }

  private domainsOf(key: string): TopologyDomains {
    let d = this.domains.get(key);
    if (d !== undefined) return d;
    d = { byValue: new Map(), nodes: 0 };
    for (const ni of this.nodeList) {
      const v = ni.labels[key];
      if (v === undefined) continue;
      d.byValue.set(v, (d.byValue.get(v) ?? 0) + 1);
      d.nodes++;
    }
    if (this.domains.size >= MAX_TOPOLOGY_KEYS) this.domains.clear();
    this.domains.set(key, d);
    return d;
  }

  private countDomains(labels: Readonly<Record<string, string>>, delta: number): void {
    for (const [key, d] of this.domains) {
      const v = labels[key];
      if (v === undefined) continue;
      const n = (d.byValue.get(v) ?? 0) + delta;
      assert(n >= 0, `topology domain ${key}=${v} below zero`);
      if (n === 0) d.byValue.delete(v);
      else d.byValue.set(v, n);
      d.nodes += delta;
    }
  }

  /** removeNode drops a node; its pods stay counted until they are removed themselves. */
  removeNode(name: string): void {
    const ni = this.infos.get(name);
    if (ni === undefined || ni.listIndex < 0) return;
    const last = this.nodeList.pop();
    assert(last !== undefined, 'Snapshot.removeNode: empty node list');
    if (last !== ni) {
      this.nodeList[ni.listIndex] = last;
      last.listIndex = ni.listIndex;
    }
    this.countDomains(ni.labels, -1);
    ni.listIndex = -1;
    ni.node = undefined;
    if (ni.pods.size === 0) this.infos.delete(name);
  }

  /**
   * addPod places a pod the informers show bound to nodeName. An assumed pod of the same key is
   * replaced (the bind has been observed: the assumption is confirmed).
   */
  addPod(info: PodInfo, nodeName: string): void {
    if (this.placed.has(info.key)) this.removePod(info.key);
    this.place(info, nodeName);
  }

  /** assume places a pod this scheduler chose, before its bind is acknowledged. */
  assume(info: PodInfo, nodeName: string): void {
    assert(!this.placed.has(info.key), `assume: pod ${info.key} is already placed`);
    this.place(info, nodeName);
    this.assumedKeys.add(info.key);
  }

  /** forget undoes assume after a failed bind; a no-op if the pod was confirmed or removed. */
  forget(key: string): void {
    if (this.assumedKeys.has(key)) this.removePod(key);
  }

  /** isAssumed: the pod is placed only on this scheduler's word. */
  isAssumed(key: string): boolean {
    return this.assumedKeys.has(key);
  }

  /** placement: where a pod is placed, if it is. */
  placement(key: string): PlacedPod | undefined {
    return this.placed.get(key);
  }

  /** removePod takes a pod off its node; returns its placement (undefined if none). */
  removePod(key: string): PlacedPod | undefined {
    const p = this.placed.get(key);
    if (p === undefined) return undefined;
    this.placed.delete(key);
    this.assumedKeys.delete(key);
    if (p.info.hasAffinity) this.indexTerms(p.info, p.nodeName, -1);
    const ni = this.infos.get(p.nodeName);
    assert(ni !== undefined, `removePod: node ${p.nodeName} of ${key} unknown`);
    ni.removePod(p.info);
    this.counters.podRemoved(p.info, p.nodeName);
    if (ni.pods.size === 0 && ni.listIndex < 0) this.infos.delete(p.nodeName);
    return p;
  }

  /** placedPods iterates every placed pod (counter builds; O(pods)). */
  placedPods(): Iterable<PlacedPod> {
    return this.placed.values();
  }

  /** numPlacedPods: bound and assumed pods. */
  numPlacedPods(): number {
    return this.placed.size;
  }

  private place(info: PodInfo, nodeName: string): void {
    assert(nodeName !== '', `place: pod ${info.key} without a node`);
    const p: PlacedPod = { info, nodeName };
    this.placed.set(info.key, p);
    this.infoFor(nodeName).addPod(info);
    if (info.hasAffinity) this.indexTerms(info, nodeName, 1);
    this.counters.podAdded(info, nodeName);
  }

  /** indexTerms adds (sign 1) or removes (-1) a pod's terms in the term indexes. */
  private indexTerms(info: PodInfo, nodeName: string, sign: 1 | -1): void {
    const t = this.terms;
    const apply = (idx: TermIndex, term: AffinityTerm, weight: number): void => {
      if (sign > 0) idx.add(term, nodeName, weight);
      else idx.remove(term, nodeName, weight);
    };
    for (const term of info.requiredAffinity) apply(t.requiredAffinity, term, 1);
    for (const term of info.requiredAntiAffinity) apply(t.requiredAntiAffinity, term, 1);
    for (const w of info.preferredAffinity) apply(t.preferredAffinity, w.term, w.weight);
    for (const w of info.preferredAntiAffinity) apply(t.preferredAntiAffinity, w.term, w.weight);
  }

  private infoFor(name: string): NodeInfo {
    let ni = this.infos.get(name);
    if (ni === undefined) {
      ni = new NodeInfo(name);
      this.infos.set(name, ni);
    }
    return ni;
  }
}
