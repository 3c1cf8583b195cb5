/**
 * Turning the store's events into what one watcher receives: the trace context of the writing
 * request stamped on each event, prev_kv only for watchers that asked for it, NOPUT/NODELETE
 * filters, and a size estimate for the queue bounds.
 *
 * The store hands out its KeyValue and Event objects without copying (src/store/mvcc), so nothing
 * here mutates them: every delivered Event is a new shallow object, built once per revision and
 * shared by all watchers that want the same variant.
 */
import { assert } from '../../base/assert.js';
import { WatchCreateRequest_FilterType } from '../../gen/etcdserverpb/rpc.js';
import { Event_EventType, type Event, type KeyValue } from '../../gen/mvccpb/kv.js';
import type { RevisionEvents } from '../types.js';
import { inRange, skeyOf, type KeyRange } from './key-range.js';

/** EVENT_OVERHEAD_BYTES covers an event's tags, lengths and integer fields (generous: the
 *  estimate decides queue bounds and fragment cuts, so it should not fall below the truth). */
const EVENT_OVERHEAD_BYTES = 64;
/** RESPONSE_OVERHEAD_BYTES covers a WatchResponse's header and scalar fields. */
export const RESPONSE_OVERHEAD_BYTES = 64;

/** EventFilter is what a watcher keeps of a revision (etcd's FilterFunc, plus its range). */
export interface EventFilter {
  readonly range: KeyRange;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly prevKv: boolean;
}

/** filterFlags reads the filter list of a create request; unknown values are ignored, as etcd's
 *  FiltersFromRequest does. */
export function filterFlags(filters: readonly WatchCreateRequest_FilterType[]): {
  noPut: boolean;
  noDelete: boolean;
} {
  return {
    noPut: filters.includes(WatchCreateRequest_FilterType.NOPUT),
    noDelete: filters.includes(WatchCreateRequest_FilterType.NODELETE),
  };
}

function kvBytes(kv: KeyValue | undefined): number {
  return kv === undefined ? 0 : kv.key.length + kv.value.length + 40;
}

/** Selection is what a watcher keeps of some events, with their estimated sizes. */
export interface Selection {
  events: Event[];
  sizes: number[];
  bytes: number;
}

/** PreparedRevision is one revision ready for delivery: its events' keys as strings, and the two
 *  delivered variants of each event (with and without prev_kv), built on first use. */
export class PreparedRevision {
  readonly revision: number;
  readonly skeys: string[];
  private full: (Event | undefined)[];
  private bare: (Event | undefined)[];
  private sizes: number[];

  constructor(readonly source: RevisionEvents) {
    this.revision = source.revision;
    this.skeys = source.events.map((ev) => {
      assert(ev.kv !== undefined, `revision ${source.revision}: event without kv`);
      return skeyOf(ev.kv.key);
    });
    this.full = new Array<Event | undefined>(source.events.length);
    this.bare = new Array<Event | undefined>(source.events.length);
    this.sizes = new Array<number>(source.events.length).fill(-1);
  }

  /** empty is a revision with no events (marks how far a history batch reached). */
  static empty(revision: number): PreparedRevision {
    return new PreparedRevision({ revision, events: [], trace: undefined });
  }

  get length(): number {
    return this.skeys.length;
  }

  /** keeps says whether event i passes filter f. */
  keeps(f: EventFilter, i: number): boolean {
    const ev = this.source.events[i];
    const skey = this.skeys[i];
    assert(ev !== undefined && skey !== undefined, 'event index out of range');
    if (ev.type === Event_EventType.PUT ? f.noPut : f.noDelete) return false;
    return inRange(f.range, skey);
  }

  /** event is the delivered form of event i: trace context stamped, prev_kv kept or dropped. */
  event(i: number, withPrevKv: boolean): Event {
    const cache = withPrevKv ? this.full : this.bare;
    const hit = cache[i];
    if (hit !== undefined) return hit;
    const ev = this.source.events[i];
    assert(ev !== undefined, 'event index out of range');
    const trace = this.source.trace;
    const made: Event = {
      type: ev.type,
      kv: ev.kv,
      prevKv: withPrevKv ? ev.prevKv : undefined,
      traceparent: ev.traceparent !== '' ? ev.traceparent : (trace?.traceparent ?? ''),
      tracestate: ev.tracestate !== '' ? ev.tracestate : (trace?.tracestate ?? ''),
    };
    cache[i] = made;
    return made;
  }

  /** bytes estimates the encoded size of event i in the given variant. */
  bytes(i: number, withPrevKv: boolean): number {
    let base = this.sizes[i];
    if (base === undefined || base < 0) {
      const ev = this.event(i, false);
      base = EVENT_OVERHEAD_BYTES + kvBytes(ev.kv) + ev.traceparent.length + ev.tracestate.length;
      this.sizes[i] = base;
    }
    return withPrevKv ? base + kvBytes(this.source.events[i]?.prevKv) : base;
  }

  /** select returns the events of this revision a watcher receives and their estimated size
   *  (empty when it keeps none). */
  select(f: EventFilter): Selection {
    const events: Event[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < this.length; i++) {
      if (!this.keeps(f, i)) continue;
      const size = this.bytes(i, f.prevKv);
      events.push(this.event(i, f.prevKv));
      sizes.push(size);
      bytes += size;
    }
    return { events, sizes, bytes };
  }
}

/** fragmentCuts splits a response's events for a watcher that asked for `fragment`, as etcd's
 *  sendFragments does: nothing to split below `limitBytes` or with one event; otherwise each
 *  piece takes events until adding one more would reach the limit (at least one per piece).
 *  Returns the end index (exclusive) of each piece. */
export function fragmentCuts(sizes: readonly number[], limitBytes: number): number[] {
  let total = RESPONSE_OVERHEAD_BYTES;
  for (const s of sizes) total += s;
  if (total < limitBytes || sizes.length < 2) return [sizes.length];
  const cuts: number[] = [];
  let bytes = RESPONSE_OVERHEAD_BYTES;
  let count = 0;
  for (let i = 0; i < sizes.length; i++) {
    const s = sizes[i] ?? 0;
    if (count > 0 && bytes + s >= limitBytes) {
      cuts.push(i);
      bytes = RESPONSE_OVERHEAD_BYTES;
      count = 0;
    }
    bytes += s;
    count++;
  }
  cuts.push(sizes.length);
  return cuts;
}
