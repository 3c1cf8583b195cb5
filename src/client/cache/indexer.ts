/**
 * Indexer is the informer's cache (client-go's threadSafeStore + indexers): objects by key, and
 * for each index a map from index value to the keys of the objects that produced it, kept in
 * step on every write so byIndex is a lookup, not a scan. JavaScript is single-threaded, so no
 * locks: every method runs to completion.
 */
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import { keyOf } from './keys.js';
import { NAMESPACE_INDEX, type IndexFunc, type ObjectKey } from './types.js';

interface Index<T extends KubeObject> {
  fn: IndexFunc<T>;
  byValue: Map<string, Set<ObjectKey>>;
}

/** namespaceIndexFunc indexes objects by metadata.namespace ("" for cluster-scoped objects). */
export function namespaceIndexFunc(obj: KubeObject): string[] {
  return [obj.metadata.namespace ?? ''];
}

/** Indexer stores objects by key with secondary indexes; NAMESPACE_INDEX always exists. */
export class Indexer<T extends KubeObject> {
  private readonly items = new Map<ObjectKey, T>();
  private readonly indexes = new Map<string, Index<T>>();

  constructor() {
    this.addIndex(NAMESPACE_INDEX, namespaceIndexFunc);
  }

  /** addIndex adds (or redefines) an index and builds it over the current objects. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    const idx: Index<T> = { fn, byValue: new Map() };
    this.indexes.set(name, idx);
    for (const [key, obj] of this.items) indexAdd(idx, key, fn(obj));
  }

  /** hasIndex tells whether an index of that name exists. */
  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  get(key: ObjectKey): T | undefined {
    return this.items.get(key);
  }

  /**
   * upsert stores obj under its key and returns the object it replaced. An index whose values
   * for the new version are the old version's (same values, same order: a pod's status write
   * keeps its namespace, owners and node) is left as it is: most updates are such writes (three
   * of a burst pod's four events), and every informer of every component paid a remove and an
   * add per index for each, allocating a Set per call.
   */
  upsert(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const idx of this.indexes.values()) {
      const values = idx.fn(obj);
      if (old === undefined) {
        indexAdd(idx, key, values);
        continue;
      }
      const before = idx.fn(old);
      if (sameValues(before, values)) continue;
      indexRemove(idx, key, before);
      indexAdd(idx, key, values);
    }
    return old;
  }

  /** remove deletes key and returns the object it held. */
  remove(key: ObjectKey): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    for (const idx of this.indexes.values()) indexRemove(idx, key, idx.fn(old));
    this.items.delete(key);
    return old;
  }

  /** replace swaps the whole content for objs (a relist). */
  replace(objs: readonly T[]): void {
    this.items.clear();
    for (const idx of this.indexes.values()) idx.byValue.clear();
    for (const obj of objs) this.upsert(obj);
  }

  /** list returns every object (in insertion order). */
  list(): T[] {
    return [...this.items.values()];
  }

  keys(): ObjectKey[] {
    return [...this.items.keys()];
  }

  size(): number {
    return this.items.size;
  }

  /** byIndex returns the objects whose index function produced value; unknown index: assert. */
  byIndex(index: string, value: string): T[] {
    const idx = this.indexes.get(index);
    assert(idx !== undefined, `no index named "${index}"`);
    const keys = idx.byValue.get(value);
    if (keys === undefined) return [];
    const out: T[] = [];
    for (const k of keys) out.push(this.items.get(k)!);
    return out;
  }
}

/** sameValues: the same index values in the same order (an index function is deterministic,
 *  so a reordering is rare enough to pay a remove and an add for). */
function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function indexAdd<T extends KubeObject>(idx: Index<T>, key: ObjectKey, values: readonly string[]):
  void {
  // A value listed twice is one entry: Set.add is idempotent, so no dedupe pass is needed.
  for (const v of values) {
    let keys = idx.byValue.get(v);
    if (keys === undefined) idx.byValue.set(v, (keys = new Set()));
    keys.add(key);
  }
}

function indexRemove<T extends KubeObject>(idx: Index<T>, key: ObjectKey,
  values: readonly string[]): void {
  for (const v of values) {
    const keys = idx.byValue.get(v);
    if (keys === undefined) continue;
    keys.delete(key);
    if (keys.size === 0) idx.byValue.delete(v);
  }
}
