/**
 * EtcdStorage: the Storage interface over an etcd v3 client, as kube-apiserver's etcd3 store does
 * it (reference/etcd-api.md §3), so it runs unchanged on the k8ts store and on real etcd:
 *
 * - create: Txn If(mod_revision(k) = 0) Then Put — AlreadyExists otherwise.
 * - WriteConditions ride in the same Txn: a fence adds its compare to If and a read of the
 *   fence key to Else (a lost fence is refused at once, never retried); a companion adds its
 *   Put/Delete to Then, so the two keys change atomically.
 * - guaranteedUpdate: linearizable read, UpdateFn, Txn If(mod_revision = read) Then Put
 *   Else Range; a lost race retries on the Else branch's object (no extra read), a result equal
 *   to the stored bytes writes nothing (same resourceVersion). Bounded attempts.
 * - delete: the same compare loop around DeleteRange, with the caller's check on each state.
 * - list: paged Ranges pinned to the first page's revision, continue tokens in upstream's
 *   format, limit doubling while a predicate filters; rv "0" and not-older-than reads come from
 *   the watch cache.
 * - watch: through the resource's watch cache (one store watch per resource), or, for an
 *   uncached resource (events by default, as upstream), a store watch per client watch
 *   (store-watch.ts); an uncached resource's lists always read the store.
 * - A write with a TTL (WriteConditions.ttlSeconds: Events) puts its key under a shared store
 *   lease (lease-manager.ts), so the store deletes it when the lease expires.
 *
 * A write whose outcome is unknown (the answer was lost) is settled by reading the key back:
 * our exact bytes mean it landed; otherwise the loop goes on from what is there.
 */
import {
  STALE_OBJECT_MESSAGE,
  alreadyExists,
  badRequest,
  conflict,
  notFound,
  isTooLargeResourceVersion,
  StatusError,
} from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import {
  CompactedError,
  EtcdClientError,
  OutcomeUnknownError,
  compare,
  op,
  prefixEnd,
  type EtcdClient,
  type GetResult,
  type Op,
  type OpResult,
} from '../../store/client/index.js';
import {
  decodeObject,
  encodeObject,
  keyInfo,
  parseRevision,
  resourcePrefixOf,
  typeOfPrefix,
  withResourceVersion,
  type ObjectType,
} from './codec.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import {
  CONTINUE_EXPIRED,
  LIST_EXPIRED,
  toStatusError,
  tooLargeResourceVersion,
} from './storage-errors.js';
import type {
  ListResult,
  Predicate,
  Storage,
  StorageListOptions,
  StorageWatchEvent,
  StorageWatchOptions,
  UpdateFn,
  Watch,
  WriteConditions,
} from './types.js';
import { WatchCache, type WatchCacheOptions } from './watch-cache.js';
import { LeaseManager } from './lease-manager.js';
import { watchStore } from './store-watch.js';
import { stamp } from '../../base/timeline.js';
import { checkFence, companionOps, fenceCompares, fenceReads } from './write-conditions.js';
import { rememberStored } from './shared-views.js';

/** Cache settings EtcdStorage passes to every WatchCache it makes. */
export type CacheSettings = Partial<
  Omit<WatchCacheOptions, 'client' | 'prefix' | 'clock' | 'objectType' | 'log'>
>;

export interface EtcdStorageOptions {
  client: EtcdClient;
  clock: Clock;
  /** Watch cache settings (history, buffers, bookmark period, freshness timeout). */
  cache?: CacheSettings;
  /** kind/apiVersion of BOOKMARK objects per resource prefix (default: the resource table). */
  objectTypeOf?: (resourcePrefix: string) => ObjectType | undefined;
  /** Compare-and-swap attempts of guaranteedUpdate/delete/create before 409 (default 64). */
  maxAttempts?: number;
  /**
   * Resource prefixes ("/registry/events/") with no watch cache (kube-apiserver's watch cache
   * size 0): their lists read the store, each of their watches is a store watch of its own.
   */
  uncached?: ReadonlySet<string>;
  log?: (line: string) => void;
}

/** Upstream's ceiling for the doubled page size while a predicate filters (maxLimit). */
const MAX_LIST_BATCH = 10_000;
/** Watch caches at most (one per resource prefix; the resource table has far fewer). */
const MAX_CACHES = 512;
/** Client watches of uncached resources at once, each a store watch (the client's own bound is
 *  10,000 for all of its watches, the caches' included): beyond it a watch is refused with 429. */
