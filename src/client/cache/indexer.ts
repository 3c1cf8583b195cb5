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
    for (const [key, obj] of this.items) indexAdd(idx, key, obj);
  }

  /** hasIndex tells whether an index of that name exists. */
  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  get(key: ObjectKey): T | undefined {
    return this.items.get(key);
  }

  /** upsert stores obj under its key and returns the object it replaced. */
  upsert(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (old !== undefined) for (const idx of this.indexes.values()) indexRemove(idx, key, old);
    this.items.set(key, obj);
    for (const idx of this.indexes.values()) indexAdd(idx, key, obj);
    return old;
  }

  /** remove deletes key and returns the object it held. */
  remove(key: ObjectKey): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    for (const idx of this.indexes.values()) indexRemove(idx, key, old);
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

function indexAdd<T extends KubeObject>(idx: Index<T>, key: ObjectKey, obj: T): void {
  for (const v of new Set(idx.fn(obj))) {
    let keys = idx.byValue.get(v);
    if (keys === undefined) idx.byValue.set(v, (keys = new Set()));
    keys.add(key);
  }
}

function indexRemove<T extends KubeObject>(idx: Index<T>, key: ObjectKey, obj: T): void {
  for (const v of new Set(idx.fn(obj))) {
    const keys = idx.byValue.get(v);
    if (keys === undefined) continue;
    keys.delete(key);
    if (keys.size === 0) idx.byValue.delete(v);
  }
}
