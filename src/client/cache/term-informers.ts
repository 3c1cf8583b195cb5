/**
 * TermInformers: one leadership term's view of a process-wide informer factory. Caches are
 * watch-fed and read-only, so they are as true for the next term as for this one (and for a
 * standby that has not led yet); what belongs to a term is only the handlers its controllers
 * register. This view records them and removes them when the term ends, leaving the informers
 * running: a new term — in this process after a lost lease, or a warm standby taking over —
 * starts from a synced cache instead of listing every resource again.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ApiResource } from '../types.js';
import type {
  EventHandlers, IndexFunc, Informer, InformerFactory, InformerOptions,
} from './types.js';

export class TermInformers implements InformerFactory {
  private readonly removers: (() => void)[] = [];
  private ended = false;

  constructor(private readonly shared: InformerFactory) {}

  informerFor<T extends KubeObject>(r: ApiResource, o?: InformerOptions): Informer<T> {
    const inner = this.shared.informerFor<T>(r, o);
    const addHandlers = (h: EventHandlers<T>): (() => void) => {
      if (this.ended) return () => {};
      const remove = inner.addHandlers(h);
      this.removers.push(remove);
      return remove;
    };
    return {
      resource: inner.resource,
      lister: inner.lister,
      addHandlers,
      addIndex: (name: string, fn: IndexFunc<T>) => inner.addIndex(name, fn),
      hasSynced: () => inner.hasSynced(),
      lastSyncResourceVersion: () => inner.lastSyncResourceVersion(),
    };
  }

  start(): void {
    this.shared.start();
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.shared.waitForSync(signal);
  }

  /** stop ends the term: every handler it registered is removed; the informers keep running. */
  stop(): void {
    this.ended = true;
    for (const remove of this.removers.splice(0)) remove();
  }
}
