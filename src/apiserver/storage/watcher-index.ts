/**
 * WatcherIndex: a watch cache's watchers, indexed by the field value their selector demands
 * (upstream cacher's "triggers"). A kubelet watches pods with spec.nodeName=<its node>; with a
 * thousand nodes, offering every pod event to every watcher would run a thousand field
 * selectors per event. An event goes instead to the watchers without a trigger and to those
 * whose demanded value is the object's (or its previous state's) value of that field — the only
 * ones whose selector can pass. The selector itself still runs (viewFor), so the index only
 * skips watchers that would have seen nothing.
 */
import type { CacheWatcher } from './cache-watcher.js';
import { eventFields, type CacheEvent } from './event-ring.js';
import type { WatchTrigger } from './types.js';

export class WatcherIndex {
  private readonly everyone = new Set<CacheWatcher>();
  private readonly untriggered = new Set<CacheWatcher>();
  /** field → value → watchers demanding it. */
  private readonly byField = new Map<string, Map<string, Set<CacheWatcher>>>();
  private readonly triggerOf = new Map<CacheWatcher, WatchTrigger>();
  /** The resource's selectable fields of an object (the same function for every trigger of one
   *  cache: one resource). */
  private fieldsOf: WatchTrigger['fieldsOf'] | undefined;

  get size(): number {
    return this.everyone.size;
  }

  /** all: every watcher, as a copy (callers may stop watchers while iterating). */
  all(): CacheWatcher[] {
    return [...this.everyone];
  }

  add(w: CacheWatcher, trigger?: WatchTrigger): void {
    this.everyone.add(w);
    if (trigger === undefined) {
      this.untriggered.add(w);
      return;
    }
    this.fieldsOf ??= trigger.fieldsOf;
    this.triggerOf.set(w, trigger);
    let values = this.byField.get(trigger.field);
    if (values === undefined) this.byField.set(trigger.field, (values = new Map()));
    let set = values.get(trigger.value);
    if (set === undefined) values.set(trigger.value, (set = new Set()));
    set.add(w);
  }

  delete(w: CacheWatcher): void {
    this.everyone.delete(w);
    this.untriggered.delete(w);
    const t = this.triggerOf.get(w);
    if (t === undefined) return;
    this.triggerOf.delete(w);
    const values = this.byField.get(t.field);
    const set = values?.get(t.value);
    set?.delete(w);
    if (set?.size === 0) values?.delete(t.value);
    if (values?.size === 0) this.byField.delete(t.field);
  }

  /** forEvent: the watchers that may see e, in a stable order (untriggered first). */
  forEvent(e: CacheEvent): CacheWatcher[] {
    const out = [...this.untriggered];
    if (this.byField.size === 0 || this.fieldsOf === undefined) return out;
    const { cur, prev } = eventFields(e, this.fieldsOf);
    for (const [field, values] of this.byField) {
      const a = cur[field];
      const b = prev?.[field];
      if (a !== undefined) for (const w of values.get(a) ?? []) out.push(w);
      if (b !== undefined && b !== a) for (const w of values.get(b) ?? []) out.push(w);
    }
    return out;
  }
}

