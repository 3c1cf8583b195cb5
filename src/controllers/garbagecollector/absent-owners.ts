/**
 * AbsentOwners remembers owners a live read proved gone (upstream's absentOwnerCache): a uid is
 * never reused, so once the API answered "no object with this uid at these coordinates" that
 * stays true forever, and the thousand dependents of one deleted ReplicaSet cost one GET, not a
 * thousand. Keyed by coordinates AND uid: a reference naming an existing uid from the wrong
 * namespace is absent there but not elsewhere. Bounded, least recently used out first.
 */
import { assert } from '../../base/assert.js';
import { gcKey, type Coordinates } from './refs.js';

/** ABSENT_OWNERS_MAX bounds remembered absent owners (upstream keeps 500). */
export const ABSENT_OWNERS_MAX = 1024;

/** AbsentOwners is a bounded LRU set of (coordinates, uid) proved absent. */
export class AbsentOwners {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, true>();

  constructor(private readonly max = ABSENT_OWNERS_MAX) {
    assert(max > 0, 'AbsentOwners needs room for at least one entry');
  }

  /** add records that no object with uid exists at c. */
  add(c: Coordinates, uid: string): void {
    const k = entryKey(c, uid);
    this.entries.delete(k);
    this.entries.set(k, true);
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    assert(this.entries.size <= this.max, 'AbsentOwners over its bound');
  }

  /** has: was uid proved absent at c (and still remembered)? Refreshes the entry. */
  has(c: Coordinates, uid: string): boolean {
    const k = entryKey(c, uid);
    if (!this.entries.has(k)) return false;
    this.entries.delete(k);
    this.entries.set(k, true);
    return true;
  }

  /** size: entries remembered. */
  size(): number {
    return this.entries.size;
  }
}

function entryKey(c: Coordinates, uid: string): string {
  return `${gcKey(c)}#${uid}`;
}
