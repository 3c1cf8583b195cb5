/**
 * Incremental counts of the placed pods that match a predicate, per node. PodTopologySpread and
 * InterPodAffinity need "how many pods matching this selector are in each topology domain" for
 * every pod with a constraint; scanning every pod in the cluster per pod scheduled would be
 * O(pods²) for a Deployment. Instead each distinct predicate (a selector and its namespaces) gets
 * a counter, built by one scan on first use and then kept current as pods are added and removed.
 * Counters are kept in least-recently-used order and bounded.
 */
import { assert } from '../../base/assert.js';
import type { PodInfo } from './pod-info.js';

/** PodPredicate chooses the pods a counter counts; equal keys must mean equal predicates. */
export interface PodPredicate {
  readonly key: string;
  matches(p: PodInfo): boolean;
}

/** MAX_COUNTERS: a bound on the counters kept (each costs O(pods) to build, O(1) per event). */
export const MAX_COUNTERS = 256;

interface Counter {
  readonly predicate: PodPredicate;
  readonly perNode: Map<string, number>;
}

/** PlacedPod: a pod and the node it is on. */
export interface PlacedPod {
  readonly info: PodInfo;
  readonly nodeName: string;
}

/** MatchCounters holds the counters of one snapshot. */
export class MatchCounters {
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly maxCounters = MAX_COUNTERS) {
    assert(maxCounters > 0, 'MatchCounters: maxCounters must be positive');
  }

  /** perNode: matching pods per node name (absent = 0); `placed` is scanned only the first
   *  time this predicate is seen (or after it was evicted). Do not mutate the result. */
  perNode(pred: PodPredicate, placed: () => Iterable<PlacedPod>): ReadonlyMap<string, number> {
    const found = this.counters.get(pred.key);
    if (found !== undefined) {
      this.counters.delete(pred.key);
      this.counters.set(pred.key, found);
      return found.perNode;
    }
    const c: Counter = { predicate: pred, perNode: new Map() };
    for (const p of placed()) if (pred.matches(p.info)) bump(c.perNode, p.nodeName, 1);
    if (this.counters.size >= this.maxCounters) {
      const oldest = this.counters.keys().next();
      if (oldest.done !== true) this.counters.delete(oldest.value);
    }
    this.counters.set(pred.key, c);
    return c.perNode;
  }

  /** podAdded counts a pod placed on a node in every counter it matches. */
  podAdded(p: PodInfo, nodeName: string): void {
    for (const c of this.counters.values()) {
      if (c.predicate.matches(p)) bump(c.perNode, nodeName, 1);
    }
  }

  /** podRemoved undoes podAdded. */
  podRemoved(p: PodInfo, nodeName: string): void {
    for (const c of this.counters.values()) {
      if (c.predicate.matches(p)) bump(c.perNode, nodeName, -1);
    }
  }

  /** size: counters kept (tests). */
  get size(): number {
    return this.counters.size;
  }
}

function bump(m: Map<string, number>, nodeName: string, delta: number): void {
  const n = (m.get(nodeName) ?? 0) + delta;
  assert(n >= 0, `match counter below zero on node ${nodeName}`);
  if (n === 0) m.delete(nodeName);
  else m.set(nodeName, n);
}
