/**
 * The API server's storage interface: objects as JSON under keys in an etcd v3 store, with the
 * store revision as resourceVersion (reference/etcd-api.md §3). The implementation talks to the
 * store only through src/store/client (EtcdClient), so it runs unchanged against real etcd.
 * The registry (per-resource rules) sits above it; the watch cache sits beside it.
 */
import type { StatusError } from '../../api/errors.js';
import type { KubeObject, WatchEventType } from '../../api/meta.js';

/** Predicate filters objects for list and watch (label and field selectors, compiled). */
export type Predicate = (obj: KubeObject) => boolean;

/**
 * WatchTrigger: a watch's predicate passes only objects whose selectable field `field` equals
 * `value` (an exact term of its field selector); fieldsOf gives an object's selectable fields as
 * the predicate sees them. Watch caches index watchers by it (watcher-index.ts).
 */
export interface WatchTrigger {
  field: string;
  value: string;
  fieldsOf(obj: KubeObject): Record<string, string | undefined>;
}

/** ListOptions are a list request's storage parameters. */
export interface StorageListOptions {
  /** resourceVersion from the request: undefined/"" = latest (quorum read), "0" = any (cache). */
  resourceVersion?: string;
  /** resourceVersionMatch: "Exact" reads at exactly that revision; "NotOlderThan" at ≥ it. */
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /** Page size; 0/undefined = everything. */
  limit?: number;
  /** Opaque continue token from a previous page. */
  continueToken?: string;
  predicate?: Predicate;
  /** The predicate demands field = value: a watch cache answers from its index of that field. */
  trigger?: WatchTrigger;
}

/** ListResult is one page. */
export interface ListResult {
  items: KubeObject[];
  /** The revision the page was read at (list metadata.resourceVersion). */
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

/** WatchOptions start a watch. */
export interface StorageWatchOptions {
  /** undefined/"" or "0": current state first as ADDED events, then changes; "N": changes after N. */
  resourceVersion?: string;
  predicate?: Predicate;
  /** The predicate demands field = value: the cache offers the watch only matching events. */
  trigger?: WatchTrigger;
  /** Send BOOKMARK events (progress) when asked (allowWatchBookmarks=true). */
  bookmarks?: boolean;
}

/** StorageWatchEvent is one event as it leaves the API server (object carries its RV). */
export interface StorageWatchEvent {
  type: WatchEventType;
  object: KubeObject;
  /** W3C traceparent of the write, when the store carried one. */
  traceparent?: string;
}

/** Watch is a live watch; events arrive through the callback given to Storage.watch. */
export interface Watch {
  stop(): void;
  /**
   * resume restarts delivery after onEvent returned false (flow control, like stream.write):
   * while paused, events wait in a bounded buffer; a watch whose buffer overflows ends with an
   * error and the client watches again. Optional: implementations without flow control omit it.
   */
  resume?(): void;
}

/**
 * UpdateFn computes the new object from the current one (GuaranteedUpdate's tryUpdate): it may be
 * called again with a fresher object when a concurrent write wins. Throw a StatusError to abort.
 * Returning the same JSON as current makes the update a no-op (no write, same resourceVersion).
 */
export type UpdateFn = (current: KubeObject) => KubeObject | Promise<KubeObject>;

/**
 * FenceCondition makes a write conditional on a leader's fence: the write's own transaction also
 * compares mod_revision(key) == modRevision, so a deposed leader's write cannot land even when
 * it races the new leader's acquisition (no read-then-write window). When only this compare
 * fails the write is refused with refuse(the key's current mod_revision, 0 when absent), never
 * retried; a concurrent change of the object itself is retried as usual.
 */
export interface FenceCondition {
  key: string;
  modRevision: number;
  refuse: (currentModRevision: number) => StatusError;
}

/** CompanionWrite is one more key written in the same transaction as an object. */
export type CompanionWrite =
  | { type: 'put'; key: string; value: string }
  | { type: 'delete'; key: string };

/**
 * CompanionFn decides, from an object's state before and after a write (undefined: absent), a
 * companion write that must land atomically with it — the lease fence record that changes
 * exactly when a Lease changes hands. undefined: nothing more to write.
 */
export type CompanionFn = (
  before: KubeObject | undefined,
  after: KubeObject | undefined,
) => CompanionWrite | undefined;

/**
 * WriteConditions are a write's explicit, per-call transaction extras (no ambient context):
 * a fence compare, a companion write and a TTL. Absent, a write behaves exactly as without them.
 */
export interface WriteConditions {
  fence?: FenceCondition;
  companion?: CompanionFn;
  /**
   * The object's time to live (kube-apiserver's TTLFunc: Events' --event-ttl): the write puts
   * its key under a store lease that expires no sooner, and the store then deletes it. Creates
   * and updates both carry it (an update renews it, as upstream's does).
   */
  ttlSeconds?: number;
}

/** Storage is the keyed object store the registry uses. Keys are full store keys. */
export interface Storage {
  /** create writes obj at key iff absent; AlreadyExists (409) otherwise. Returns it with its RV. */
  create(key: string, obj: KubeObject, w?: WriteConditions): Promise<KubeObject>;
  /** get reads key (linearizable); undefined when absent. */
  get(key: string): Promise<KubeObject | undefined>;
  /**
   * peekCached: key's object as this server's watch cache last saw it — possibly stale, NOT a
   * copy (never change it); undefined when the cache does not know it. For checks that upstream
   * also makes from its informer cache (namespace lifecycle admission).
   */
  peekCached?(key: string): KubeObject | undefined;
  /**
   * guaranteedUpdate: read-modify-write with a mod_revision compare, retried on conflict. A
   * no-op result under a fence still checks the fence (in a read-only transaction).
   */
  guaranteedUpdate(key: string, update: UpdateFn, w?: WriteConditions): Promise<KubeObject>;
  /**
   * delete removes key iff check(current) passes (preconditions: uid, resourceVersion);
   * returns the last state. NotFound (404) when absent.
   */
  delete(
    key: string,
    check?: (current: KubeObject) => void,
    w?: WriteConditions,
  ): Promise<KubeObject>;
  /** list reads every object under prefix (a page of it with limit). */
  list(prefix: string, opts: StorageListOptions): Promise<ListResult>;
  /**
   * watch streams events under prefix; onError ends it (410 Expired when too old). onEvent may
   * return false to pause delivery until Watch.resume() (returning nothing never pauses).
   */
  watch(
    prefix: string,
    opts: StorageWatchOptions,
    onEvent: (e: StorageWatchEvent) => void | boolean,
    onError: (err: Error) => void,
  ): Watch;
}
