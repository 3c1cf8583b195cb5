/**
 * CacheWatcher: one client watch served by a watch cache. Its first events (a snapshot as ADDED,
 * or the ring's replay) are delivered in chunks on later turns of the event loop, so a watch of
 * ten thousand objects neither blocks the server nor counts against the live buffer. Live events
 * are delivered at once unless the consumer is behind; then they wait in a bounded buffer, and a
 * watcher whose buffer overflows is terminated (upstream cacher does the same): its client
 * watches again from the last resourceVersion it saw instead of the server growing memory.
 *
 * Flow control: onEvent may return false (like stream.write) to say "stop for now"; delivery
 * resumes at resume().
 */
import { StatusError } from '../../api/errors.js';
import type { Clock, Timer } from '../../base/clock.js';
import { assert } from '../../base/assert.js';
import type { ObjectType } from './codec.js';
import { viewFor, type CacheEvent } from './event-ring.js';
import { toStatusError } from './storage-errors.js';
import type { Predicate, StorageWatchEvent, Watch } from './types.js';

/** Events delivered per turn of the event loop while draining a backlog. */
const CHUNK_EVENTS = 256;

/** WatcherSpec is what the cache needs to serve one watch. */
export interface WatcherSpec {
  prefix: string;
  predicate?: Predicate | undefined;
  bookmarks: boolean;
  /** Live events buffered for a consumer that is behind before the watch is terminated. */
  maxBuffered: number;
  objectType: ObjectType;
  clock: Clock;
  onEvent: (e: StorageWatchEvent) => unknown;
  onError: (err: Error) => void;
  /** Called once when the watch ends for any reason (the cache forgets it). */
  onDone: (w: CacheWatcher) => void;
}

export class CacheWatcher implements Watch {
  private initial: StorageWatchEvent[] = [];
  private initialAt = 0;
  private queue: StorageWatchEvent[] = [];
  private queueAt = 0;
  private paused = false;
  private pumping = false;
  private scheduled: Timer | undefined;
  private stopped = false;
  /** Revision of the last event queued for the client: bookmarks only move it forward. */
  private sentRev = 0;
  /** Revision of the last bookmark sent. */
  private bookmarkedRev = 0;

  constructor(private readonly spec: WatcherSpec) {
    assert(spec.maxBuffered >= 1, 'CacheWatcher: maxBuffered must be ≥ 1');
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** start queues the first events (snapshot or replay) at `revision` and schedules delivery. */
  start(first: StorageWatchEvent[], revision: number): void {
    this.initial = first;
    this.sentRev = revision;
    this.schedule();
  }

  /** startWithReplay: the events after the resume revision, viewed through this watch. */
  startWithReplay(events: readonly CacheEvent[], revision: number): void {
    const first: StorageWatchEvent[] = [];
    let rev = revision;
    for (const e of events) {
      const v = viewFor(e, this.spec.prefix, this.spec.predicate);
      if (v) first.push(v);
      rev = Math.max(rev, e.revision);
    }
    this.start(first, rev);
  }

  /** deliver offers one live event; those this watch does not see are dropped. */
  deliver(e: CacheEvent): void {
    if (this.stopped) return;
    const v = viewFor(e, this.spec.prefix, this.spec.predicate);
    if (!v) return;
    if (this.queue.length - this.queueAt >= this.spec.maxBuffered) {
      this.fail(tooSlow(this.spec.prefix, this.spec.maxBuffered));
      return;
    }
    this.queue.push(v);
    this.sentRev = Math.max(this.sentRev, e.revision);
    if (this.scheduled === undefined) this.pump();
  }

  /** bookmark tells a bookmark-asking watch that everything up to `revision` was sent. */
  bookmark(revision: number): void {
    // Once per revision, and never behind what the client already has.
    if (this.stopped || !this.spec.bookmarks) return;
    if (revision < this.sentRev || revision <= this.bookmarkedRev) return;
    // A full buffer skips the bookmark: it is only a hint and must not end the watch.
    if (this.queue.length - this.queueAt >= this.spec.maxBuffered) return;
    const t = this.spec.objectType;
    const metadata = { resourceVersion: String(revision) };
    const object = { kind: t.kind, apiVersion: t.apiVersion, metadata };
    this.queue.push({ type: 'BOOKMARK', object });
    this.sentRev = revision;
    this.bookmarkedRev = revision;
    if (this.scheduled === undefined) this.pump();
  }

  /** resume restarts delivery after onEvent returned false. */
  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    this.schedule();
  }

  /** stop ends the watch without an error (the client went away). */
  stop(): void {
    this.end();
  }

  /** fail ends the watch with an error the client sees (410 Expired, 500 too slow). */
  fail(err: Error): void {
    if (this.stopped) return;
    this.end();
    this.spec.onError(err);
  }

  private end(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.scheduled?.cancel();
    this.scheduled = undefined;
    this.initial = [];
    this.queue = [];
    this.spec.onDone(this);
  }

  private schedule(): void {
    if (this.scheduled !== undefined || this.stopped) return;
    this.scheduled = this.spec.clock.setTimeout(() => {
      this.scheduled = undefined;
      this.pump();
    }, 0);
  }

  /** pump delivers until empty, paused or a chunk is done (then continues on a later turn). */
  private pump(): void {
    if (this.pumping) return; // onEvent re-entered us (e.g. it called resume)
    this.pumping = true;
    try {
      for (let sent = 0; !this.stopped && !this.paused; sent++) {
        if (sent >= CHUNK_EVENTS) return this.schedule();
        const ev = this.take();
        if (!ev) return;
        if (this.spec.onEvent(ev) === false) this.paused = true;
      }
    } catch (err) {
      this.fail(toStatusError(err));
    } finally {
      this.pumping = false;
    }
  }

  private take(): StorageWatchEvent | undefined {
    if (this.initialAt < this.initial.length) {
      const e = this.initial[this.initialAt++];
      if (this.initialAt === this.initial.length) this.initial = [];
      if (this.initial.length === 0) this.initialAt = 0;
      return e;
    }
    if (this.queueAt >= this.queue.length) return undefined;
    const e = this.queue[this.queueAt++];
    if (this.queueAt === this.queue.length) {
      this.queue = [];
      this.queueAt = 0;
    } else if (this.queueAt > 1024 && this.queueAt * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueAt);
      this.queueAt = 0;
    }
    return e;
  }
}

/** tooSlow ends a watch whose client fell behind; a 500 makes client-go watch again at once. */
function tooSlow(prefix: string, maxBuffered: number): StatusError {
  const msg =
    `Internal error occurred: watch of ${prefix} terminated: ` +
    `the client fell more than ${maxBuffered} events behind; watch again`;
  return new StatusError(500, 'InternalError', msg);
}
