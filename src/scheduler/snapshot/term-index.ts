/**
 * TermIndex groups the affinity terms of placed pods: pods of one Deployment carry the same
 * term, so "which placed pods' terms match the pod being scheduled" is answered per distinct
 * term (a handful) instead of per placed pod (thousands). Each entry keeps, per node, the sum of
 * the weights its pods put on the term; a plugin turns those into topology domains with the
 * nodes' current labels, so node label changes need no re-indexing.
 */
import { assert } from '../../base/assert.js';
import type { AffinityTerm } from './affinity-term.js';

/** IndexedTerm: one distinct term (selector, namespaces, topology key) and its weights. */
export interface IndexedTerm {
  readonly term: AffinityTerm;
  /** perNode: node name → summed weight of the placed pods' copies of this term. */
  readonly perNode: Map<string, number>;
}

interface Entry extends IndexedTerm {
  /** refs: copies of the term held by placed pods (the entry goes when it reaches 0). */
  refs: number;
}

/** TermIndex: the terms of one kind (say, required anti-affinity) of all placed pods. */
export class TermIndex {
  private readonly entries = new Map<string, Entry>();

  /** add counts one pod's copy of term, on nodeName, with weight. */
  add(term: AffinityTerm, nodeName: string, weight: number): void {
    const key = `${term.key}|${term.topologyKey}`;
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { term, perNode: new Map(), refs: 0 };
      this.entries.set(key, e);
    }
    e.refs++;
    e.perNode.set(nodeName, (e.perNode.get(nodeName) ?? 0) + weight);
  }

  /** remove undoes add. */
  remove(term: AffinityTerm, nodeName: string, weight: number): void {
    const key = `${term.key}|${term.topologyKey}`;
    const e = this.entries.get(key);
    assert(e !== undefined && e.refs > 0, `TermIndex.remove: ${key} not indexed`);
    e.refs--;
    if (e.refs === 0) {
      this.entries.delete(key);
      return;
    }
    const w = (e.perNode.get(nodeName) ?? 0) - weight;
    if (w === 0) e.perNode.delete(nodeName);
    else e.perNode.set(nodeName, w);
  }

  /** values: every distinct term. */
  values(): IterableIterator<IndexedTerm> {
    return this.entries.values();
  }

  /** size: distinct terms. */
  get size(): number {
    return this.entries.size;
  }
}
