/**
 * WatchCache: kube-apiserver's cacher for one resource prefix (reference/etcd-api.md §3). One
 * store watch (progress_notify; no prev_kv: the cache has the old values) after one list keeps
 * every object of the resource in memory plus a bounded ring of recent events, so the store
 * sees one long-lived watch per resource instead of one per client, and lists at
 * resourceVersion "0" cost the store nothing.
 *
 * - Watches: rv ""/"0" → the current objects as ADDED, then changes; rv N → the ring's events
 *   after N, then changes; N older than the ring → 410 Expired. A future N waits (bounded) for
 *   the cache to catch up.
 * - Freshness: `revision` is how far the cache has seen the store — the last event, or a progress
 *   notification. waitUntilFresh(N) waits for it, asking the store for progress meanwhile.
 * - Bookmarks: every bookmarkIntervalMs the cache asks for progress and tells bookmark watchers
 *   its revision.
 * - Failure: a broken store watch is re-created from the next revision; a compacted one (the cache
 *   fell behind compaction) relists, which ends every client watch — their history is gone.
 */
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import {
  CompactedError,
  prefixEnd,
  type EtcdClient,
  type EtcdClientError,
  type WatchBatch,
  type WatchEvent,
  type Watcher,
} from '../../store/client/index.js';
import { CacheWatcher } from './cache-watcher.js';
import { decodeCachedObject, decodeOrSkip, withResourceVersion, type ObjectType } from './codec.js';
import { EventRing, mayPass, type CacheEvent, type HistoryLimits } from './event-ring.js';
import { FieldIndexes } from './field-index.js';
import { expiredWatch, toStatusError, tooLargeResourceVersion } from './storage-errors.js';
import type { Predicate, StorageWatchEvent, Watch, WatchTrigger } from './types.js';
import { WatcherIndex } from './watcher-index.js';
import { rememberStored, storedValueOf } from './shared-views.js';
import { stamp } from '../../base/timeline.js';
import { cloneJson } from '../../api/patch/json.js';

export interface WatchCacheOptions {
  client: EtcdClient;
  /** The resource prefix, e.g. "/registry/pods/" (ends with "/"). */
  prefix: string;
  clock: Clock;
  /** kind/apiVersion of BOOKMARK objects. */
  objectType: ObjectType;
  /** History kept for resuming watches, by time within counts (default HISTORY). */
  history?: HistoryLimits;
  /** A fixed number of events instead (tests). */
  historyEvents?: number;
  /** Live events buffered per slow watcher before it is terminated (default 1000). */
  watcherBufferEvents?: number;
  /** Bookmark period (default BOOKMARK_INTERVAL_MS). */
  bookmarkIntervalMs?: number;
  /** How long a read or watch waits for the cache to reach a revision (default 3 s, upstream). */
  freshTimeoutMs?: number;
  /** Wait before re-creating a failed store watch or list (default 1 s). */
  retryMs?: number;
  /**
   * Whether a progress request's answer proves every earlier event was delivered. True for the
   * k8ts store and etcd ≥ 3.4.25/3.5.8; older etcd can send it ahead of events (etcd#15220), so
   * there only periodic progress notifications move the cache forward. Default true.
   */
  trustProgressRequests?: boolean;
  log?: (line: string) => void;
}

/** Page size of the cache's (re)list: bounded responses, all at one revision. */
const LIST_PAGE = 5_000;
/** Bounds pending waitUntilFresh callers; beyond it reads fail fast with 504. */
const MAX_FRESH_WAITERS = 10_000;

/**
 * HISTORY: events kept per resource for resuming watches, sized by time as upstream's watch cache
 * (at least 75 s of events, at most 100,000; upstream's eventFreshDuration and upper bound). A
 * client whose watch broke resumes from its last resourceVersion, which bookmarks move every
 * BOOKMARK_INTERVAL_MS; when that revision has left the history it must relist. A fixed count
 * held seconds during a burst: 1,000 events were ~5 s of 1,000 hollow nodes' pod changes, so
 * after a 27 s break of their API connections 249 kubelets relisted at once; 10,000 held 50–100 s
 * at that rate, and nothing bounded a faster one. The floor of 10,000 keeps a quiet resource's
 * history long at little cost.
 */
const HISTORY: HistoryLimits = { minEvents: 10_000, maxEvents: 100_000, keepMs: 75_000 };

