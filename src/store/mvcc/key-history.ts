/**
 * KeyHistory is every kept version of one key, oldest first: etcd's keyIndex with its generations
 * flattened. A generation is a run of versions that ends in a tombstone (a delete); a tombstone is
 * stored as a KeyValue with version 0 — exactly the `kv` a DELETE event carries (key and
 * mod_revision only), so one immutable object serves the index, the history and every watcher.
 *
 * KeyValue objects are never mutated once stored: Range responses and events hand out the same
 * objects, no copies.
 */
import { assert } from '../../base/assert.js';
import type { KeyValue } from '../../gen/mvccpb/kv.js';
import type { KeyOrderEntry } from './key-order.js';

/** isTombstone says whether a stored version marks a delete. */
export function isTombstone(kv: KeyValue): boolean {
  return kv.version === 0n;
}

/** modRev is a version's mod_revision as a number (revisions stay far below 2^53). */
export function modRev(kv: KeyValue): number {
  return Number(kv.modRevision);
}

const EMPTY = Buffer.alloc(0);
const EMPTY_VERSIONS = Object.freeze([]) as unknown as KeyValue[];

/** tombstoneKv is the stored form of a delete of `key` at revision `rev`. */
export function tombstoneKv(key: Buffer, rev: bigint): KeyValue {
  return { key, createRevision: 0n, modRevision: rev, version: 0n, value: EMPTY, lease: 0n };
}

export class KeyHistory implements KeyOrderEntry {
  /** versions ascend by mod_revision; never empty while the history is indexed. Replaced (not
   *  grown) on the first write: a one-element literal has no spare capacity, and most keys
   *  only ever hold one version. */
  versions: KeyValue[] = EMPTY_VERSIONS;

  constructor(
    readonly skey: string,
    /** The key's bytes, shared by every version of this key. */
    readonly key: Buffer,
  ) {
    assert(key.length > 0, 'KeyHistory: empty key');
  }

  isLive(): boolean {
    const last = this.versions[this.versions.length - 1];
    return last !== undefined && !isTombstone(last);
  }

  /** head is the newest version if the key exists now, else undefined. */
  head(): KeyValue | undefined {
    const last = this.versions[this.versions.length - 1];
    return last === undefined || isTombstone(last) ? undefined : last;
  }

  /** at is the version visible at revision rev (undefined when absent or deleted then). */
  at(rev: number): KeyValue | undefined {
    const i = this.indexAtOrBefore(rev);
    if (i < 0) return undefined;
    const kv = this.versions[i] as KeyValue;
    return isTombstone(kv) ? undefined : kv;
  }

  /** before is the live version just before the version written at exactly `rev` (the prevKv
   *  of that write's event), or undefined when there was none or it was compacted. */
  before(rev: number): KeyValue | undefined {
    const i = this.indexAtOrBefore(rev - 1);
    if (i < 0) return undefined;
    const kv = this.versions[i] as KeyValue;
    return isTombstone(kv) ? undefined : kv;
  }

  /** write appends a version. A second write at the same revision (a txn that deleted a range
   *  and then put a key inside it — etcd's sub-revisions) replaces the first: a read at that
   *  revision sees the last write. Returns the replaced version, if any. */
  write(kv: KeyValue): KeyValue | undefined {
    const last = this.versions[this.versions.length - 1];
    if (last !== undefined && last.modRevision === kv.modRevision) {
      this.versions[this.versions.length - 1] = kv;
      return last;
    }
    assert(last === undefined || modRev(last) < modRev(kv), 'KeyHistory.write: revision order');
    if (this.versions.length === 0) this.versions = [kv];
    else this.versions.push(kv);
    return undefined;
  }

  /** compact drops what compaction at `rev` removes (etcd's keyIndex.compact): every version
   *  older than the newest one at or below rev, and that one too if it is a tombstone.
   *  Returns the dropped versions; the history may become empty. */
  compact(rev: number): KeyValue[] {
    const i = this.indexAtOrBefore(rev);
    if (i < 0) return [];
    const keepFrom = isTombstone(this.versions[i] as KeyValue) ? i + 1 : i;
    return keepFrom === 0 ? [] : this.versions.splice(0, keepFrom);
  }

  /** indexAtOrBefore is the index of the newest version with mod_revision <= rev, or -1.
   *  Searched from the end: nearly every lookup is of the newest version. */
  private indexAtOrBefore(rev: number): number {
    const v = this.versions;
    let i = v.length - 1;
    if (i < 0 || modRev(v[i] as KeyValue) <= rev) return i;
    if (i > 8) {
      let lo = 0;
      let hi = i;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (modRev(v[mid] as KeyValue) <= rev) lo = mid + 1;
        else hi = mid;
      }
      return lo - 1;
    }
    while (i >= 0 && modRev(v[i] as KeyValue) > rev) i--;
    return i;
  }
}
