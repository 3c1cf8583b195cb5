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
const NO_VERSIONS: readonly KeyValue[] = Object.freeze([]);

/** tombstoneKv is the stored form of a delete of `key` at revision `rev`. */
export function tombstoneKv(key: Buffer, rev: bigint): KeyValue {
  return { key, createRevision: 0n, modRevision: rev, version: 0n, value: EMPTY, lease: 0n };
}

export class KeyHistory implements KeyOrderEntry {
  /** The newest kept version; undefined only while the history is empty (never when indexed). */
  private newest: KeyValue | undefined = undefined;
  /** The kept versions before newest, ascending by mod_revision; undefined instead of empty.
   *  Most keys only ever hold one version, and then no array exists at all (two heap objects
   *  fewer per key for the collector to trace). */
  private older: KeyValue[] | undefined = undefined;

  constructor(
    readonly skey: string,
    /** The key's bytes, shared by every version of this key. */
    readonly key: Buffer,
  ) {
    assert(key.length > 0, 'KeyHistory: empty key');
  }

  /** versions lists every kept version, oldest first (a fresh array when there is one). */
  versions(): readonly KeyValue[] {
    if (this.newest === undefined) return NO_VERSIONS;
    return this.older === undefined ? [this.newest] : [...this.older, this.newest];
  }

  /** collectBelow appends the kept versions with mod_revision < rev to out, oldest first. */
  collectBelow(rev: number, out: KeyValue[]): void {
    if (this.older !== undefined) {
      for (const kv of this.older) {
        if (modRev(kv) >= rev) return;
        out.push(kv);
      }
    }
    if (this.newest !== undefined && modRev(this.newest) < rev) out.push(this.newest);
  }

  /** isEmpty says whether no version is kept (compaction dropped them all). */
  isEmpty(): boolean {
    return this.newest === undefined;
  }

  /** holds says whether kv is one of the kept versions. */
  holds(kv: KeyValue): boolean {
    return this.newest === kv || (this.older !== undefined && this.older.includes(kv));
  }

  isLive(): boolean {
    const last = this.newest;
    return last !== undefined && !isTombstone(last);
  }

  /** head is the newest version if the key exists now, else undefined. */
  head(): KeyValue | undefined {
    const last = this.newest;
    return last === undefined || isTombstone(last) ? undefined : last;
  }

  /** at is the version visible at revision rev (undefined when absent or deleted then). */
  at(rev: number): KeyValue | undefined {
    const kv = this.versionAt(this.indexAtOrBefore(rev));
    return kv === undefined || isTombstone(kv) ? undefined : kv;
  }

  /** before is the live version just before the version written at exactly `rev` (the prevKv
   *  of that write's event), or undefined when there was none or it was compacted. */
  before(rev: number): KeyValue | undefined {
    const kv = this.versionAt(this.indexAtOrBefore(rev - 1));
    return kv === undefined || isTombstone(kv) ? undefined : kv;
  }

  /** write appends a version. A second write at the same revision (a txn that deleted a range
   *  and then put a key inside it — etcd's sub-revisions) replaces the first: a read at that
   *  revision sees the last write. Returns the replaced version, if any. */
  write(kv: KeyValue): KeyValue | undefined {
    const last = this.newest;
    this.newest = kv;
    if (last === undefined) return undefined;
    if (last.modRevision === kv.modRevision) return last;
    assert(modRev(last) < modRev(kv), 'KeyHistory.write: revision order');
    if (this.older === undefined) this.older = [last];
    else this.older.push(last);
    return undefined;
  }

  /** compact drops what compaction at `rev` removes (etcd's keyIndex.compact): every version
   *  older than the newest one at or below rev, and that one too if it is a tombstone.
   *  Returns the dropped versions; the history may become empty. */
  compact(rev: number): KeyValue[] {
    const i = this.indexAtOrBefore(rev);
    if (i < 0) return [];
    const keepFrom = isTombstone(this.versionAt(i) as KeyValue) ? i + 1 : i;
    if (keepFrom === 0) return [];
    const older = this.older ?? [];
    if (keepFrom > older.length) {
      // Everything goes: the newest version is a tombstone at or below rev.
      const dropped = [...older, this.newest as KeyValue];
      this.older = undefined;
      this.newest = undefined;
      return dropped;
    }
    const dropped = older.splice(0, keepFrom);
    if (older.length === 0) this.older = undefined;
    return dropped;
  }

  /** versionAt is the i-th kept version, oldest first (undefined out of range). */
  private versionAt(i: number): KeyValue | undefined {
    if (i < 0) return undefined;
    const n = this.older === undefined ? 0 : this.older.length;
    return i < n ? (this.older as KeyValue[])[i] : i === n ? this.newest : undefined;
  }

  /** indexAtOrBefore is the index of the newest version with mod_revision <= rev, or -1.
   *  The newest version first: nearly every lookup is of it. */
  private indexAtOrBefore(rev: number): number {
    const last = this.newest;
    if (last === undefined) return -1;
    const v = this.older;
    if (v === undefined) return modRev(last) <= rev ? 0 : -1;
    if (modRev(last) <= rev) return v.length;
    let i = v.length - 1;
    if (i > 8) {
      let lo = 0;
      let hi = i + 1;
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