/**
 * BOOKMARK_INTERVAL_MS: how often bookmark watchers learn the cache's revision. A watcher of a
 * node's pods sees few events, so its resume point is mostly its last bookmark: with HISTORY's
 * 75 s, a 60 s period (upstream's ~1 min) left a break of only 15 s resumable in the worst case;
 * 15 s leaves 60 s. The cost is one small event per bookmark watcher per period (1,000 kubelets:
 * ~70 per second per resource, spread over the API servers).
 */
const BOOKMARK_INTERVAL_MS = 15_000;

interface FreshWaiter {
  revision: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: Timer;
}

export class WatchCache {
  private objects = new Map<string, KubeObject>();
  private ring: EventRing;
  private rev = 0;
  private isReady = false;
  private readyWaiters: (() => void)[] = [];
  private readonly watchers = new WatcherIndex();
  private readonly indexes = new FieldIndexes();
  private freshWaiters: FreshWaiter[] = [];
  private storeWatch: Watcher | undefined;
  private bookmarkTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private closed = false;
  private readonly o: Required<Omit<WatchCacheOptions, 'log' | 'historyEvents'>> &
    Pick<WatchCacheOptions, 'log' | 'historyEvents'>;

  constructor(opts: WatchCacheOptions) {
    assert(opts.prefix.endsWith('/'), `WatchCache: prefix ${opts.prefix} must end with "/"`);
    this.o = {
      history: HISTORY,
      watcherBufferEvents: 1000,
      bookmarkIntervalMs: BOOKMARK_INTERVAL_MS,
      freshTimeoutMs: 3_000,
      retryMs: 1_000,
      trustProgressRequests: true,
      ...opts,
    };
    this.ring = new EventRing(this.o.historyEvents ?? this.o.history, 0);
  }

  get prefix(): string {
    return this.o.prefix;
  }

