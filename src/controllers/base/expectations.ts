/**
 * Expectations (kube-controller-manager's ControllerExpectations): before a controller creates
 * or deletes pods it records how many adds and deletes it expects to see in its informer; until
 * the cache shows them (or they expire) its sync does not act again on the same stale view.
 * This is what keeps a ReplicaSet from creating its pods twice when a sync runs before the
 * watch has delivered the first batch. Expired expectations (5 min, as upstream) let a
 * controller recover from lost events.
 */
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';

/** EXPECTATIONS_TTL_MS: after this long, unmet expectations no longer hold a controller back. */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Expected {
  adds: number;
  dels: number;
  /** Pod keys whose deletion we wait for: each counts once even if seen twice. */
  deleting: Set<string>;
  setAtMs: number;
}

/** Expectations tracks, per controller key, the adds and deletes not yet observed. */
export class Expectations {
  private readonly byKey = new Map<string, Expected>();

  constructor(private readonly clock: Clock) {}

  /** expect records adds creations and the deletions of podKeys, replacing earlier ones. */
  expect(key: string, adds: number, podKeys: string[] = []): void {
    assert(adds >= 0, 'expectations: negative adds');
    const deleting = new Set(podKeys);
    this.byKey.set(key, { adds, dels: deleting.size, deleting, setAtMs: this.clock.nowMs() });
  }

  /** creationObserved: one expected pod appeared (or a create failed and never will). */
  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e !== undefined && e.adds > 0) e.adds--;
  }

  /** deletionObserved: podKey is gone (or its delete failed and it never will be). */
  deletionObserved(key: string, podKey: string): void {
    const e = this.byKey.get(key);
    if (e !== undefined && e.deleting.delete(podKey)) e.dels--;
  }

  /** satisfied: nothing pending, never set, or expired — the controller may act. */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (e === undefined) return true;
    if (e.adds <= 0 && e.dels <= 0) return true;
    return this.clock.nowMs() - e.setAtMs > EXPECTATIONS_TTL_MS;
  }

  /** forget drops key (its controller object was deleted). */
  forget(key: string): void {
    this.byKey.delete(key);
  }
}
