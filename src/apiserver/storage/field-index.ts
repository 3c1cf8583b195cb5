/**
 * FieldIndexes: a watch cache's objects indexed by selectable field values, so a list whose field
 * selector demands field = value (its WatchTrigger) reads only the matching keys, as upstream's
 * watch cache indexes pods by spec.nodeName. Without it, every kubelet's list of its node's pods
 * filtered, sorted and tested all 30,000 cached pods: hundreds of hollow kubelets relisting at
 * once kept an API server busy for seconds and their lists missed their deadlines.
 *
 * Indexes are made on first demand (the first list asking for a field), bounded in number, and
 * kept in step with every change the cache applies. Pure: no I/O, no clock.
 */
import type { KubeObject } from '../../api/meta.js';
import type { WatchTrigger } from './types.js';

/** Fields indexed at most per cache: a field selector can name any selectable field, and each
 *  index costs a lookup per event; past the bound a list scans, as before. */
export const MAX_FIELD_INDEXES = 4;

type FieldsOf = WatchTrigger['fieldsOf'];

/** FieldIndex: keys by one field's value. */
class FieldIndex {
  readonly byValue = new Map<string, Set<string>>();

  constructor(readonly field: string, private readonly fieldsOf: FieldsOf) {}

  valueOf(obj: KubeObject): string | undefined {
    return this.fieldsOf(obj)[this.field];
  }

  add(key: string, value: string | undefined): void {
    if (value === undefined) return;
    let keys = this.byValue.get(value);
    if (keys === undefined) this.byValue.set(value, (keys = new Set()));
    keys.add(key);
  }

  remove(key: string, value: string | undefined): void {
    if (value === undefined) return;
    const keys = this.byValue.get(value);
    keys?.delete(key);
    if (keys?.size === 0) this.byValue.delete(value);
  }
}

export class FieldIndexes {
  private readonly indexes = new Map<string, FieldIndex>();

  get size(): number {
    return this.indexes.size;
  }

  /**
   * keysFor: the keys of the objects whose `trigger.field` is `trigger.value` (unsorted), making
   * the index from `objects` on first demand; undefined when the bound is reached (scan instead).
   */
  keysFor(trigger: WatchTrigger, objects: ReadonlyMap<string, KubeObject>): Iterable<string> | undefined {
    let index = this.indexes.get(trigger.field);
    if (index === undefined) {
      if (this.indexes.size >= MAX_FIELD_INDEXES) return undefined;
      index = new FieldIndex(trigger.field, trigger.fieldsOf);
      for (const [key, obj] of objects) index.add(key, index.valueOf(obj));
      this.indexes.set(trigger.field, index);
    }
    return index.byValue.get(trigger.value) ?? [];
  }

  /** update follows one change of key: prev → next (undefined: absent). */
  update(key: string, prev: KubeObject | undefined, next: KubeObject | undefined): void {
    for (const index of this.indexes.values()) {
      const a = prev === undefined ? undefined : index.valueOf(prev);
      const b = next === undefined ? undefined : index.valueOf(next);
      if (a === b && prev !== undefined && next !== undefined) continue;
      index.remove(key, a);
      index.add(key, b);
    }
  }

  /** clear forgets every index (the cache replaced all its objects: a relist). */
  clear(): void {
    this.indexes.clear();
  }
}