  /** revision is how far the cache has seen the store (0 before the first list). */
  get revision(): number {
    return this.rev;
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** watcherCount is the number of client watches served now. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** start lists and begins watching; waitReady() resolves once the first list is in. */
  start(): void {
    assert(!this.closed, 'WatchCache: closed');
    const everyMs = this.o.bookmarkIntervalMs;
    this.bookmarkTimer ??= this.o.clock.setInterval(() => this.onBookmarkTick(), everyMs);
    void this.relist();
  }

  /** waitReady resolves once the cache holds a full list. */
  waitReady(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * waitUntilFresh resolves once the cache has seen revision `rev`; after freshTimeoutMs it
   * rejects with 504 "Too large resource version" (upstream's waitUntilFreshAndBlock).
   */
  async waitUntilFresh(rev: number): Promise<void> {
    await this.waitReady();
    if (this.rev >= rev) return;
    if (this.freshWaiters.length >= MAX_FRESH_WAITERS) throw tooLargeResourceVersion(rev, this.rev);
    this.storeWatch?.requestProgress();
    await new Promise<void>((resolve, reject) => {
      const w: FreshWaiter = {
        revision: rev,
        resolve,
        reject,
        timer: this.o.clock.setTimeout(() => {
          this.freshWaiters = this.freshWaiters.filter((x) => x !== w);
          reject(tooLargeResourceVersion(rev, this.rev));
        }, this.o.freshTimeoutMs),
      };
      this.freshWaiters.push(w);
    });
  }

  /** peek: the cached object at key, NOT a copy (never change it), or undefined when the cache
   *  is not ready or has none. A write uses it as its first guess (see EtcdStorage). */
  peek(key: string): KubeObject | undefined {
    return this.isReady ? this.objects.get(key) : undefined;
  }

  /** storedValue: the store's value a cached object (from peek) was decoded from, so a write
   *  guessing from the cache compares against the real bytes without encoding them again. */
  storedValue(obj: KubeObject): Buffer | undefined {
    return storedValueOf(obj);
  }

  /**
   * list returns the objects under `prefix` passing `predicate`, sorted by key, and the revision
   * they are at. The objects are copies: callers may change them. With a trigger (the predicate
   * demands field = value), only the keys indexed under that value are read (field-index.ts).
   */
  list(
    prefix: string, predicate?: Predicate, trigger?: WatchTrigger,
  ): { items: KubeObject[]; revision: number } {
    assert(this.isReady, 'WatchCache.list before ready');
    const candidates = (trigger && this.indexes.keysFor(trigger, this.objects)) ??
      this.objects.keys();
    const keys = [...candidates].filter((k) => k.startsWith(prefix)).sort(byteOrder);
    const items: KubeObject[] = [];
    for (const k of keys) {
      const obj = this.objects.get(k)!;
      if (!predicate || predicate(obj)) items.push(cloneJson(obj));
    }
    return { items, revision: this.rev };
  }

  /** watch serves one client watch (see the file comment for rv semantics). */
  watch(
    prefix: string,
    opts: {
      revision: number | undefined;
      predicate?: Predicate | undefined;
      trigger?: WatchTrigger | undefined;
      bookmarks: boolean;
    },
    onEvent: (e: StorageWatchEvent) => unknown,
    onError: (err: Error) => void,
  ): Watch {
    const w = new CacheWatcher({
      prefix,
      predicate: opts.predicate,
      bookmarks: opts.bookmarks,
      maxBuffered: this.o.watcherBufferEvents,
      objectType: this.o.objectType,
      clock: this.o.clock,
      onEvent,
      onError,
      onDone: (done) => this.watchers.delete(done),
    });
    const rev = opts.revision;
    const attach = (): void => {
      if (w.isStopped) return;
      if (this.closed) return w.fail(toStatusError(new Error('the watch cache is closed')));
      if (rev === undefined || rev === 0) {
        return this.attachSnapshot(w, prefix, opts.predicate, opts.trigger);
      }
      const events = this.ring.since(rev);
      if (events === 'expired') return w.fail(expiredWatch(rev, this.ring.startRevision));
      this.watchers.add(w, opts.trigger);
      const t = opts.trigger;
      const upTo = events[events.length - 1]?.revision ?? rev;
      w.startWithReplay(t === undefined ? events : events.filter((e) => mayPass(e, t)), upTo);
    };
    const needs = rev === undefined || rev === 0 ? 0 : rev;
    if (this.isReady && this.rev >= needs) attach();
    else this.waitUntilFresh(needs).then(attach, (e: unknown) => w.fail(toStatusError(e)));
    return w;
  }

  /** close ends the store watch, every client watch and every waiter. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.bookmarkTimer?.cancel();
    this.retryTimer?.cancel();
    this.storeWatch?.cancel();
    for (const w of this.watchers.all()) w.stop();
    for (const f of this.freshWaiters) {
      f.timer.cancel();
      f.reject(toStatusError(new Error('the watch cache is closed')));
    }
    this.freshWaiters = [];
  }

  private attachSnapshot(
    w: CacheWatcher, prefix: string, predicate?: Predicate, trigger?: WatchTrigger,
  ): void {
    const first: StorageWatchEvent[] = [];
    for (const [k, obj] of this.objects) {
      if (!k.startsWith(prefix) || (predicate && !predicate(obj))) continue;
      first.push({ type: 'ADDED', object: obj });
    }
    this.watchers.add(w, trigger);
    w.start(first, this.rev);
  }

  // ---- feeding the cache from the store ----

  /** relist reads the whole prefix at one revision, replaces the state and watches after it. */
  private async relist(): Promise<void> {
    this.retryTimer = undefined;
    if (this.closed) return;
    try {
      const { objects, revision } = await this.listAll();
      if (this.closed) return;
      const wasReady = this.isReady;
      this.objects = objects;
      this.indexes.clear();
      this.ring = new EventRing(this.o.historyEvents ?? this.o.history, revision);
      this.rev = revision;
      // Client watches cannot be continued across a relist: the events in between are lost.
      if (wasReady) for (const w of this.watchers.all()) w.fail(expiredWatch(revision, revision));
      this.isReady = true;
      for (const r of this.readyWaiters.splice(0)) r();
      this.wakeFreshWaiters();
      this.startStoreWatch(revision + 1);
    } catch (e) {
      this.say(`list failed: ${(e as Error).message}`);
      this.retryTimer = this.o.clock.setTimeout(() => void this.relist(), this.o.retryMs);
    }
  }

  private async listAll(): Promise<{ objects: Map<string, KubeObject>; revision: number }> {
    const objects = new Map<string, KubeObject>();
    const end = prefixEnd(this.o.prefix);
    let from: string = this.o.prefix;
    let revision = 0;
    for (;;) {
      const page = await this.o.client.get(from, { rangeEnd: end, limit: LIST_PAGE, revision });
      if (revision === 0) revision = page.revision;
      for (const kv of page.kvs) {
        const obj = this.decode(kv.value, kv.modRevision, kv.key);
        if (obj) objects.set(kv.key.toString('utf8'), obj);
      }
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || !last) return { objects, revision };
      from = `${last.key.toString('utf8')}\x00`;
    }
  }

  private startStoreWatch(fromRev: number): void {
    if (this.closed) return;
    // No prev_kv: the cache holds every object since its list, so the previous state of any
    // changed key is already here (asking for it would make the store read and send every
    // event's old value to every API server, only for the cache to ignore it).
    const w = this.o.client.watch(this.o.prefix, {
      prefix: true,
      startRevision: fromRev,
      progressNotify: true,
    });
    this.storeWatch = w;
    w.subscribe(
      (b) => this.storeWatch === w && this.onBatch(b, w),
      (err) => this.storeWatch === w && this.onStoreWatchEnd(err),
    );
  }

  private onStoreWatchEnd(err: EtcdClientError | undefined): void {
    this.storeWatch = undefined;
    if (this.closed) return;
    if (err instanceof CompactedError) {
      this.say(`store watch compacted at ${this.rev + 1}; relisting`);
      void this.relist();
      return;
    }
    this.say(`store watch ended (${err?.message ?? 'no error'}); retrying`);
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.startStoreWatch(this.rev + 1);
    }, this.o.retryMs);
  }

