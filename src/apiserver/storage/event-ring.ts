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
import type { Predicate, StorageWatchEvent } from './types.js';

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

/** EventRing is a bounded FIFO of events in revision order. */
export class EventRing {
  private readonly buf: (CacheEvent | undefined)[];
  private head = 0;
  private size = 0;
  /** Every event with revision > startRevision is in the ring. */
  private startRev: number;

  constructor(
    readonly capacity: number,
    startRevision: number,
  ) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, `EventRing: bad capacity ${capacity}`);
    this.buf = new Array<CacheEvent | undefined>(capacity).fill(undefined);
    this.startRev = startRevision;
  }

  /** startRevision: a watch may resume from any revision ≥ this. */
  get startRevision(): number {
    return this.startRev;
  }

  get length(): number {
    return this.size;
  }

  /** push appends an event; the oldest drops out when full and moves startRevision up. */
  push(e: CacheEvent): void {
    const last = this.at(this.size - 1);
    const inOrder = e.revision > this.startRev && (!last || e.revision >= last.revision);
    assert(inOrder, 'EventRing: out of order');
    if (this.size === this.capacity) {
      const oldest = this.buf[this.head];
      assert(oldest !== undefined, 'EventRing: hole');
      // Events of oldest.revision may remain, but not all of them: resume only after it.
      this.startRev = oldest.revision;
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
    this.buf[(this.head + this.size) % this.capacity] = e;
    this.size++;
  }

  /** since returns the events after `revision`, or 'expired' when some of them are gone. */
  since(revision: number): CacheEvent[] | 'expired' {
    if (revision < this.startRev) return 'expired';
    const out: CacheEvent[] = [];
    for (let i = 0; i < this.size; i++) {
      const e = this.at(i)!;
      if (e.revision > revision) out.push(e);
    }
    return out;
  }

  private at(i: number): CacheEvent | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.buf[(this.head + i) % this.capacity];
  }
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
