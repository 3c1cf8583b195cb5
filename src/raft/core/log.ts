/**
 * RaftLog is the log as the core sees it: stable storage plus the unstable tail, with the commit
 * and apply cursors. Invariant: applied <= committed <= lastIndex, and firstIndex-1 <= applied.
 */
import { assert } from '../../base/assert.js';
import { limitSize } from './memory-storage.js';
import { Unstable } from './unstable.js';
import {
  CompactedError,
  UnavailableError,
  type Entry,
  type LogStorage,
  type Snapshot,
} from './types.js';

export class RaftLog {
  readonly storage: LogStorage;
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. */
  committed: number;
  /** Highest index handed to the state machine. */
  applied: number;
  private readonly maxApplyBytes: number;

  constructor(storage: LogStorage, applied: number, maxApplyBytes: number) {
    this.storage = storage;
    this.unstable = new Unstable(storage.lastIndex() + 1);
    // What a snapshot covers is applied and committed; a restarting member may have applied more
    // (config.applied), and its hard state's commit is at least that (set by Raft).
    this.applied = Math.max(applied, storage.firstIndex() - 1);
    this.committed = this.applied;
    this.maxApplyBytes = maxApplyBytes;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'last term unavailable');
    return t;
  }

  /** term of the entry at i, or undefined when i is compacted or beyond the log. */
  term(i: number): number | undefined {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    const ut = this.unstable.maybeTerm(i);
    if (ut !== undefined) return ut;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined;
      throw e;
    }
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** isUpToDate: a candidate whose last entry is (lasti, term) has a log at least as recent as
   *  ours (§5.4.1), so we may vote for it. */
  isUpToDate(lasti: number, term: number): boolean {
    const ours = this.lastTerm();
    return term > ours || (term === ours && lasti >= this.lastIndex());
  }

  /** maybeAppend applies an AppendEntries from the leader. Returns the index of the last new entry,
   *  or undefined when (index, logTerm) does not match our log (the leader must back up). */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, `entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    assert(after >= this.committed, `append after ${after} is below committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** findConflict returns the index of the first entry that is new or disagrees with ours, 0 if
   *  every entry is already present. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /** findConflictByTerm returns the largest index <= index whose term is <= term: where a leader
   *  should probe next so a follower's divergent suffix is skipped one term at a time. */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined || t <= term) break;
    }
    return i;
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.length > 0 ? [...this.unstable.entries] : [];
  }

  hasNextCommittedEnts(): boolean {
    if (this.unstable.snapshot) return false;
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.committed + 1 > lo;
  }

  /** nextCommittedEnts is what to apply next, bounded in bytes. */
  nextCommittedEnts(): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, this.maxApplyBytes);
  }

  /** committedEntsUpTo is nextCommittedEnts cut at index hi (at most committed). */
  committedEntsUpTo(hi: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const to = Math.min(hi, this.committed);
    return to >= lo ? this.slice(lo, to + 1, this.maxApplyBytes) : [];
  }

  /** entries from i on, bounded in bytes; undefined when i is compacted (send a snapshot). */
  entries(i: number, maxBytes: number): Entry[] | undefined {
    if (i > this.lastIndex()) return [];
    if (i < this.firstIndex()) return undefined;
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo >= this.firstIndex() && hi <= this.lastIndex() + 1 && lo <= hi, `slice [${lo},${hi})`);
    if (lo === hi) return [];
    let out: Entry[] = [];
    const uo = this.unstable.offset;
    if (lo < uo) {
      out = this.storage.entries(lo, Math.min(hi, uo), maxBytes);
      if (out.length < Math.min(hi, uo) - lo) return out; // size limit reached
    }
    if (hi > uo) {
      const tail = this.unstable.slice(Math.max(lo, uo), hi);
      out = out.length > 0 ? out.concat(tail) : tail;
    }
    return limitSize(out, maxBytes);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(toCommit: number): void {
    if (toCommit <= this.committed) return;
    assert(toCommit <= this.lastIndex(), `commit ${toCommit} beyond last index ${this.lastIndex()}`);
    this.committed = toCommit;
  }

  /** maybeCommit commits maxIndex only if it is from the current term: the rule of the paper's
   *  Figure 8 — an old-term entry is never committed by counting replicas. */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    assert(i <= this.committed && i >= this.applied, `applied ${i} out of range [${this.applied}, ${this.committed}]`);
    this.applied = i;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata!.index;
    this.unstable.restore(s);
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }
}
