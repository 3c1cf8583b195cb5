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
import type { PodInfo } from './pod-info.js';

export type { PlacedPod } from './match-counters.js';

/** Snapshot: node infos, placed pods and the indexes plugins need. */
export class Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  /** nodeList: the nodes that have a Node object; the order filters walk (not sorted). */
  readonly nodeList: NodeInfo[] = [];
  private readonly placed = new Map<string, PlacedPod>();
  private readonly assumedKeys = new Set<string>();
  /** podsWithAffinity: placed pods with any pod (anti-)affinity term, by key. */
  readonly podsWithAffinity = new Map<string, PlacedPod>();
  /** podsWithRequiredAntiAffinity: placed pods with a required anti-affinity term, by key. */
  readonly podsWithRequiredAntiAffinity = new Map<string, PlacedPod>();
  /** counters: per-node counts of pods matching a selector, kept incrementally. */
  readonly counters = new MatchCounters();

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
    ni.setNode(node);
    if (ni.listIndex < 0) {
      ni.listIndex = this.nodeList.length;
      this.nodeList.push(ni);
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
    this.podsWithAffinity.delete(key);
    this.podsWithRequiredAntiAffinity.delete(key);
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
    if (info.hasAffinity) this.podsWithAffinity.set(info.key, p);
    if (info.requiredAntiAffinity.length > 0) this.podsWithRequiredAntiAffinity.set(info.key, p);
    this.counters.podAdded(info, nodeName);
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
