/**
 * Informers, listers and indexers (client-go's tools/cache): one list + watch per resource feeds a
 * shared, read-only, in-memory cache that every controller of a process reads, and handlers that
 * only enqueue keys. Objects handed out are the cache's own: never mutate them (copy first,
 * structuredClone), exactly as client-go requires.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ApiResource } from '../types.js';

/** ObjectKey is "<namespace>/<name>", or "<name>" for cluster-scoped objects (client-go's
 *  MetaNamespaceKeyFunc); keyOf and splitKey in ./keys.ts. */
export type ObjectKey = string;

/** IndexFunc maps an object to the values it is indexed under (client-go's IndexFunc). */
export type IndexFunc<T extends KubeObject> = (obj: T) => string[];

/** NAMESPACE_INDEX is the index every informer has: objects by metadata.namespace. */
export const NAMESPACE_INDEX = 'namespace';

/** Lister reads an informer's cache; nothing here does I/O. */
export interface Lister<T extends KubeObject> {
  /** get: the object, or undefined when the cache has none ("not found" is normal). */
  get(namespace: string | undefined, name: string): T | undefined;
  /** list: every object (in one namespace when given), optionally filtered by a label selector
   *  in the query syntax ("app=web,tier!=db"). */
  list(namespace?: string, labelSelector?: string): T[];
  /** byIndex: objects whose index function returned value. */
  byIndex(index: string, value: string): T[];
}

/** EventHandlers are called in event order, after the cache has the change. `old` is the
 *  previous cached object; a delete seen only through a relist passes the last known state. */
export interface EventHandlers<T extends KubeObject> {
  add?(obj: T): void;
  update?(old: T, obj: T): void;
  delete?(obj: T): void;
}

/** Informer is one resource's shared cache. */
export interface Informer<T extends KubeObject> {
  readonly resource: ApiResource;
  readonly lister: Lister<T>;
  /** addHandlers registers handlers; objects already cached are replayed as adds. The returned
   *  function removes them again (a leadership term ends, the informer lives on). */
  addHandlers(h: EventHandlers<T>): () => void;
  /** addIndex adds an index (before start, or rebuilt over the cache). */
  addIndex(name: string, fn: IndexFunc<T>): void;
  /** hasSynced: the first list has been applied. */
  hasSynced(): boolean;
  /** lastSyncResourceVersion: the revision of the newest event or list applied. */
  lastSyncResourceVersion(): string;
}

/** InformerOptions narrow what one informer caches (label/field selectors as in list). */
export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Every this often, handlers' update(obj, obj) is called for every cached object
   *  (client-go's resync); 0/undefined = never. */
  resyncMs?: number;
}

/** InformerFactory shares one informer per (resource, options) across a process's controllers. */
export interface InformerFactory {
  informerFor<T extends KubeObject>(r: ApiResource, o?: InformerOptions): Informer<T>;
  /** start runs every informer requested so far (and later ones as they are requested). */
  start(): void;
  /** waitForSync resolves once every started informer has synced; rejects when signal aborts. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** stop ends every watch. */
  stop(): void;
}
