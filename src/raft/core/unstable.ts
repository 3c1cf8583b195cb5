/**
 * Unstable holds what the core has decided but the driver has not yet persisted: entries after the
 * stable log and, on a follower that received one, a snapshot. Once a Ready is persisted the driver
 * calls advance() and these move into stable storage (stableTo / stableSnapTo).
 */
import { assert } from '../../base/assert.js';
import type { Entry, Snapshot } from './types.js';

export class Unstable {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  /** Index of entries[0] (equivalently: stable last index + 1 when entries is empty). */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** maybeFirstIndex is the first index known only because of a pending snapshot. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata!.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? this.snapshot.metadata!.index : undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      const meta = this.snapshot?.metadata;
      return meta && meta.index === i ? meta.term : undefined;
    }
    const e = this.entries[i - this.offset];
    return e?.term;
  }

  /** stableTo drops entries up to i once they are persisted with term t (a newer entry that
   *  replaced index i in the meantime keeps it unstable). */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || gt !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata!.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata!.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  /** truncateAndAppend appends ents, replacing any unstable suffix from ents[0].index. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // The new entries replace everything unstable and part of the stable log too; the driver's
      // storage.save truncates the stable suffix when it persists them.
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    assert(lo >= this.offset && hi <= this.offset + this.entries.length, `unstable slice [${lo},${hi}) out of [${this.offset},${this.offset + this.entries.length})`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
