/**
 * SharedInformerFactory (client-go's SharedInformerFactory): every controller of a process asks
 * for the informers it needs; each (resource, options) gets one informer, so a controller
 * manager opens one list + watch per resource however many controllers read it.
 */
import type { KubeObject } from '../../api/meta.js';
import type { Clock } from '../../base/clock.js';
import { Prng } from '../../base/prng.js';
import type { ComponentApi } from '../component-api.js';
import type { ApiResource } from '../types.js';
import { SharedInformer } from './informer.js';
import type { ReflectorBackoff } from './reflector.js';
import type { Informer, InformerFactory, InformerOptions } from './types.js';

/** FactoryOptions: time, randomness (for watch-timeout and backoff jitter), logging. */
export interface FactoryOptions {
  clock: Clock;
  /** Seed of the jitter PRNG (default 1: jitter only spreads load, it need not differ). */
  seed?: number;
  log?: (line: string) => void;
  /** Reflector backoff for every informer (tests shorten it). */
  backoff?: ReflectorBackoff;
  /** Every informer drops metadata.managedFields (see InformerDeps.dropManagedFields). */
  dropManagedFields?: boolean;
}

/** SharedInformerFactory implements InformerFactory over a ComponentApi. */
export class SharedInformerFactory implements InformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly prng: Prng;
  private started = false;
  private stopped = false;

  constructor(
    private readonly api: ComponentApi,
    private readonly o: FactoryOptions,
  ) {
    this.prng = new Prng(o.seed ?? 1);
  }

  informerFor<T extends KubeObject>(r: ApiResource, o: InformerOptions = {}): Informer<T> {
    const key = informerKey(r, o);
    let inf = this.informers.get(key);
    if (inf === undefined) {
      inf = new SharedInformer<KubeObject>({ ...r }, { ...o }, {
        api: this.api,
        clock: this.o.clock,
        prng: this.prng.fork(),
        log: this.o.log ?? (() => {}),
        ...(this.o.backoff !== undefined ? { backoff: this.o.backoff } : {}),
        ...(this.o.dropManagedFields === true ? { dropManagedFields: true } : {}),
      });
      this.informers.set(key, inf);
      if (this.started && !this.stopped) inf.start();
    } else if (o.resyncMs !== undefined) {
      inf.requestResync(o.resyncMs);
    }
    return inf as unknown as Informer<T>;
  }

  start(): void {
    if (this.stopped) return;
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    const all = Promise.all([...this.informers.values()].map((i) => i.whenSynced()));
    if (signal === undefined) {
      await all;
      return;
    }
    signal.throwIfAborted();
    let onAbort = (): void => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([all, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const inf of this.informers.values()) void inf.stop();
  }

  /** stopAndWait is stop() that resolves once every reflector has returned (tests, shutdown). */
  async stopAndWait(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}

/** informerKey: what makes two requests share an informer. resyncMs is not part of it: one
 *  watch serves both, resyncing at the shortest period asked for (a handler that did not ask
 *  sees extra update(o, o) calls, harmless to level-triggered controllers). */
function informerKey(r: ApiResource, o: InformerOptions): string {
  const sel = [o.namespace ?? '', o.labelSelector ?? '', o.fieldSelector ?? ''];
  return JSON.stringify([r.group, r.version, r.resource, ...sel]);
}
