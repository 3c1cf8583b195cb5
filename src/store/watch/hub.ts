/**
 * WatchHub serves etcd watches from one member's applied state. Every member runs one: watches
 * never touch the Raft log, they read what this member applied (StoreView) and what it applies
 * next (publish, wired to StoreState.onRevision).
 *
 * Like etcd's watchable store, each watcher is in one of two groups:
 * - synced: it has been given every event up to the hub's revision; publish() hands it each new
 *   revision directly.
 * - unsynced: it is behind (a start revision in the past, a full stream queue, a restored
 *   snapshot) and catches up from StoreView.historyFrom in bounded steps (runPending), then
 *   joins the synced group. A watcher that fell behind the compaction revision is canceled with
 *   compact_revision, etcd's two-step answer to a compacted start revision.
 * A stream whose queue is full parks its unsynced watchers until the gRPC shell drained it, so
 * a slow client costs the member at most its queue bound, never an unbounded buffer.
 *
 * Pure core: no timers, no I/O, no gRPC. The shell injects the clock (nowMs), a scheduler that
 * calls runPending() soon, and calls tick() periodically for progress notifications.
 */
import { status } from '@grpc/grpc-js';
import { assert } from '../../base/assert.js';
import type {
  WatchCreateRequest,
  WatchRequest,
  WatchResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { EtcdError, etcdErrors } from '../errors.js';
import type { RevisionEvents, StoreView } from '../types.js';
import {
  fragmentCuts,
  filterFlags,
  PreparedRevision,
  RESPONSE_OVERHEAD_BYTES,
  type EventFilter,
  type Selection,
} from './events.js';
import { EMPTY_RANGE_REASON, isSingleKey, keyRangeOf, type KeyRange } from './key-range.js';
import {
  DEFAULT_PROGRESS_INTERVAL_MS,
  DEFAULT_WATCH_LIMITS,
  MIN_PROGRESS_INTERVAL_MS,
  validateLimits,
  type WatchLimits,
} from './limits.js';
import { Outbox } from './outbox.js';

const COMPACTED_MESSAGE = etcdErrors.compacted().message;

/** INVALID_WATCH_ID is etcd's watch id for responses that belong to no watcher (clientv3
 *  InvalidWatchID): refused creates and answers to progress requests. */
export const INVALID_WATCH_ID = -1n;
/** AUTO_WATCH_ID in a create request asks the server to pick the id (clientv3 AutoWatchID). */
export const AUTO_WATCH_ID = 0n;
/** etcd's cancel_reason for a client-chosen watch id already in use on the stream (mvcc
 *  ErrWatcherDuplicateID). */
export const DUPLICATE_ID_REASON = 'mvcc: duplicate watch ID provided on the WatchStream';
/** k8ts's cancel_reason when a stream reached maxWatchersPerStream (etcd has no such bound). */
export const TOO_MANY_WATCHERS_REASON = 'k8ts: too many watchers on one watch stream';

/** WatchHubOptions are the hub's injected time, scheduling and bounds. */
export interface WatchHubOptions {
  /** nowMs reads a monotonic clock in milliseconds (Clock.nowMs). */
  nowMs(): number;
  /** schedule asks the shell to call `run` soon (outside the current call stack). The hub asks
   *  again only after `run` ran, so one pending call at most. */
  schedule(run: () => void): void;
  /** Period of progress notifications to progress_notify watchers (etcd default 10 min). */
  progressIntervalMs?: number;
  /** random in [0, 1) spreads streams' progress ticks by up to 10% of the interval, as etcd
   *  does; without it every stream ticks exactly on the interval. */
  random?: () => number;
  limits?: Partial<WatchLimits>;
}

/** OpenStreamOptions describe one gRPC Watch call. */
export interface OpenStreamOptions {
  /** The call carried `hasleader: true`: failLeaderRequired() ends it. */
  requireLeader: boolean;
  /** wake tells the shell there is something to take() or a failure to report. It is called
   *  synchronously from inside hub calls (often inside an apply), so it should only schedule. */
  wake(): void;
}

type WatcherState = 'synced' | 'unsynced' | 'parked' | 'compacted';

/** Watcher is one watch of a stream. */
class Watcher implements EventFilter {
  state: WatcherState = 'unsynced';
  /** Events sent since the last progress tick (etcd elides that tick's notification). */
  eventsSinceTick = false;

  constructor(
    readonly stream: WatchStream,
    readonly id: bigint,
    readonly range: KeyRange,
    readonly noPut: boolean,
    readonly noDelete: boolean,
    readonly prevKv: boolean,
    readonly progressNotify: boolean,
    readonly fragment: boolean,
    /** The requested start revision (0 = from now), for etcd's progress rule: no progress
     *  (periodic or requested) while the store's revision is below it, as etcd ≥ 3.4.38 does
     *  (etcd-io/etcd#20229; 3.4.23 sent the current revision, which let a client resuming from a
     *  progress revision get events below its start, etcd-io/etcd#20221). Even start = current + 1
     *  waits for a write, as etcd's own test of that case expects. */
    readonly startRev: number,
    /** The first revision not yet delivered (synced watchers: every revision below the hub's
     *  next one is delivered once this is reached). */
    public nextRev: number,
  ) {}
}

/** WatchStream is the hub's side of one gRPC Watch call. The shell feeds it requests
 *  (handle), takes responses while gRPC accepts them (take), and closes it when the call ends.
 *  Response headers carry only the revision; the shell fills cluster, member and term. */
export class WatchStream {
  readonly watchers = new Map<bigint, Watcher>();
  readonly outbox: Outbox;
  /** Unsynced or parked watchers of this stream. */
  unsyncedCount = 0;
  /** Watchers waiting for this stream's queue to drain before they catch up. */
  parked: Watcher[] = [];
  progressWatchers = 0;
  /** A progress request waits for every watcher to be synced. */
  progressRequested = false;
  nextProgressAtMs: number;
  nextId = 0n;
  failure: EtcdError | undefined;
  closed = false;

  constructor(
    private readonly hub: WatchHub,
    readonly id: number,
    readonly requireLeader: boolean,
    readonly wake: () => void,
    maxPendingBytes: number,
    firstProgressAtMs: number,
  ) {
    this.outbox = new Outbox(maxPendingBytes);
    this.nextProgressAtMs = firstProgressAtMs;
  }

  /** handle applies one request from the client; responses go to the queue. */
  handle(req: WatchRequest): void {
    this.hub.handle(this, req);
  }

  /** take returns the next response to send, or undefined when none is queued. */
  take(): WatchResponse | undefined {
    const resp = this.outbox.shift();
    const drained = this.parked.length > 0 && this.outbox.below(0.5);
    if (resp !== undefined && drained) this.hub.unpark(this);
    return resp;
  }

  /** pendingBytes is the estimated size of the queued responses. */
  pendingBytes(): number {
    return this.outbox.bytes;
  }

  /** congested says the queue is past its bound: the shell should stop reading requests (as
   *  etcd's bounded control channel blocks its receive loop) until take() drained it. */
  congested(): boolean {
    return this.outbox.bytes > this.outbox.maxBytes;
  }

  /** close releases the stream's watchers (the call ended). Idempotent. */
  close(): void {
    this.hub.closeStream(this);
  }
}

/** HubStats are counts for tests, metrics and the bounded-memory checks. */
export interface HubStats {
  streams: number;
  synced: number;
  unsynced: number;
  parked: number;
  pendingBytes: number;
}

export class WatchHub {
  readonly limits: WatchLimits;
  readonly progressIntervalMs: number;
  private lastRev: number;
  private readonly streams = new Set<WatchStream>();
  private nextStreamId = 1;
  /** Synced single-key watchers by key, and synced range watchers (scanned per event; a
   *  kube-apiserver holds about one prefix watch per resource type). */
  private readonly keyWatchers = new Map<string, Set<Watcher>>();
  private readonly rangeWatchers = new Set<Watcher>();
  private syncedCount = 0;
  /** Unsynced watchers in round-robin order (a watcher still behind after a step goes last). */
  private readonly unsynced = new Set<Watcher>();
  private readonly progressStreams = new Set<WatchStream>();
  private readonly deferredProgress = new Set<WatchStream>();
  private runRequested = false;

  constructor(
    private readonly view: StoreView,
    private readonly opts: WatchHubOptions,
  ) {
    const l = { ...DEFAULT_WATCH_LIMITS, ...opts.limits };
    validateLimits(l);
    // A catch-up response may enter an empty queue whatever its size; capping it at the queue
    // bound keeps a stream's queue within about twice that bound.
    const maxResponseBytes = Math.min(l.maxResponseBytes, l.maxPendingBytesPerStream);
    this.limits = { ...l, maxResponseBytes };
    const interval = opts.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    this.progressIntervalMs = Math.max(MIN_PROGRESS_INTERVAL_MS, interval);
    this.lastRev = view.revision();
  }

  /** revision is the last revision every synced watcher was given. */
  revision(): number {
    return this.lastRev;
  }

  /** openStream starts serving one Watch call; throws RESOURCE_EXHAUSTED past maxStreams. */
  openStream(o: OpenStreamOptions): WatchStream {
    if (this.streams.size >= this.limits.maxStreams) {
      throw new EtcdError(status.RESOURCE_EXHAUSTED, 'k8ts: too many watch streams');
    }
    const firstAt = this.opts.nowMs() + this.progressPeriodMs();
    const s = new WatchStream(this, this.nextStreamId++, o.requireLeader, o.wake,
      this.limits.maxPendingBytesPerStream, firstAt);
    this.streams.add(s);
    return s;
  }

  /** publish delivers one applied revision to the synced watchers (StoreState.onRevision).
   *  Revisions must come in order; a gap (a snapshot was restored) sends every synced watcher
   *  back to catch up from history, as etcd's Restore does. */
  publish(rev: RevisionEvents): void {
    assert(rev.revision > this.lastRev, `publish: revision ${rev.revision} after ${this.lastRev}`);
    if (rev.revision !== this.lastRev + 1) {
      this.unsyncAll(this.lastRev + 1);
      this.lastRev = rev.revision;
      this.answerDeferredProgress();
      return;
    }
    this.lastRev = rev.revision;
    if (rev.events.length > 0 && this.syncedCount > 0) {
      const prep = new PreparedRevision(rev);
      for (const [w, indexes] of this.match(prep)) this.deliverLive(w, prep, indexes);
    }
    this.answerDeferredProgress();
  }

  /** restored tells the hub the view jumped to a restored snapshot: synced watchers catch up
   *  from the view's history (or are canceled as compacted when it does not reach back). */
  restored(): void {
    const rev = this.view.revision();
    assert(rev >= this.lastRev, `restored: revision went back from ${this.lastRev} to ${rev}`);
    this.unsyncAll(this.lastRev + 1);
    this.lastRev = rev;
  }

  /** runPending advances up to maxWatchersPerRun unsynced watchers by one history batch each.
   *  The shell calls it when the hub asked through schedule(). */
  runPending(): void {
    this.runRequested = false;
    const batch: Watcher[] = [];
    for (const w of this.unsynced) {
      if (batch.length >= this.limits.maxWatchersPerRun) break;
      batch.push(w);
    }
    const cache = new Map<number, PreparedRevision[] | 'compacted'>();
    for (const w of batch) {
      assert(w.state === 'unsynced', `runPending: watcher in state ${w.state}`);
      this.unsynced.delete(w);
      this.catchUp(w, cache);
    }
    if (this.unsynced.size > 0) this.requestRun();
    this.answerDeferredProgress();
  }

  /** tick sends due progress notifications: every progress interval, each synced
   *  progress_notify watcher whose start revision is reached and that got no events since the
   *  last tick receives an empty response with the current revision (etcd's sendLoop ticker).
   *  Call it often (the interval / 10 is plenty); it only looks at streams with such watchers. */
  tick(): void {
    const now = this.opts.nowMs();
    for (const s of this.progressStreams) {
      if (now < s.nextProgressAtMs) continue;
      s.nextProgressAtMs = now + this.progressPeriodMs();
      for (const w of s.watchers.values()) {
        if (!w.progressNotify) continue;
        const due = !w.eventsSinceTick && w.state === 'synced' && this.lastRev >= w.startRev;
        w.eventsSinceTick = false;
        if (due && s.outbox.hasRoom(RESPONSE_OVERHEAD_BYTES)) {
          this.control(s, { watchId: w.id });
        }
      }
    }
  }

  /** failLeaderRequired ends every stream opened with `hasleader` with etcd's "no leader"
   *  (UNAVAILABLE), which etcd does after maxNoLeaderCnt (3) election timeouts without a
   *  leader. Returns how many streams it ended. */
  failLeaderRequired(): number {
    let n = 0;
    for (const s of [...this.streams]) {
      if (!s.requireLeader) continue;
      this.fail(s, etcdErrors.noLeader());
      n++;
    }
    return n;
  }

  stats(): HubStats {
    let unsynced = 0;
    let parked = 0;
    let pendingBytes = 0;
    for (const s of this.streams) {
      unsynced += s.unsyncedCount;
      parked += s.parked.length;
      pendingBytes += s.outbox.bytes;
    }
    return { streams: this.streams.size, synced: this.syncedCount, unsynced, parked, pendingBytes };
  }

  // ---- stream requests (called through WatchStream) ----

  /** handle dispatches one client request (WatchStream.handle). */
  handle(s: WatchStream, req: WatchRequest): void {
    if (s.closed) return;
    const u = req.requestUnion;
    switch (u?.$case) {
      case 'createRequest':
        this.create(s, u.value);
        break;
      case 'cancelRequest':
        this.cancel(s, u.value.watchId);
        break;
      case 'progressRequest':
        this.requestProgress(s);
        break;
      case undefined:
        // etcd ignores a request it does not understand rather than ending the stream.
        break;
    }
  }

  /** unpark moves a drained stream's parked watchers back to catching up (WatchStream.take). */
  unpark(s: WatchStream): void {
    for (const w of s.parked) {
      assert(w.state === 'parked', `unpark: watcher in state ${w.state}`);
      w.state = 'unsynced';
      this.unsynced.add(w);
    }
    s.parked = [];
    this.requestRun();
  }

  /** closeStream releases a stream (WatchStream.close). */
  closeStream(s: WatchStream): void {
    if (s.closed) return;
    for (const w of s.watchers.values()) this.detach(w);
    s.watchers.clear();
    s.outbox.clear();
    s.closed = true;
    this.streams.delete(s);
    this.progressStreams.delete(s);
    this.deferredProgress.delete(s);
    assert(s.unsyncedCount === 0 && s.parked.length === 0, 'closeStream: watchers left behind');
  }

  private create(s: WatchStream, req: WatchCreateRequest): void {
    const refuse = (reason: string): void => {
      const refused = { created: true, canceled: true, cancelReason: reason };
      this.control(s, { watchId: INVALID_WATCH_ID, ...refused });
    };
    // etcd 3.4.45 refuses a negative start revision as compacted.
    if (req.startRevision < 0n) return refuse(etcdErrors.compacted().message);
    const range = keyRangeOf(req.key, req.rangeEnd);
    if (range === undefined) return refuse(EMPTY_RANGE_REASON);
    let id = req.watchId;
    if (id !== AUTO_WATCH_ID && s.watchers.has(id)) return refuse(DUPLICATE_ID_REASON);
    const full = s.watchers.size >= this.limits.maxWatchersPerStream;
    if (full) return refuse(TOO_MANY_WATCHERS_REASON);
    if (id === AUTO_WATCH_ID) {
      while (s.watchers.has(s.nextId)) s.nextId++;
      id = s.nextId++;
    }
    const start = req.startRevision > BigInt(Number.MAX_SAFE_INTEGER)
      ? Number.MAX_SAFE_INTEGER : Number(req.startRevision);
    const { noPut, noDelete } = filterFlags(req.filters);
    const synced = start === 0 || start > this.lastRev;
    const w = new Watcher(s, id, range, noPut, noDelete, req.prevKv, req.progressNotify,
      req.fragment, start, synced ? Math.max(this.lastRev + 1, start) : start);
    s.watchers.set(id, w);
    if (w.progressNotify) {
      s.progressWatchers++;
      this.progressStreams.add(s);
    }
    // The created response goes first: everything for this watcher is queued after it.
    this.control(s, { watchId: id, created: true });
    if (synced) {
      this.addSynced(w);
    } else {
      s.unsyncedCount++;
      w.state = 'unsynced';
      this.unsynced.add(w);
      this.requestRun();
    }
  }

  /** cancel answers canceled for a watcher of this stream; unknown ids get no answer (etcd). */
  private cancel(s: WatchStream, id: bigint): void {
    const w = s.watchers.get(id);
    if (w === undefined) return;
    this.detach(w);
    s.watchers.delete(id);
    if (s.progressWatchers === 0) this.progressStreams.delete(s);
    this.control(s, { watchId: id, canceled: true });
    this.answerDeferredProgress();
  }

  /** requestProgress answers watch_id -1 with the current revision once every watcher of the
   *  stream is synced (etcd ≥ 3.4.25's RequestProgressAll, which guarantees no event at or
   *  below that revision is still to come). Requests made while waiting coalesce into one. */
  private requestProgress(s: WatchStream): void {
    if (s.progressRequested) return;
    if (this.allSynced(s)) {
      this.control(s, { watchId: INVALID_WATCH_ID });
      return;
    }
    s.progressRequested = true;
    this.deferredProgress.add(s);
  }

  private allSynced(s: WatchStream): boolean {
    if (s.unsyncedCount > 0) return false;
    for (const w of s.watchers.values()) {
      if (w.state !== 'compacted' && this.lastRev < w.startRev) return false;
    }
    return true;
  }

  private answerDeferredProgress(): void {
    for (const s of this.deferredProgress) {
      if (!this.allSynced(s)) continue;
      s.progressRequested = false;
      this.deferredProgress.delete(s);
      this.control(s, { watchId: INVALID_WATCH_ID });
    }
  }

  // ---- live delivery ----

  /** match finds, per synced watcher, the indexes of this revision's events in its key range. */
  private match(prep: PreparedRevision): Map<Watcher, number[]> {
    const hits = new Map<Watcher, number[]>();
    const add = (w: Watcher, i: number): void => {
      if (prep.revision < w.nextRev) return; // a start revision still in the future
      const list = hits.get(w);
      if (list === undefined) hits.set(w, [i]);
      else list.push(i);
    };
    for (let i = 0; i < prep.length; i++) {
      const skey = prep.skeys[i] as string;
      const exact = this.keyWatchers.get(skey);
      if (exact !== undefined) for (const w of exact) add(w, i);
      for (const w of this.rangeWatchers) if (prep.keeps(w, i)) add(w, i);
    }
    return hits;
  }

  private deliverLive(w: Watcher, prep: PreparedRevision, indexes: number[]): void {
    const sel: Selection = { events: [], sizes: [], bytes: 0 };
    for (const i of indexes) {
      if (!prep.keeps(w, i)) continue;
      const size = prep.bytes(i, w.prevKv);
      sel.events.push(prep.event(i, w.prevKv));
      sel.sizes.push(size);
      sel.bytes += size;
    }
    if (sel.events.length === 0) return;
    if (this.appendToQueued(w, prep.revision, sel) || this.sendEvents(w, prep.revision, sel, 1)) {
      return;
    }
    // The stream's queue is full: this watcher becomes a victim and will re-read this revision
    // from history once the client caught up.
    this.removeSynced(w);
    w.nextRev = Math.max(w.nextRev, prep.revision);
    w.stream.unsyncedCount++;
    this.park(w);
  }

  /** appendToQueued adds a live revision's events to the watcher's response still waiting at
   *  the end of its stream's queue (revisions applied in one turn, before the shell took it):
   *  one message for several whole revisions, as etcd sends catching-up watchers and as etcd
   *  clients accept, instead of one gRPC message per revision. Bounded like a history batch. */
  private appendToQueued(w: Watcher, rev: number, sel: Selection): boolean {
    if (w.fragment) return false;
    const s = w.stream;
    const tail = s.outbox.tail();
    if (tail === undefined || tail.revisions === 0 || tail.resp.watchId !== w.id) return false;
    const header = tail.resp.header;
    if (header === undefined) return false;
    if (tail.revisions >= this.limits.maxRevisionsPerResponse) return false;
    if (tail.bytes + sel.bytes > this.limits.maxResponseBytes) return false;
    if (!s.outbox.hasRoom(sel.bytes)) return false;
    tail.resp.events.push(...sel.events);
    header.revision = BigInt(rev);
    s.outbox.grewTail(sel.bytes);
    w.eventsSinceTick = true;
    return true;
  }

  /** sendEvents queues one response (fragmented if the watcher asked and it is large), or
   *  returns false when the stream's queue has no room for it. `revisions` is how many whole
   *  revisions sel holds (live revisions may later be appended to an unfragmented response). */
  private sendEvents(w: Watcher, headerRev: number, sel: Selection, revisions: number): boolean {
    const s = w.stream;
    if (!s.outbox.hasRoom(sel.bytes + RESPONSE_OVERHEAD_BYTES)) return false;
    const cuts = w.fragment
      ? fragmentCuts(sel.sizes, this.limits.fragmentBytes)
      : [sel.events.length];
    let from = 0;
    for (const [n, to] of cuts.entries()) {
      let bytes = RESPONSE_OVERHEAD_BYTES;
      for (let i = from; i < to; i++) bytes += sel.sizes[i] ?? 0;
      const resp = response(headerRev, {
        watchId: w.id,
        events: from === 0 && to === sel.events.length ? sel.events : sel.events.slice(from, to),
        fragment: n < cuts.length - 1,
      });
      this.enqueue(s, resp, bytes, cuts.length === 1 ? revisions : 0);
      from = to;
    }
    w.eventsSinceTick = true;
    return true;
  }

  // ---- catching up ----

  /** catchUp moves one unsynced watcher forward by one history batch. */
  private catchUp(w: Watcher, cache: Map<number, PreparedRevision[] | 'compacted'>): void {
    const compactRev = this.view.compactRevision();
    if (w.nextRev < compactRev) return this.cancelCompacted(w, compactRev);
    if (w.nextRev > this.lastRev) return this.markSynced(w);
    const from = w.nextRev;
    let batch = cache.get(from);
    if (batch === undefined) {
      batch = this.readHistory(from);
      cache.set(from, batch);
    }
    if (batch === 'compacted') return this.cancelCompacted(w, this.view.compactRevision());
    if (!this.sendHistory(w, batch)) return this.park(w);
    if (w.nextRev > this.lastRev) return this.markSynced(w);
    w.state = 'unsynced';
    this.unsynced.add(w);
  }

  /** readHistory reads one batch from `from`, clipped to the hub's revision (revisions the
   *  store applied but not yet published arrive through publish). An empty result or a short
   *  batch means nothing is left up to the hub's revision. */
  private readHistory(from: number): PreparedRevision[] | 'compacted' {
    let list: RevisionEvents[];
    try {
      list = this.view.historyFrom(from, this.limits.maxEventsPerBatch);
    } catch (err) {
      const compacted = err instanceof EtcdError && err.message === COMPACTED_MESSAGE;
      if (compacted) return 'compacted';
      throw err;
    }
    const out: PreparedRevision[] = [];
    let prev = from - 1;
    let events = 0;
    let clipped = false;
    for (const r of list) {
      assert(r.revision > prev, `historyFrom(${from}): revision ${r.revision} after ${prev}`);
      prev = r.revision;
      if (r.revision > this.lastRev) {
        clipped = true;
        break;
      }
      events += r.events.length;
      if (r.events.length > 0) out.push(new PreparedRevision(r));
    }
    // A batch that reached the end covers everything up to lastRev: an empty marker says so.
    const reachedEnd = clipped || events < this.limits.maxEventsPerBatch;
    if (reachedEnd) out.push(PreparedRevision.empty(this.lastRev));
    return out;
  }

  /** sendHistory queues a batch for one watcher: consecutive revisions share a response up to
   *  maxRevisionsPerResponse and maxResponseBytes, a revision is never split (except by
   *  fragment). Returns false when the stream's queue filled up; nextRev then points at the
   *  first revision not queued. */
  private sendHistory(w: Watcher, batch: readonly PreparedRevision[]): boolean {
    let acc: Selection = { events: [], sizes: [], bytes: 0 };
    let accRevs = 0;
    let accLast = 0;
    const flush = (): boolean => {
      if (!this.sendEvents(w, this.lastRev, acc, accRevs)) return false;
      w.nextRev = accLast + 1;
      acc = { events: [], sizes: [], bytes: 0 };
      accRevs = 0;
      return true;
    };
    for (const p of batch) {
      if (p.revision < w.nextRev) continue;
      const sel = p.length === 0 ? undefined : p.select(w);
      if (sel === undefined || sel.events.length === 0) {
        if (accRevs === 0) w.nextRev = p.revision + 1;
        else accLast = p.revision;
        continue;
      }
      const full = accRevs >= this.limits.maxRevisionsPerResponse
        || acc.bytes + sel.bytes > this.limits.maxResponseBytes;
      if (accRevs > 0 && full && !flush()) return false;
      acc.events.push(...sel.events);
      acc.sizes.push(...sel.sizes);
      acc.bytes += sel.bytes;
      accRevs++;
      accLast = p.revision;
    }
    return accRevs === 0 || flush();
  }

  private cancelCompacted(w: Watcher, compactRev: number): void {
    w.stream.unsyncedCount--;
    w.state = 'compacted';
    // etcd sends this with no header revision; the watcher keeps its id until the client
    // cancels it, as etcd's watch stream does.
    const compactRevision = BigInt(compactRev);
    this.control(w.stream, { watchId: w.id, canceled: true, compactRevision }, 0);
  }

  // ---- watcher groups ----

  private addSynced(w: Watcher): void {
    w.state = 'synced';
    this.syncedCount++;
    if (isSingleKey(w.range)) {
      let set = this.keyWatchers.get(w.range.key);
      if (set === undefined) this.keyWatchers.set(w.range.key, (set = new Set()));
      set.add(w);
    } else {
      this.rangeWatchers.add(w);
    }
  }

  private removeSynced(w: Watcher): void {
    assert(w.state === 'synced', `removeSynced: watcher in state ${w.state}`);
    this.syncedCount--;
    if (isSingleKey(w.range)) {
      const set = this.keyWatchers.get(w.range.key);
      assert(set !== undefined && set.delete(w), 'removeSynced: watcher not indexed');
      if (set.size === 0) this.keyWatchers.delete(w.range.key);
    } else {
      assert(this.rangeWatchers.delete(w), 'removeSynced: range watcher not indexed');
    }
    w.state = 'unsynced';
  }

  private markSynced(w: Watcher): void {
    w.stream.unsyncedCount--;
    assert(w.stream.unsyncedCount >= 0, 'unsyncedCount below zero');
    this.addSynced(w);
  }

  private park(w: Watcher): void {
    w.state = 'parked';
    w.stream.parked.push(w);
  }

  /** unsyncAll sends every synced watcher back to catch up from `from`. */
  private unsyncAll(from: number): void {
    const all = [...this.rangeWatchers];
    for (const set of this.keyWatchers.values()) all.push(...set);
    for (const w of all) {
      this.removeSynced(w);
      w.nextRev = Math.max(w.nextRev, from);
      w.stream.unsyncedCount++;
      this.unsynced.add(w);
    }
    if (this.unsynced.size > 0) this.requestRun();
  }

  /** detach removes a watcher from whichever group holds it. */
  private detach(w: Watcher): void {
    const s = w.stream;
    switch (w.state) {
      case 'synced':
        this.removeSynced(w);
        break;
      case 'unsynced':
        assert(this.unsynced.delete(w), 'detach: unsynced watcher not in the group');
        s.unsyncedCount--;
        break;
      case 'parked':
        s.parked = s.parked.filter((p) => p !== w);
        s.unsyncedCount--;
        break;
      case 'compacted':
        break;
    }
    if (w.progressNotify) s.progressWatchers--;
    w.state = 'compacted';
  }

  private fail(s: WatchStream, err: EtcdError): void {
    this.closeStream(s);
    s.failure = err;
    s.wake();
  }

  private enqueue(s: WatchStream, resp: WatchResponse, bytes: number, revisions = 0): void {
    assert(!s.closed, 'enqueue on a closed stream');
    const wasEmpty = s.outbox.length === 0;
    s.outbox.push(resp, bytes, revisions);
    if (wasEmpty) s.wake();
  }

  /** control queues a small response (created, canceled, progress) whatever the queue holds:
   *  at most a few per watcher and request, and the shell stops reading requests while the
   *  queue is congested. */
  private control(s: WatchStream, fields: Partial<WatchResponse>, revision = this.lastRev): void {
    this.enqueue(s, response(revision, fields), RESPONSE_OVERHEAD_BYTES);
  }

  private requestRun(): void {
    if (this.runRequested) return;
    this.runRequested = true;
    this.opts.schedule(() => this.runPending());
  }

  private progressPeriodMs(): number {
    const r = this.opts.random === undefined ? 0 : this.opts.random();
    return this.progressIntervalMs + Math.floor((r * this.progressIntervalMs) / 10);
  }
}

/** response builds a WatchResponse whose header carries only the revision. */
function response(revision: number, fields: Partial<WatchResponse>): WatchResponse {
  return {
    header: { clusterId: 0n, memberId: 0n, revision: BigInt(revision), raftTerm: 0n },
    watchId: 0n,
    created: false,
    canceled: false,
    compactRevision: 0n,
    cancelReason: '',
    fragment: false,
    events: [],
    ...fields,
  };
}