const MAX_STORE_WATCHES = 1_000;
/** Defaults of a watch of an uncached resource, as a cached watch's (watch-cache.ts). */
const STORE_WATCH_BUFFER_EVENTS = 1_000;
const STORE_WATCH_BOOKMARK_MS = 15_000;

/** StoredState is a key's current value and revision as last read. */
interface StoredState {
  data: Buffer;
  rev: number;
}

export class EtcdStorage implements Storage {
  private readonly caches = new Map<string, WatchCache>();
  private readonly storeWatches = new Set<Watch>();
  private readonly leases: LeaseManager;
  private readonly maxAttempts: number;
  private closed = false;

  constructor(private readonly o: EtcdStorageOptions) {
    this.leases = new LeaseManager(o.client, o.clock);
    this.maxAttempts = o.maxAttempts ?? 64;
    assert(this.maxAttempts >= 1, 'EtcdStorage: maxAttempts must be ≥ 1');
  }

  async create(key: string, obj: KubeObject, w?: WriteConditions): Promise<KubeObject> {
    const data = encodeObject(obj);
    const info = keyInfo(key);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      let lease = 0n;
      try {
        // Only TTL'd writes (Events) wait for a lease; the rest skip a turn of the microtask queue.
        if (w?.ttlSeconds !== undefined) lease = await this.leaseFor(w.ttlSeconds);
        stamp('st.create.txn', key);
        const res = await this.o.client
          .txn()
          .if(compare.modRevision(key, '=', 0), ...fenceCompares(w))
          .success(op.put(key, data, { lease }), ...companionOps(w, undefined, obj))
          .failure(...fenceReads(w))
          .commit();
        stamp('st.create.ok', key);
        // What was stored is obj: no need to parse the bytes just written (see stored()).
        if (res.succeeded) return stored(obj, res.revision, data);
        checkFence(w, res.responses[0]);
        throw alreadyExists(info.gr, info.name);
      } catch (err) {
        if (this.leaseGone(err, lease)) continue;
        if (!(err instanceof OutcomeUnknownError)) throw toStatusError(err);
        const now = await this.read(key);
        if (now && now.data.equals(data)) return decodeObject(now.data, now.rev);
        if (now) throw alreadyExists(info.gr, info.name);
      }
    }
    throw conflict(info.gr, info.name, 'the store did not confirm the create; try again');
  }

  async get(key: string): Promise<KubeObject | undefined> {
    const s = await this.read(key);
    return s ? decodeObject(s.data, s.rev) : undefined;
  }

  async guaranteedUpdate(key: string, update: UpdateFn, w?: WriteConditions): Promise<KubeObject> {
    const info = keyInfo(key);
    // First guess from the watch cache (upstream's cachedExistingObject): the transaction's
    // mod_revision compare catches a stale guess, and its failure branch returns the current
    // state, so a fresh cache saves the linearizable read every update used to cost. What a
    // stale guess could make wrong — a refusal by the update itself (a resourceVersion
    // precondition) or "nothing to change" — is confirmed against the store before it stands.
    let cur = this.cachedState(key);
    let guessed = cur !== undefined;
    if (!guessed) cur = await this.read(key);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (!cur) throw notFound(info.gr, info.name);
      const before = w?.companion ? decodeObject(cur.data, cur.rev) : undefined;
      // A fresh decode per attempt: the UpdateFn may mutate what it gets.
      let next: KubeObject;
      try {
        next = await update(decodeObject(cur.data, cur.rev));
      } catch (err) {
        if (!guessed) throw err;
        [cur, guessed] = [await this.read(key), false];
        continue;
      }
      const data = encodeObject(next);
      const noop = data.equals(cur.data);
      if (noop && guessed) {
        [cur, guessed] = [await this.read(key), false];
        continue;
      }
      if (noop && !w?.fence) return decodeObject(cur.data, cur.rev);
      let lease = 0n;
      try {
        // An update renews the TTL, as upstream's (a put without the lease would detach it).
        if (!noop && w?.ttlSeconds !== undefined) lease = await this.leaseFor(w.ttlSeconds);
        stamp('st.update.txn', key);
        const res = await this.o.client
          .txn()
          .if(compare.modRevision(key, '=', cur.rev), ...fenceCompares(w))
          .success(...(noop ? [] : putWith(key, data, lease, companionOps(w, before, next))))
          .failure(op.get(key), ...fenceReads(w))
          .commit();
        stamp('st.update.ok', key);
        if (res.succeeded && noop) return decodeObject(cur.data, cur.rev);
        if (res.succeeded) return stored(next, res.revision, data);
        checkFence(w, res.responses[1]);
        [cur, guessed] = [stateOf(res.responses[0]), false];
      } catch (err) {
        if (this.leaseGone(err, lease)) continue;
        if (!(err instanceof OutcomeUnknownError)) throw toStatusError(err);
        const now = await this.read(key);
        if (now && now.data.equals(data)) return decodeObject(now.data, now.rev);
        [cur, guessed] = [now, false];
      }
    }
    throw conflict(info.gr, info.name, STALE_OBJECT_MESSAGE);
  }

  peekCached(key: string): KubeObject | undefined {
    return this.caches.get(resourcePrefixOf(key))?.peek(key);
  }

  /** cachedState: key's state in its resource's watch cache (running and ready), else
   *  undefined. Only ever a guess: see guaranteedUpdate. */
  private cachedState(key: string): StoredState | undefined {
    const cache = this.caches.get(resourcePrefixOf(key));
    const obj = cache?.peek(key);
    const rev = Number(obj?.metadata.resourceVersion);
    if (obj === undefined || !Number.isSafeInteger(rev) || rev <= 0) return undefined;
    return { data: cache?.storedValue(obj) ?? encodeObject(obj), rev };
  }

  async delete(
    key: string,
    check?: (current: KubeObject) => void,
    w?: WriteConditions,
  ): Promise<KubeObject> {
    const info = keyInfo(key);
    let cur = await this.read(key);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (!cur) throw notFound(info.gr, info.name);
      const obj = decodeObject(cur.data, cur.rev);
      check?.(decodeObject(cur.data, cur.rev));
      try {
        const res = await this.o.client
          .txn()
          .if(compare.modRevision(key, '=', cur.rev), ...fenceCompares(w))
          .success(op.delete(key), ...companionOps(w, obj, undefined))
          .failure(op.get(key), ...fenceReads(w))
          .commit();
        // The deleted object carries the deletion's revision, as upstream returns it.
        if (res.succeeded) return withResourceVersion(obj, res.revision);
        checkFence(w, res.responses[1]);
        cur = stateOf(res.responses[0]);
      } catch (err) {
        if (!(err instanceof OutcomeUnknownError)) throw toStatusError(err);
        const page = await this.readPage(key);
        if (page.kvs.length === 0) return withResourceVersion(obj, page.revision);
        cur = stateOf({ type: 'get', ...page });
      }
    }
    throw conflict(info.gr, info.name, STALE_OBJECT_MESSAGE);
  }

  async list(prefix: string, opts: StorageListOptions): Promise<ListResult> {
    const rv = parseRevision(opts.resourceVersion);
    checkListOptions(opts, rv);
    const limit = opts.limit ?? 0;
    const match = opts.resourceVersionMatch;
    const cacheable = !opts.continueToken && match !== 'Exact' && this.isCached(prefix);
    if (cacheable && rv !== undefined && (rv === 0 || limit <= 0)) {
      const cache = this.cacheFor(prefix);
      // rv "0" accepts any state: before the cache is ready, the store answers.
      if (cache.ready || rv > 0) {
        await cache.waitUntilFresh(rv);
        const { items, revision } = cache.list(prefix, opts.predicate, opts.trigger);
        return { items, resourceVersion: String(revision) };
      }
    }
    if (cacheable && rv === undefined && limit <= 0) {
      const fromCache = await this.consistentListFromCache(prefix, opts);
      if (fromCache !== undefined) return fromCache;
    }
    let revision = 0;
    let from = prefix;
    if (opts.continueToken) {
      const point = decodeContinue(opts.continueToken, prefix);
      from = point.key;
      revision = Math.max(point.revision, 0);
    } else if (rv !== undefined && rv > 0 && (match === 'Exact' || (!match && limit > 0))) {
      revision = rv; // Exact, and upstream's legacy reading of rv=N with a limit
    }
    // NotOlderThan, and rv=N without a limit from the store (an uncached resource): the
    // latest state, which must be at least N (upstream's validateMinimumResourceVersion).
    const minimum = revision === 0 && rv !== undefined && !opts.continueToken ? rv : 0;
    const predicate = opts.predicate;
    return this.listFromStore(prefix, { revision, from, limit, predicate, minimum });
  }

  watch(
    prefix: string,
    opts: StorageWatchOptions,
    onEvent: (e: StorageWatchEvent) => void | boolean,
    onError: (err: Error) => void,
  ): Watch {
    const rv = parseRevision(opts.resourceVersion);
    if (rv !== undefined && Number.isNaN(rv)) {
      onError(invalidResourceVersion(opts.resourceVersion ?? ''));
      return { stop: () => {} };
    }
    if (!this.isCached(prefix)) return this.watchUncached(prefix, rv, opts, onEvent, onError);
    return this.cacheFor(prefix).watch(
      prefix,
      { revision: rv, predicate: opts.predicate, trigger: opts.trigger,
        bookmarks: opts.bookmarks === true },
      onEvent,
      onError,
    );
  }

  /**
   * cacheFor returns the watch cache of the resource `prefix` belongs to, starting it on first
   * use. Call it at startup for each resource so watches resume from before the first client.
   */
  cacheFor(prefix: string): WatchCache {
    assert(!this.closed, 'EtcdStorage is closed');
    assert(this.isCached(prefix), `EtcdStorage: ${prefix} is not cached`);
    const rp = resourcePrefixOf(prefix);
    let cache = this.caches.get(rp);
    if (cache) return cache;
    assert(this.caches.size < MAX_CACHES, `EtcdStorage: more than ${MAX_CACHES} watch caches`);
    const objectType = this.objectTypeFor(rp);
    cache = new WatchCache({
      ...this.o.cache,
      client: this.o.client,
      prefix: rp,
      clock: this.o.clock,
      objectType,
      ...(this.o.log ? { log: this.o.log } : {}),
    });
    this.caches.set(rp, cache);
    cache.start();
    return cache;
  }

  /** waitUntilFresh waits (bounded) until the cache of `prefix` has seen revision `rev`. */
  waitUntilFresh(prefix: string, rev: number): Promise<void> {
    return this.cacheFor(prefix).waitUntilFresh(rev);
  }

  /** isCached: whether the resource of `prefix` has a watch cache (not configured uncached). */
  isCached(prefix: string): boolean {
    return this.o.uncached?.has(resourcePrefixOf(prefix)) !== true;
  }

  /** close stops every watch cache and uncached watch (the client is the caller's to close). */
  close(): void {
    this.closed = true;
    for (const c of this.caches.values()) c.close();
    this.caches.clear();
    for (const w of [...this.storeWatches]) w.stop();
  }

  /** watchUncached serves a watch of an uncached resource from a store watch of its own. */
  private watchUncached(
    prefix: string,
    rv: number | undefined,
    opts: StorageWatchOptions,
    onEvent: (e: StorageWatchEvent) => void | boolean,
    onError: (err: Error) => void,
  ): Watch {
    assert(!this.closed, 'EtcdStorage is closed');
    if (this.storeWatches.size >= MAX_STORE_WATCHES) {
      const msg = `too many watches of uncached resources (${MAX_STORE_WATCHES}); try again later`;
      onError(new StatusError(429, 'TooManyRequests', msg, { retryAfterSeconds: 1 }));
      return { stop: () => {} };
    }
    const rp = resourcePrefixOf(prefix);
    const w = watchStore({
      client: this.o.client,
      prefix,
      revision: rv,
      predicate: opts.predicate,
      bookmarks: opts.bookmarks === true,
      objectType: this.objectTypeFor(rp),
      clock: this.o.clock,
      maxBuffered: this.o.cache?.watcherBufferEvents ?? STORE_WATCH_BUFFER_EVENTS,
      bookmarkIntervalMs: this.o.cache?.bookmarkIntervalMs ?? STORE_WATCH_BOOKMARK_MS,
      onEvent,
      onError,
      onDone: () => this.storeWatches.delete(w),
      log: this.o.log,
    });
    this.storeWatches.add(w);
    return w;
  }

  /** objectTypeFor: the kind and apiVersion of a resource prefix's objects, cached or not. */
  private objectTypeFor(resourcePrefix: string): ObjectType {
    return this.o.objectTypeOf?.(resourcePrefix) ?? typeOfPrefix(resourcePrefix) ??
      { kind: '', apiVersion: 'v1' };
  }

  /** leaseFor: the store lease a write with a TTL puts its key under. Callers without a TTL
   *  skip the call (and its turn of the microtask queue): their key gets no lease. */
  private async leaseFor(ttlSeconds: number): Promise<bigint> {
    try {
      return await this.leases.leaseFor(ttlSeconds);
    } catch (err) {
      throw toStatusError(err);
    }
  }

  /** leaseGone: the write named a lease the store no longer has; forget it and try again. */
  private leaseGone(err: unknown, lease: bigint): boolean {
    if (lease === 0n || !(err instanceof EtcdClientError) || err.kind !== 'leaseNotFound') {
      return false;
    }
    this.leases.forget(lease);
    return true;
  }

  // ---- store reads ----

  private async readPage(key: string): Promise<GetResult> {
    try {
      return await this.o.client.get(key);
    } catch (err) {
      throw toStatusError(err);
    }
  }

  private async read(key: string): Promise<StoredState | undefined> {
    const kv = (await this.readPage(key)).kvs[0];
    return kv ? { data: kv.value, rev: kv.modRevision } : undefined;
  }

  /**
   * consistentListFromCache answers a consistent, unpaged list (resourceVersion "") from the
   * watch cache, as upstream's ConsistentListFromCache (1.31+): it reads the store's current
   * revision with a linearizable single-key Range (no values to move), waits until the cache has
   * seen that revision, then filters the cache. The answer is the state at a revision read after
   * the request arrived, so it shows every write acknowledged before it, like a store list, but
   * costs the store one key instead of the whole resource. Paged lists (a limit) still read the
   * store, as upstream's before 1.33. undefined when the cache is not ready or does not
   * catch up within its fresh timeout: the store answers then, as before.
   */
  private async consistentListFromCache(
    prefix: string,
    opts: StorageListOptions,
  ): Promise<ListResult | undefined> {
    const cache = this.cacheFor(prefix);
    if (!cache.ready) return undefined;
    const current = (await this.readPage(prefix)).revision;
    try {
      await cache.waitUntilFresh(current);
    } catch (err) {
      if (isTooLargeResourceVersion(err)) return undefined;
      throw err;
    }
    const { items, revision } = cache.list(prefix, opts.predicate, opts.trigger);
    return { items, resourceVersion: String(revision) };
  }

  /**
   * listFromStore pages through [from, prefixEnd(prefix)) at one revision (upstream GetList):
   * while a predicate filters items out, the batch doubles up to 10 000 so a selective list
   * still costs few round trips.
   */
  private async listFromStore(prefix: string, p: StoreListParams): Promise<ListResult> {
    const paging = p.limit > 0;
    const end = prefixEnd(prefix);
    const items: KubeObject[] = [];
    let { revision, from } = p;
    let batch = paging ? p.limit : 0;
    let lastKey: string | undefined;
    let more: boolean;
    let remaining: number | undefined;
    for (;;) {
      const range = { rangeEnd: end, limit: batch, revision };
      const page = await this.rangeForList(prefix, p, from, range);
      if (revision === 0) revision = page.revision;
      if (p.minimum > revision) throw tooLargeResourceVersion(p.minimum, revision);
      more = page.more;
      let used = 0;
      for (const kv of page.kvs) {
        if (paging && items.length >= p.limit) {
          more = true;
          break;
        }
        used++;
        lastKey = kv.key.toString('utf8');
        const obj = decodeForList(kv.value, kv.modRevision, lastKey);
        if (!p.predicate || p.predicate(obj)) items.push(obj);
      }
      remaining = p.predicate ? undefined : page.count - used;
      if (!paging || !more || items.length >= p.limit || lastKey === undefined) break;
      batch = Math.min(batch * 2, MAX_LIST_BATCH);
      from = `${lastKey}\x00`;
    }
    const result: ListResult = { items, resourceVersion: String(revision) };
    if (more && lastKey !== undefined) {
      result.continueToken = encodeContinue(`${lastKey}\x00`, prefix, revision);
      if (remaining !== undefined) result.remainingItemCount = remaining;
    }
    return result;
  }

  /** rangeForList is one Range of a list, with compaction and future revisions in API terms. */
  private async rangeForList(
    prefix: string,
    p: StoreListParams,
    from: string,
    o: { rangeEnd: Buffer; limit: number; revision: number },
  ): Promise<GetResult> {
    try {
      return await this.o.client.get(from, o);
    } catch (err) {
      if (err instanceof CompactedError) throw listExpired(prefix, p, from);
      const st = toStatusError(err);
      if (isTooLargeResourceVersion(st)) {
        const now = await this.readPage(prefix);
        throw tooLargeResourceVersion(o.revision, now.revision);
      }
      throw st;
    }
  }
}