  private onBatch(b: WatchBatch, w: Watcher): void {
    if (b.progress) {
      const vouched = w.nextRevision() > b.revision || this.o.trustProgressRequests;
      if (vouched && b.revision > this.rev) this.rev = b.revision;
      this.wakeFreshWaiters();
      this.sendBookmarks();
      return;
    }
    for (const e of b.events) {
      const ce = this.apply(e);
      if (!ce) continue;
      this.ring.push(ce, this.o.clock.nowMs());
      for (const cw of this.watchers.forEvent(ce)) cw.deliver(ce);
    }
    this.rev = Math.max(this.rev, b.revision);
    this.wakeFreshWaiters();
  }

  /** apply changes the object map and returns the event as watchers see it. */
  private apply(e: WatchEvent): CacheEvent | undefined {
    const key = e.kv.key.toString('utf8');
    const rev = e.kv.modRevision;
    // The cache holds every object, so the previous state is its own (see startStoreWatch);
    // a key it skipped as undecodable has none, as a prev_kv of it would not decode either.
    const prev = this.objects.get(key);
    const trace = e.traceparent;
    if (e.type === 'delete') {
      this.objects.delete(key);
      if (!prev) return undefined;
      this.indexes.update(key, prev, undefined);
      const object = withResourceVersion(prev, rev);
      return { type: 'DELETED', key, object, prevObject: prev, revision: rev, traceparent: trace };
    }
    const obj = this.decode(e.kv.value, rev, e.kv.key);
    if (!obj) {
      this.objects.delete(key);
      this.indexes.update(key, prev, undefined);
      return undefined;
    }
    this.objects.set(key, obj);
    this.indexes.update(key, prev, obj);
    const type = prev ? 'MODIFIED' : 'ADDED';
    stamp(`wc.${type}`, key);
    return { type, key, object: obj, prevObject: prev, revision: rev, traceparent: trace };
  }

  private decode(value: Buffer, rev: number, key: Buffer): KubeObject | undefined {
    // A copy: the value may be a view into a whole watch response or list page. Kept for
    // write guesses (storedValue), as the object's JSON for watchers (shared-views.ts) and
    // for the object's managedFields, parsed when first read (decodeCachedObject).
    const stored = Buffer.from(value);
    const obj = decodeOrSkip(stored, rev, key, (line) => this.say(line), decodeCachedObject);
    if (obj) rememberStored(obj, stored);
    return obj;
  }

  private wakeFreshWaiters(): void {
    if (this.freshWaiters.length === 0) return;
    const still: FreshWaiter[] = [];
    for (const f of this.freshWaiters) {
      if (this.isReady && this.rev >= f.revision) {
        f.timer.cancel();
        f.resolve();
      } else still.push(f);
    }
    this.freshWaiters = still;
  }

  private onBookmarkTick(): void {
    if (!this.isReady || this.watchers.size === 0) return;
    this.sendBookmarks();
    this.storeWatch?.requestProgress();
  }

  private say(line: string): void {
    this.o.log?.(`watch cache ${this.o.prefix}: ${line}`);
  }

  private sendBookmarks(): void {
    for (const w of this.watchers.all()) w.bookmark(this.rev);
  }
}

/** byteOrder sorts keys as the store does (API keys are ASCII: code units order as bytes). */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
