/**
 * KeyedHeap is a binary min-heap whose items have string keys, so an item can be found,
 * replaced or removed in O(log n) — what the scheduling queue needs when a queued pod is
 * updated or deleted (upstream's internal/heap).
 */
import { assert } from '../../base/assert.js';

/** KeyedHeap orders items by `less`; one item per key. */
export class KeyedHeap<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<string, number>();

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly less: (a: T, b: T) => boolean,
  ) {}

  /** size: the number of items. */
  get size(): number {
    return this.items.length;
  }

  /** has: is an item with this key queued. */
  has(key: string): boolean {
    return this.index.has(key);
  }

  /** get: the item with this key. */
  get(key: string): T | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.items[i];
  }

  /** push adds an item, or replaces (and re-orders) the item of the same key. */
  push(item: T): void {
    const key = this.keyOf(item);
    const at = this.index.get(key);
    if (at !== undefined) {
      this.items[at] = item;
      this.fix(at);
      return;
    }
    this.items.push(item);
    this.index.set(key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  /** peek: the least item. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** pop removes and returns the least item. */
  pop(): T | undefined {
    const top = this.items[0];
    if (top === undefined) return undefined;
    this.removeAt(0);
    return top;
  }

  /** remove drops the item with this key; returns it. */
  remove(key: string): T | undefined {
    const at = this.index.get(key);
    if (at === undefined) return undefined;
    const item = this.items[at];
    this.removeAt(at);
    return item;
  }

  /** values: every item, in no particular order. */
  values(): readonly T[] {
    return this.items;
  }

  private removeAt(i: number): void {
    const item = this.items[i];
    assert(item !== undefined, 'KeyedHeap: index out of range');
    this.index.delete(this.keyOf(item));
    const last = this.items.pop();
    if (i === this.items.length || last === undefined) return;
    this.items[i] = last;
    this.index.set(this.keyOf(last), i);
    this.fix(i);
  }

  private fix(i: number): void {
    if (!this.down(i)) this.up(i);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i]!, this.items[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** down sifts item i down; returns whether it moved. */
  private down(i0: number): boolean {
    let i = i0;
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.less(this.items[r]!, this.items[l]!) ? r : l;
      if (!this.less(this.items[child]!, this.items[i]!)) break;
      this.swap(i, child);
      i = child;
    }
    return i > i0;
  }

  private swap(a: number, b: number): void {
    const x = this.items[a]!;
    const y = this.items[b]!;
    this.items[a] = y;
    this.items[b] = x;
    this.index.set(this.keyOf(y), a);
    this.index.set(this.keyOf(x), b);
  }
}