interface StoreListParams {
  revision: number;
  from: string;
  limit: number;
  predicate?: Predicate | undefined;
  /** NotOlderThan: the read's revision must be at least this. */
  minimum: number;
}

/**
 * stored is a just-written object as a read would return it, without parsing the bytes that were
 * written: obj (the caller's object, which it gave up) with the write's revision. Its JSON is
 * identical to the stored value's plus resourceVersion — every face answers with JSON — and
 * obj's metadata carries no resourceVersion of its own (encodeObject dropped it from the
 * value), so the key lands where decodeObject puts it: last.
 */
function stored(obj: KubeObject, rev: number, data: Buffer): KubeObject {
  const { resourceVersion: _dropped, ...meta } = obj.metadata ?? {};
  const out = { ...obj, metadata: { ...meta, resourceVersion: String(rev) } };
  // data is encodeObject(obj): what decodeObject(data, rev) would give is out, so the answer's
  // JSON can be data with the revision written in (shared-views.ts) instead of a second encode.
  rememberStored(out, data);
  return out;
}

/** putWith: a Put of data at key (under lease; 0n: none), then the companion ops. */
function putWith(key: string, data: Buffer, lease: bigint, companions: Op[]): Op[] {
  return [op.put(key, data, { lease }), ...companions];
}

