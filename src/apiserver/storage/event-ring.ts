/**
 * The watch cache's pure core: the recent-event ring and the per-watcher view of an event.
 * No I/O, no clock — the cache (watch-cache.ts) feeds it store events and asks it questions.
 *
 * The ring answers "which events came after revision N?" for a watch that resumes from N, and
 * says when it no longer can (410 Expired, upstream's watch_cache.go getAllEventsSince): it
 * remembers `startRevision`, the revision after which it holds every event.
 */
import type { KubeObject, WatchEventType } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { Predicate, StorageWatchEvent, WatchTrigger } from './types.js';

/** CacheEvent is one store change as the cache keeps it (objects carry their RV). */
export interface CacheEvent {
  type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>;
  key: string;
  /** New state; for DELETED, the last state with resourceVersion = the deletion revision. */
  object: KubeObject;
  /** State before the change, when there was one. */
  prevObject?: KubeObject | undefined;
  revision: number;
  traceparent?: string | undefined;
}

/**
 * HistoryLimits size a ring by time, as upstream's watch cache does (watch_cache.go
 * resizeCacheLocked): a full ring whose oldest event is younger than keepMs doubles, up to
 * maxEvents; a full ring whose newest quarter already spans more than keepMs halves, down to
 * minEvents. So a burst of changes never pushes out events a resuming watch may still need
 * (a kubelet whose connection broke resumes from a bookmark up to a bookmark period old), and a
 * quiet resource gives the memory back.
 */
export interface HistoryLimits {
  minEvents: number;
  maxEvents: number;
  keepMs: number;
}

/** EventRing is a FIFO of events in revision order, bounded by HistoryLimits (a plain number:
 *  a fixed capacity). */
export class EventRing {
  private buf: (CacheEvent | undefined)[];
  /** When each event was pushed (the caller's clock), parallel to buf. */
  private times: number[];
  private head = 0;
  private size = 0;
  /** Every event with revision > startRevision is in the ring. */
  private startRev: number;
  private readonly limits: HistoryLimits;

  constructor(limits: number | HistoryLimits, startRevision: number) {
    this.limits = typeof limits === 'number'
      ? { minEvents: limits, maxEvents: limits, keepMs: 0 } : limits;
    const { minEvents, maxEvents } = this.limits;
    const ok = Number.isSafeInteger(minEvents) && minEvents >= 1 && maxEvents >= minEvents &&
      Number.isSafeInteger(maxEvents);
    assert(ok, `EventRing: bad limits ${minEvents}..${maxEvents}`);
    this.buf = new Array<CacheEvent | undefined>(minEvents).fill(undefined);
    this.times = new Array<number>(minEvents).fill(0);
    this.startRev = startRevision;
  }

  /** capacity: events held before the next resize or eviction. */
  get capacity(): number {
    return this.buf.length;
  }

  /** startRevision: a watch may resume from any revision ≥ this. */
  get startRevision(): number {
    return this.startRev;
  }

  get length(): number {
    return this.size;
  }

  /** push appends an event seen at nowMs; when full, the ring resizes by HistoryLimits or the
   *  oldest drops out and moves startRevision up. */
  push(e: CacheEvent, nowMs = 0): void {
    const last = this.at(this.size - 1);
    const inOrder = e.revision > this.startRev && (!last || e.revision >= last.revision);
    assert(inOrder, 'EventRing: out of order');
    if (this.size === this.capacity) this.resize(nowMs);
    if (this.size === this.capacity) this.dropOldest(1);
    const i = (this.head + this.size) % this.capacity;
    this.buf[i] = e;
    this.times[i] = nowMs;
    this.size++;
  }

