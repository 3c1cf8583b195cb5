/**
 * KeyOrder is the store's ordered index of keys: a chunked sorted array. Keys are latin1
 * ('binary') strings, one char per byte, so JavaScript's `<` on them is etcd's bytewise order.
 *
 * Why chunks: a flat sorted array costs an O(n) memmove per insert (at 1M keys that is megabytes
 * moved per Put); a B-tree is more code than the store needs. Chunks of at most CHUNK_MAX entries
 * keep an insert to one small splice plus, rarely, a split. Each chunk also counts its live
 * entries, so "how many live keys are in [a, b)" — etcd's `count`, which ignores `limit` and
 * which kube-apiserver asks for on every page of a list — costs O(chunks) instead of O(keys).
 */
import { assert } from '../../base/assert.js';

/** KeyOrderEntry is what the index orders: anything with its key as a latin1 string. */
export interface KeyOrderEntry {
  readonly skey: string;
  /** live says whether the entry counts in live-key counts (the key exists at the head). */
  isLive(): boolean;
}

/** CHUNK_MAX bounds one chunk: a split makes two halves, an empty chunk is dropped. */
export const CHUNK_MAX = 512;

interface Chunk<T> {
  items: T[];
  live: number;
}

export class KeyOrder<T extends KeyOrderEntry> {
  private chunks: Chunk<T>[] = [];
  private total = 0;

  /** chunkMax is CHUNK_MAX except in tests, which use tiny chunks to exercise the boundaries. */
  constructor(private readonly chunkMax = CHUNK_MAX) {
    assert(chunkMax >= 2, 'KeyOrder: chunks must hold at least two keys');
  }

  /** clear drops every entry (restore). */
  clear(): void {
    this.chunks = [];
    this.total = 0;
  }

  /** bulkLoad fills an empty index from entries already in strictly ascending key order
   *  (restore: one sort beats 100k binary-search inserts). Chunks start half full. */
  bulkLoad(sorted: readonly T[]): void {
    assert(this.total === 0, 'KeyOrder.bulkLoad: index not empty');
    const per = Math.max(1, this.chunkMax >>> 1);
    for (let i = 0; i < sorted.length; i += per) {
      const items = sorted.slice(i, i + per);
      let live = 0;
      for (let j = 0; j < items.length; j++) {
        const entry = items[j] as T;
        assert(j + i === 0 || (sorted[i + j - 1] as T).skey < entry.skey, 'KeyOrder.bulkLoad: order');
        if (entry.isLive()) live++;
      }
      this.chunks.push({ items, live });
    }
    this.total = sorted.length;
  }

  /** size is the number of entries (live or not). */
  size(): number {
    return this.total;
  }

  /** insert adds an entry whose key is not present yet. */
  insert(entry: T): void {
    if (this.chunks.length === 0) {
      this.chunks.push({ items: [entry], live: entry.isLive() ? 1 : 0 });
      this.total = 1;
      return;
    }
    const ci = this.chunkFor(entry.skey);
    const chunk = this.chunks[ci];
    assert(chunk !== undefined);
    const at = lowerBound(chunk.items, entry.skey);
    assert(chunk.items[at]?.skey !== entry.skey, 'KeyOrder.insert: key already present');
    chunk.items.splice(at, 0, entry);
    if (entry.isLive()) chunk.live++;
    this.total++;
    if (chunk.items.length > this.chunkMax) this.split(ci);
  }

  /** remove drops the entry with this key; it must be present. */
  remove(skey: string): void {
    const ci = this.chunkFor(skey);
    const chunk = this.chunks[ci];
    assert(chunk !== undefined);
    const at = lowerBound(chunk.items, skey);
    const entry = chunk.items[at];
    assert(entry !== undefined && entry.skey === skey, 'KeyOrder.remove: key absent');
    chunk.items.splice(at, 1);
    if (entry.isLive()) chunk.live--;
    this.total--;
    if (chunk.items.length === 0) this.chunks.splice(ci, 1);
  }

  /** liveChanged must be called when an entry's isLive() flipped (delta +1 or -1). */
  liveChanged(skey: string, delta: 1 | -1): void {
    const chunk = this.chunks[this.chunkFor(skey)];
    assert(chunk !== undefined);
    chunk.live += delta;
    assert(chunk.live >= 0 && chunk.live <= chunk.items.length, 'KeyOrder: live count drift');
  }

  /** scan visits entries with start <= key < end (end undefined = no bound) in order until
   *  visit returns false. Cost: O(log n + visited). */
  scan(start: string, end: string | undefined, visit: (entry: T) => boolean): void {
    if (this.chunks.length === 0) return;
    let ci = this.chunkFor(start);
    let at = lowerBound(this.chunks[ci]?.items ?? [], start);
    for (; ci < this.chunks.length; ci++, at = 0) {
      const items = (this.chunks[ci] as Chunk<T>).items;
      for (; at < items.length; at++) {
        const entry = items[at] as T;
        if (end !== undefined && entry.skey >= end) return;
        if (!visit(entry)) return;
      }
    }
  }

  /** countLive counts live entries with start <= key < end, using whole-chunk counts where a
   *  chunk lies entirely inside the interval. */
  countLive(start: string, end: string | undefined): number {
    if (this.chunks.length === 0) return 0;
    let count = 0;
    for (let ci = this.chunkFor(start); ci < this.chunks.length; ci++) {
      const chunk = this.chunks[ci] as Chunk<T>;
      const first = (chunk.items[0] as T).skey;
      const last = (chunk.items[chunk.items.length - 1] as T).skey;
      if (end !== undefined && first >= end) break;
      if (first >= start && (end === undefined || last < end)) {
        count += chunk.live;
        continue;
      }
      for (const entry of chunk.items) {
        if (entry.skey < start) continue;
        if (end !== undefined && entry.skey >= end) break;
        if (entry.isLive()) count++;
      }
    }
    return count;
  }

  /** all returns every entry in key order (snapshot, hash, tests). */
  *all(): IterableIterator<T> {
    for (const chunk of this.chunks) yield* chunk.items;
  }

  /** checkInvariants verifies order and counts (tests; O(n)). */
  checkInvariants(): void {
    let prev: string | undefined;
    let total = 0;
    for (const chunk of this.chunks) {
      assert(chunk.items.length > 0 && chunk.items.length <= this.chunkMax, 'KeyOrder: chunk size');
      let live = 0;
      for (const entry of chunk.items) {
        assert(prev === undefined || prev < entry.skey, 'KeyOrder: order');
        prev = entry.skey;
        if (entry.isLive()) live++;
      }
      assert(live === chunk.live, 'KeyOrder: live count');
      total += chunk.items.length;
    }
    assert(total === this.total, 'KeyOrder: total');
  }

  /** chunkFor is the index of the last chunk whose first key <= skey (0 if none). */
  private chunkFor(skey: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (((this.chunks[mid] as Chunk<T>).items[0] as T).skey <= skey) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private split(ci: number): void {
    const chunk = this.chunks[ci] as Chunk<T>;
    const upper = chunk.items.splice(chunk.items.length >>> 1);
    let upperLive = 0;
    for (const entry of upper) if (entry.isLive()) upperLive++;
    chunk.live -= upperLive;
    this.chunks.splice(ci + 1, 0, { items: upper, live: upperLive });
  }
}

/** lowerBound is the first index whose key >= skey. */
function lowerBound<T extends KeyOrderEntry>(items: readonly T[], skey: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid] as T).skey < skey) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
