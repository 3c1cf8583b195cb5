/**
 * Profile: the plugins one scheduler runs, in upstream's order, with their score weights, and
 * the index from cluster events to the plugins that care (for the queue). Built once.
 */
import { assert } from '../../base/assert.js';
import type { ClusterEvent } from './events.js';
import type { Plugin, PluginEntry } from './interfaces.js';

/** Profile: plugins by extension point. */
export class Profile {
  readonly preFilters: readonly Plugin[];
  readonly filters: readonly Plugin[];
  readonly postFilters: readonly Plugin[];
  readonly scorers: readonly PluginEntry[];
  private readonly byEvent = new Map<ClusterEvent, Set<string>>();

  constructor(readonly entries: readonly PluginEntry[]) {
    const names = new Set(entries.map((e) => e.plugin.name));
    assert(names.size === entries.length, 'Profile: duplicate plugin names');
    const plugins = entries.map((e) => e.plugin);
    this.preFilters = plugins.filter((p) => p.preFilter !== undefined);
    this.filters = plugins.filter((p) => p.filter !== undefined);
    this.postFilters = plugins.filter((p) => p.postFilter !== undefined);
    this.scorers = entries.filter((e) => e.plugin.score !== undefined && e.weight > 0);
    for (const p of plugins) {
      for (const ev of p.events) {
        let set = this.byEvent.get(ev);
        if (set === undefined) {
          set = new Set();
          this.byEvent.set(ev, set);
        }
        set.add(p.name);
      }
    }
  }

  /** interested: the plugins whose rejections ev may undo. */
  interested(ev: ClusterEvent): ReadonlySet<string> {
    return this.byEvent.get(ev) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