  /** since returns the events after `revision`, or 'expired' when some of them are gone. */
  since(revision: number): CacheEvent[] | 'expired' {
    if (revision < this.startRev) return 'expired';
    // Revisions never decrease along the ring: find the first one after `revision`.
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid)!.revision > revision) hi = mid;
      else lo = mid + 1;
    }
    const out: CacheEvent[] = [];
    for (let i = lo; i < this.size; i++) out.push(this.at(i)!);
    return out;
  }

  private resize(nowMs: number): void {
    const { minEvents, maxEvents, keepMs } = this.limits;
    const cap = this.capacity;
    if (cap < maxEvents && nowMs - this.timeAt(0) < keepMs) {
      this.realloc(Math.min(cap * 2, maxEvents));
    } else if (cap > minEvents && nowMs - this.timeAt(this.size - Math.floor(cap / 4)) > keepMs) {
      const smaller = Math.max(Math.floor(cap / 2), minEvents);
      this.dropOldest(this.size - smaller);
      this.realloc(smaller);
    }
  }

  /** dropOldest forgets the n oldest events: resuming is possible only after the last one
   *  (events of its revision may remain, but not all of them). */
  private dropOldest(n: number): void {
    for (let k = 0; k < n; k++) {
      const oldest = this.buf[this.head];
      assert(oldest !== undefined, 'EventRing: hole');
      this.startRev = oldest.revision;
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
  }

  /** realloc copies the events, oldest first, into arrays of `capacity` (≥ size). */
  private realloc(capacity: number): void {
    const buf = new Array<CacheEvent | undefined>(capacity).fill(undefined);
    const times = new Array<number>(capacity).fill(0);
    for (let i = 0; i < this.size; i++) {
      buf[i] = this.at(i);
      times[i] = this.timeAt(i);
    }
    [this.buf, this.times, this.head] = [buf, times, 0];
  }

  private at(i: number): CacheEvent | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.buf[(this.head + i) % this.capacity];
  }

  private timeAt(i: number): number {
    return this.times[(this.head + i) % this.capacity] ?? 0;
  }
}

/** EventFields: an event's selectable fields, of its object and of its previous state. */
export interface EventFields {
  cur: Record<string, string | undefined>;
  prev: Record<string, string | undefined> | undefined;
}

/** Each event's selectable fields, computed once (upstream keeps them in each watchCacheEvent). */
const fieldsOfEvent = new WeakMap<CacheEvent, EventFields>();

/**
 * eventFields: e's selectable fields by `fieldsOf` (the resource's), computed on first demand and
 * kept with the event, so the live delivery (WatcherIndex.forEvent) and every watch that later
 * resumes over it (mayPass) share one computation.
 */
export function eventFields(e: CacheEvent, fieldsOf: WatchTrigger['fieldsOf']): EventFields {
  let f = fieldsOfEvent.get(e);
  if (f === undefined) {
    const prev = e.prevObject === undefined ? undefined : fieldsOf(e.prevObject);
    f = { cur: fieldsOf(e.object), prev };
    fieldsOfEvent.set(e, f);
  }
  return f;
}

/**
 * mayPass: whether a watch whose predicate demands trigger.field = trigger.value can see e at
 * all — its object or previous state has that value (as WatcherIndex decides for live events).
 * A resuming watch replays the history through it before its predicate. 1,000 kubelets resuming
 * over 10,000 events each ran their node's field selector 10 million times, a third of an API
 * server's CPU in a hollow run, before the fields were kept per event.
 */
export function mayPass(e: CacheEvent, trigger: WatchTrigger): boolean {
  const f = eventFields(e, trigger.fieldsOf);
  return f.cur[trigger.field] === trigger.value || f.prev?.[trigger.field] === trigger.value;
}

/**
 * viewFor turns a cache event into what one watcher sees (upstream cacher's
 * convertToWatchEvent): the key must be under the watcher's prefix; an object that starts
 * matching the predicate is ADDED, one that stops matching is DELETED (its last matching state at
 * the event's revision), one that never matched is nothing.
 */
export function viewFor(
  e: CacheEvent,
  prefix: string,
  predicate?: Predicate,
): StorageWatchEvent | undefined {
  if (!e.key.startsWith(prefix)) return undefined;
  const trace = e.traceparent !== undefined ? { traceparent: e.traceparent } : {};
  if (!predicate) return { type: e.type, object: e.object, ...trace };
  const curPasses = e.type !== 'DELETED' && predicate(e.object);
  const oldPasses = e.prevObject !== undefined && predicate(e.prevObject);
  if (curPasses && oldPasses) return { type: 'MODIFIED', object: e.object, ...trace };
  if (curPasses) return { type: 'ADDED', object: e.object, ...trace };
  if (!oldPasses || e.prevObject === undefined) return undefined;
  const last = e.type === 'DELETED' ? e.object : e.prevObject;
  const rv = String(e.revision);
  const object = { ...last, metadata: { ...last.metadata, resourceVersion: rv } };
  return { type: 'DELETED', object, ...trace };
}
