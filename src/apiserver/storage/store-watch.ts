/**
 * StoreWatch: one client watch of an uncached resource, served by a store watch of its own —
 * what kube-apiserver does for the resources whose watch cache size is 0 (events, by default:
 * DefaultWatchCacheSizes), through its etcd3 watcher (apiserver/pkg/storage/etcd3/watcher.go).
 * No API server keeps every Event then: the store delivers an Event only to the API servers that
 * have a watcher for it, instead of to every API server for its cache.
 *
 * Semantics are the cached watch's (watch-cache.ts), so a client cannot tell the two apart:
 * - rv ""/"0": the current objects as ADDED (one paged list at one revision), then the changes
 *   after that revision; rv N: the changes after N; a compacted N ends with 410 Expired.
 * - Selectors: the store sends each change's previous value (prev_kv), so "starts matching" is
 *   ADDED and "stops matching" DELETED, as the cache computes it (event-ring.ts viewFor).
 * - Bookmarks when asked: the store's progress notifications (progress_notify, plus a request
 *   every bookmark period, as the cache asks for its own).
 * - Delivery, flow control and the bound on a slow client are CacheWatcher's.
 */
import type { KubeObject } from '../../api/meta.js';
import type { Clock, Timer } from '../../base/clock.js';
import {
  CompactedError,
  prefixEnd,
  type EtcdClient,
  type EtcdClientError,
  type KeyValue,
  type WatchBatch,
  type WatchEvent,
  type Watcher,
} from '../../store/client/index.js';
import { CacheWatcher } from './cache-watcher.js';
import { decodeOrSkip, withResourceVersion, type ObjectType } from './codec.js';
import type { CacheEvent } from './event-ring.js';
import { expiredWatch, toStatusError } from './storage-errors.js';
import type { Predicate, StorageWatchEvent, Watch } from './types.js';

/** StoreWatchSpec is one uncached client watch. */
export interface StoreWatchSpec {
  client: EtcdClient;
  /** The watch's prefix: a resource's, or one namespace's within it. */
  prefix: string;
  /** undefined or 0: the current state first; N: the changes after N. */
  revision: number | undefined;
  predicate?: Predicate | undefined;
  bookmarks: boolean;
  objectType: ObjectType;
  clock: Clock;
  /** Live events buffered for a slow client before its watch ends (as a cached watch's). */
  maxBuffered: number;
  /** How often a bookmark watch asks the store for progress. */
  bookmarkIntervalMs: number;
  onEvent: (e: StorageWatchEvent) => unknown;
  onError: (err: Error) => void;
  /** Called once when the watch ends for any reason. */
  onDone: () => void;
  log?: ((line: string) => void) | undefined;
}

/** Page size of the initial list of an rv "0" watch (bounded responses, one revision). */
const LIST_PAGE = 5_000;

/** watchStore starts one uncached client watch (see the file comment). */
export function watchStore(spec: StoreWatchSpec): Watch {
  return new StoreWatch(spec);
}

class StoreWatch implements Watch {
  private readonly out: CacheWatcher;
  private store: Watcher | undefined;
  private progressTimer: Timer | undefined;
  private ended = false;

  constructor(private readonly spec: StoreWatchSpec) {
    this.out = new CacheWatcher({
      prefix: spec.prefix,
      predicate: spec.predicate,
      bookmarks: spec.bookmarks,
      maxBuffered: spec.maxBuffered,
      objectType: spec.objectType,
      clock: spec.clock,
      onEvent: spec.onEvent,
      onError: spec.onError,
      onDone: () => this.end(),
    });
    void this.begin().catch((err: unknown) => this.out.fail(toStatusError(err)));
  }

  stop(): void {
    this.out.stop();
  }

  resume(): void {
    this.out.resume();
  }

  /** begin sends the initial state (rv "0") or nothing (rv N), then follows the store. */
  private async begin(): Promise<void> {
    const rev = this.spec.revision;
    let from: number;
    if (rev === undefined || rev === 0) {
      const { first, revision } = await this.currentState();
      if (this.ended) return;
      this.out.start(first, revision);
      from = revision + 1;
    } else {
      this.out.start([], rev);
      from = rev + 1;
    }
    const w = this.spec.client.watch(this.spec.prefix, {
      prefix: true,
      startRevision: from,
      prevKv: true,
      progressNotify: this.spec.bookmarks,
    });
    this.store = w;
    w.subscribe((b) => this.onBatch(b), (err) => this.onStoreEnd(from - 1, err));
    if (this.spec.bookmarks) {
      const every = this.spec.bookmarkIntervalMs;
      this.progressTimer = this.spec.clock.setInterval(() => w.requestProgress(), every);
    }
  }

  /** currentState lists the prefix at one revision: the matching objects as ADDED. */
  private async currentState(): Promise<{ first: StorageWatchEvent[]; revision: number }> {
    const { client, prefix, predicate } = this.spec;
    const end = prefixEnd(prefix);
    const first: StorageWatchEvent[] = [];
    let from = prefix;
    let revision = 0;
    for (;;) {
      const page = await client.get(from, { rangeEnd: end, limit: LIST_PAGE, revision });
      if (revision === 0) revision = page.revision;
      for (const kv of page.kvs) {
        const obj = this.decode(kv);
        if (obj && (!predicate || predicate(obj))) first.push({ type: 'ADDED', object: obj });
      }
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || !last || this.ended) return { first, revision };
      from = `${last.key.toString('utf8')}\x00`;
    }
  }

  private onBatch(b: WatchBatch): void {
    if (this.ended) return;
    if (b.progress) {
      this.out.bookmark(b.revision);
      return;
    }
    for (const e of b.events) {
      const ce = this.toCacheEvent(e);
      if (ce) this.out.deliver(ce);
    }
  }

  private onStoreEnd(after: number, err: EtcdClientError | undefined): void {
    if (this.ended) return;
    if (err instanceof CompactedError) {
      this.out.fail(expiredWatch(after, err.compactRevision));
      return;
    }
    const why = err ?? new Error('the store ended the watch');
    this.out.fail(toStatusError(why));
  }

  /**
   * toCacheEvent: a store change as the cache would record it. A delete carries the last state
   * (prev_kv) at the deletion's revision; one the store has no previous value for is skipped,
   * as the cache skips a key it could not decode.
   */
  private toCacheEvent(e: WatchEvent): CacheEvent | undefined {
    const key = e.kv.key.toString('utf8');
    const revision = e.kv.modRevision;
    const prevObject = e.prevKv ? this.decode(e.prevKv) : undefined;
    const traceparent = e.traceparent;
    if (e.type === 'delete') {
      if (!prevObject) return undefined;
      const object = withResourceVersion(prevObject, revision);
      return { type: 'DELETED', key, object, prevObject, revision, traceparent };
    }
    const object = this.decode(e.kv);
    if (!object) return undefined;
    const type = e.kv.createRevision === revision ? 'ADDED' : 'MODIFIED';
    return { type, key, object, prevObject, revision, traceparent };
  }

  private decode(kv: KeyValue): KubeObject | undefined {
    return decodeOrSkip(kv.value, kv.modRevision, kv.key,
      (line) => this.spec.log?.(`store watch ${this.spec.prefix}: ${line}`));
  }

  /** end releases the store watch and the timer once the client watch is over. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.progressTimer?.cancel();
    this.store?.cancel();
    this.spec.onDone();
  }
}