/** stateOf reads the Else branch's Range (the key's current state, or absent). */
function stateOf(r: OpResult | undefined): StoredState | undefined {
  assert(r !== undefined && r.type === 'get', 'txn: the failure branch must be one Range');
  const kv = r.kvs[0];
  return kv ? { data: kv.value, rev: kv.modRevision } : undefined;
}

function decodeForList(value: Buffer, rev: number, key: string): KubeObject {
  try {
    return decodeObject(value, rev);
  } catch (e) {
    throw toStatusError(new Error(`unable to decode ${key}: ${(e as Error).message}`));
  }
}

/**
 * listExpired: a compacted list revision. A continued list gets upstream's inconsistent-continue
 * answer: 410 with a token (rv -1) that continues at the latest revision if the client accepts.
 */
function listExpired(prefix: string, p: StoreListParams, from: string): StatusError {
  const err = toStatusError(new CompactedError(LIST_EXPIRED, 0));
  if (p.from === prefix) return err;
  err.status.message = CONTINUE_EXPIRED;
  err.message = CONTINUE_EXPIRED;
  err.status.metadata = { continue: encodeContinue(from, prefix, -1) };
  return err;
}

function invalidResourceVersion(rv: string): StatusError {
  return badRequest(`invalid resourceVersion: ${JSON.stringify(rv)} is not a revision`);
}

/** checkListOptions refuses what upstream's list validation refuses. */
function checkListOptions(opts: StorageListOptions, rv: number | undefined): void {
  if (rv !== undefined && Number.isNaN(rv)) {
    throw invalidResourceVersion(opts.resourceVersion ?? '');
  }
  if (opts.limit !== undefined && (!Number.isSafeInteger(opts.limit) || opts.limit < 0)) {
    throw badRequest(`limit: Invalid value: ${opts.limit}: must be a non-negative integer`);
  }
  if (opts.resourceVersionMatch !== undefined && rv === undefined) {
    throw badRequest(
      'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless ' +
        'resourceVersion is provided',
    );
  }
  if (opts.resourceVersionMatch === 'Exact' && rv === 0) {
    throw badRequest(
      'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for ' +
        'resourceVersion "0"',
    );
  }
  if (opts.continueToken && rv !== undefined && rv !== 0) {
    throw badRequest('specifying resource version is not allowed when using continue');
  }
}
