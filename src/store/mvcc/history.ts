/**
 * eventsFrom turns the revision log into what watchers replay: whole revisions from `from` on,
 * each event with the version its write superseded (prevKv) when that version is still kept.
 * It stops after the revision that brings the total to at least maxEvents, so one call is
 * bounded while a revision's events are never split.
 */
import { assert } from '../../base/assert.js';
import { Event_EventType, type Event, type KeyValue } from '../../gen/mvccpb/kv.js';
import type { TraceContext } from '../../gen/k8ts/store/v1/store.js';
import type { RevisionEvents } from '../types.js';
import { isTombstone } from './key-history.js';
import type { MvccStore } from './mvcc-store.js';

export function eventsFrom(store: MvccStore, from: number, maxEvents: number): RevisionEvents[] {
  assert(maxEvents > 0, 'eventsFrom: maxEvents must be positive');
  const out: RevisionEvents[] = [];
  let total = 0;
  for (const record of store.log.from(from)) {
    const events = record.kvs.map((kv) =>
      toEvent(kv, store.history(kv.key.toString('latin1'))?.before(record.revision), record.trace),
    );
    out.push({ revision: record.revision, events, trace: record.trace });
    total += events.length;
    if (total >= maxEvents) break;
  }
  return out;
}

/** toEvent is the watch event of one stored write. */
export function toEvent(kv: KeyValue, prevKv: KeyValue | undefined, trace: TraceContext | undefined): Event {
  return {
    type: isTombstone(kv) ? Event_EventType.DELETE : Event_EventType.PUT,
    kv,
    prevKv,
    traceparent: trace?.traceparent ?? '',
    tracestate: trace?.tracestate ?? '',
  };
}
