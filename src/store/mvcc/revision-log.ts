/**
 * RevisionLog keeps, for every revision since the last compaction, the versions that revision
 * wrote in the order it wrote them, with the writer's trace context. It is what watchers replay
 * (historyFrom) and what a snapshot carries, so a restored member can serve the same history as
 * one that applied the log. The versions are the same objects the key histories hold.
 */
import { assert } from '../../base/assert.js';
import type { TraceContext } from '../../gen/k8ts/store/v1/store.js';
import type { KeyValue } from '../../gen/mvccpb/kv.js';

/** RevisionRecord is one revision: its writes in order (tombstones for deletes) and trace. */
export interface RevisionRecord {
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
  readonly trace: TraceContext | undefined;
}

/** RevisionSlot is what the log keeps per revision: the record, or — for a revision with one
 *  write and no trace context, nearly every revision — just that version (its mod_revision is
 *  the revision): a record object and its one-element array are three heap objects per write
 *  for the collector to trace, for as long as the history is kept. undefined: no record. */
export type RevisionSlot = RevisionRecord | KeyValue | undefined;

/** recordOf is the record a slot stands for (made anew for a bare version). */
export function recordOf(slot: RevisionSlot): RevisionRecord | undefined {
  if (slot === undefined || 'kvs' in slot) return slot;
  return { revision: Number(slot.modRevision), kvs: [slot], trace: undefined };
}

function slotOf(record: RevisionRecord): RevisionSlot {
  const only = record.kvs.length === 1 && record.trace === undefined ? record.kvs[0] : undefined;
  return only ?? record;
}

/** RevisionSpan is a range of the log fixed when it was taken: slots[start, end) (see
 *  recordOf). Later appends, compactions and resets do not change it. */
export interface RevisionSpan {
  readonly slots: readonly RevisionSlot[];
  readonly start: number;
  readonly end: number;
}

export class RevisionLog {
  /** records[i] is revision base + i; undefined for revision 1 of a new store (no writes).
   *  Entries below its length are never overwritten in place: append only pushes, and dropBelow
   *  and reset replace the array — so a span taken of it stays valid without a copy. */
  private records: RevisionSlot[] = [];
  private base = 1;

  /** append adds the next revision's record (revisions only grow). */
  append(record: RevisionRecord): void {
    assert(record.kvs.length > 0, 'RevisionLog: a revision without writes');
    assert(record.revision >= this.base + this.records.length, 'RevisionLog: out of order');
    while (this.base + this.records.length < record.revision) this.records.push(undefined);
    this.records.push(slotOf(record));
  }

  /** get is the record of revision rev, if kept. */
  get(rev: number): RevisionRecord | undefined {
    return rev < this.base ? undefined : recordOf(this.records[rev - this.base]);
  }

  /** firstRevision is the oldest revision the log can answer for. */
  firstRevision(): number {
    return this.base;
  }

  /** lastRevision is the newest revision recorded (base - 1 + length). */
  lastRevision(): number {
    return this.base + this.records.length - 1;
  }

  /** dropBelow forgets revisions below rev and keeps only `keep` of revision rev's writes
   *  (compaction removes tombstones at the compaction revision). */
  dropBelow(rev: number, keep: (kv: KeyValue) => boolean): void {
    if (rev <= this.base) return;
    this.records = rev - this.base >= this.records.length ? [] : this.records.slice(rev - this.base);
    this.base = rev;
    const at = recordOf(this.records[0]);
    if (at === undefined) return;
    const kept = at.kvs.filter(keep);
    this.records[0] = kept.length === 0 ? undefined : slotOf({ ...at, kvs: kept });
  }

  /** reset empties the log so that it starts at revision `base` (restore). */
  reset(base: number): void {
    assert(base >= 1);
    this.records = [];
    this.base = base;
  }

  /** span captures the records from revision `from` (inclusive) to the newest, in O(1): a
   *  background snapshot takes it at once instead of copying 100k records in one turn. */
  span(from: number): RevisionSpan {
    return { slots: this.records, start: Math.max(0, from - this.base), end: this.records.length };
  }

  /** records in revision order from `from` (inclusive). */
  *from(from: number): IterableIterator<RevisionRecord> {
    for (let i = Math.max(0, from - this.base); i < this.records.length; i++) {
      const record = recordOf(this.records[i]);
      if (record !== undefined) yield record;
    }
  }
}
