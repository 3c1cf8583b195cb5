/**
 * SharedInformer: one reflector feeding one Indexer, and the handlers of every controller that
 * shares it (client-go's sharedIndexInformer). The cache changes first, then handlers run, in
 * event order and registration order, synchronously — so a handler (which only enqueues a key)
 * and any worker that later reads the lister see at least the state the event announced.
 */
import type { KubeObject } from '../../api/meta.js';
import { AssertionError } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import type { Prng } from '../../base/prng.js';
import { omittingManagedFields, type ComponentApi } from '../component-api.js';
import type { ApiResource, WatchEvent } from '../types.js';
import { Indexer } from './indexer.js';
import { keyOf } from './keys.js';
import { CacheLister } from './lister.js';
import { Reflector, type ReflectorBackoff, type ReflectorSink } from './reflector.js';
import type { EventHandlers, IndexFunc, Informer, InformerOptions } from './types.js';

/** HANDLERS_MAX bounds handler registrations per informer: each controller adds one or two. */
export const HANDLERS_MAX = 256;

/** InformerDeps: I/O and time, injected. */
export interface InformerDeps {
  api: ComponentApi;
  clock: Clock;
  prng: Prng;
  log: (line: string) => void;
  /** Reflector backoff (tests shorten it). */
  backoff?: ReflectorBackoff;
  /**
   * Drop metadata.managedFields from every object before it is cached (client-go's
   * WithTransform, as kube-scheduler and kube-controller-manager trim them): no controller
   * reads them, an update without them keeps the stored ones, and they held about half the heap
   * of 10,000 cached pods in a microbench — memory held and marked in every full GC for nothing.
   */
  dropManagedFields?: boolean;
}

/** SharedInformer implements Informer; start() runs it, stop() ends it. */
export class SharedInformer<T extends KubeObject> implements Informer<T>, ReflectorSink<T> {
  readonly lister: CacheLister<T>;
  private readonly indexer = new Indexer<T>();
  private readonly handlers: { h: EventHandlers<T> }[] = [];
  private readonly reflector: Reflector<T>;
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];
  private rv = '';
  private resyncTimer: Timer | undefined;
  private resyncMs: number;
  private running: Promise<void> | undefined;

  constructor(
    readonly resource: ApiResource,
    private readonly o: InformerOptions,
    private readonly deps: InformerDeps,
  ) {
    this.resyncMs = o.resyncMs ?? 0;
    this.lister = new CacheLister(this.indexer);
    this.reflector = new Reflector<T>({
      api: deps.dropManagedFields === true ? omittingManagedFields(deps.api) : deps.api,
      resource,
      ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
      ...(o.labelSelector !== undefined ? { labelSelector: o.labelSelector } : {}),
      ...(o.fieldSelector !== undefined ? { fieldSelector: o.fieldSelector } : {}),
      sink: this,
      clock: deps.clock,
      prng: deps.prng,
      log: deps.log,
      ...(deps.backoff !== undefined ? { backoff: deps.backoff } : {}),
    });
  }

  addHandlers(h: EventHandlers<T>): () => void {
    if (this.handlers.length >= HANDLERS_MAX) {
      throw new AssertionError(`more than ${HANDLERS_MAX} handlers on one informer`);
    }
    // One record per registration: removing it never removes another registration of the
    // same handlers object.
    const mine = { h };
    this.handlers.push(mine);
    for (const obj of this.indexer.list()) this.call(() => h.add?.(obj));
    return () => {
      const i = this.handlers.indexOf(mine);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.indexer.addIndex(name, fn);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string {
    return this.rv;
  }

  /** whenSynced resolves once the first list has been applied. */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** start runs the reflector (idempotent) and the resync timer when resyncMs is set. */
  start(): void {
    if (this.running !== undefined) return;
    this.running = this.reflector.run().catch((e: unknown) => {
      // Only an assertion escapes the reflector: crash, as every broken invariant does.
      queueMicrotask(() => {
        throw e;
      });
    });
    this.startResync();
  }

  /** requestResync: another user of this informer wants resyncs every resyncMs; the shortest
   *  period asked for wins. */
  requestResync(resyncMs: number): void {
    if (resyncMs <= 0 || (this.resyncMs > 0 && this.resyncMs <= resyncMs)) return;
    this.resyncMs = resyncMs;
    if (this.running !== undefined) this.startResync();
  }

  private startResync(): void {
    this.resyncTimer?.cancel();
    if (this.resyncMs <= 0) return;
    this.resyncTimer = this.deps.clock.setInterval(() => this.resync(), this.resyncMs);
  }

  /** stop ends the watch and the resync timer; resolves when the reflector has returned. */
  async stop(): Promise<void> {
    this.resyncTimer?.cancel();
    this.reflector.stop();
    await this.running;
  }

  /** replace (ReflectorSink): a relist; handlers see only the differences. */
  replace(items: T[], rv: string): void {
    if (this.deps.dropManagedFields === true) items.forEach(withoutManagedFields);
    const before = new Map(this.indexer.keys().map((k) => [k, this.indexer.get(k)!] as const));
    this.indexer.replace(items);
    this.rv = rv;
    for (const [key, old] of before) {
      if (this.indexer.get(key) === undefined) this.emit((h) => h.delete?.(old));
    }
    for (const obj of items) {
      const old = before.get(keyOf(obj));
      if (old === undefined) this.emit((h) => h.add?.(obj));
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
        this.emit((h) => h.update?.(old, obj));
      }
    }
    if (!this.synced) this.markSynced();
  }

  /** apply (ReflectorSink): one watch event. */
  apply(e: WatchEvent<T>): void {
    const obj = e.object;
    if (this.deps.dropManagedFields === true) withoutManagedFields(obj);
    if (obj.metadata.resourceVersion !== undefined) this.rv = obj.metadata.resourceVersion;
    if (e.type === 'BOOKMARK') return;
    if (e.type === 'DELETED') {
      this.indexer.remove(keyOf(obj));
      this.emit((h) => h.delete?.(obj));
      return;
    }
    const old = this.indexer.upsert(obj);
    if (old === undefined) this.emit((h) => h.add?.(obj));
    else this.emit((h) => h.update?.(old, obj));
  }

  private resync(): void {
    for (const obj of this.indexer.list()) this.emit((h) => h.update?.(obj, obj));
  }

  private markSynced(): void {
    this.synced = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private emit(f: (h: EventHandlers<T>) => void): void {
    for (const r of this.handlers) this.call(() => f(r.h));
  }

  /** call runs one handler: a throw is logged (one bad handler must not starve the others),
   *  an assertion crashes the process. */
  private call(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof AssertionError) {
        queueMicrotask(() => {
          throw e;
        });
      }
      this.deps.log(`${this.resource.resource} informer: handler threw: ${String(e)}`);
    }
  }
}

/** withoutManagedFields drops obj.metadata.managedFields in place (obj is freshly decoded and
 *  not yet shared). metadata is rebuilt rather than `delete`d from, which would leave V8 a
 *  slow dictionary-mode object for every later read. */
function withoutManagedFields(obj: KubeObject): void {
  if (obj.metadata.managedFields === undefined) return;
  const { managedFields: _dropped, ...meta } = obj.metadata;
  obj.metadata = meta;
}
