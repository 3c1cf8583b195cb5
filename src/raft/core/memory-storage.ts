/**
 * MemoryStorage is the reference LogStorage: the stable log held in memory. Durable storage
 * (src/raft/io/durable-storage.ts) keeps one of these as its read view and writes through to disk.
 *
 * ents[0] is a sentinel standing for the snapshot: its index and term are the snapshot's, so term()
 * answers for the snapshot index too (the log-matching check at the compaction boundary needs it).
 */
import { assert } from '../../base/assert.js';
import {
  CompactedError,
  EMPTY,
  EntryType,
  UnavailableError,
  entrySizeBytes,
  type ConfState,
  type Entry,
  type HardState,
  type LogStorage,
  type Snapshot,
} from './types.js';

/**
 * RaftStorage is a LogStorage the driver can write: what a Ready asks to persist, snapshots the
 * state machine takes, and compaction. Writes are synchronous: a durable implementation returns
 * from save({sync: true}) only after fdatasync, so the driver can send right after.
 */
export interface RaftStorage extends LogStorage {
  /** save persists, in this order, snapshot, entries (replacing any conflicting suffix) and hard
   *  state. With sync, everything is on stable media when it returns. */
  save(part: SavePart): void;
  /** createSnapshot records the state machine's image at an applied index. */
  createSnapshot(index: number, confState: ConfState, data: Buffer): Snapshot;
  /** compact forgets entries up to and including index (covered by a snapshot). */
  compact(index: number): void;
  /** createSnapshotInBackground (optional) does createSnapshot's I/O off the event loop; the
   *  driver calls the resolved function to record the snapshot (see DurableStorage). */
  createSnapshotInBackground?(index: number, confState: ConfState, data: Buffer): Promise<() => void>;
  /** saveInBackground (optional) is save() of a part without a snapshot whose fdatasync runs
   *  off the event loop; it resolves once the part is durable (and visible). The driver saves
   *  nothing else, snapshots or compacts nothing, until it settles. */
  saveInBackground?(part: SavePart): Promise<void>;
  close(): void;
}

export interface SavePart {
  hardState?: HardState;
  entries: readonly Entry[];
  snapshot?: Snapshot;
  sync: boolean;
}

export class MemoryStorage implements RaftStorage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot = emptySnapshot();
  private ents: Entry[] = [sentinel(0, 0)];

  initialState(): { hardState: HardState; confState: ConfState } {
    const cs = this.snap.metadata?.confState ?? { voters: [], learners: [] };
    return { hardState: { ...this.hardState }, confState: cloneConfState(cs) };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.offset();
    if (lo <= offset) throw new CompactedError(`index ${lo} is compacted (first ${offset + 1})`);
    if (hi > this.lastIndex() + 1) {
      throw new UnavailableError(`entries [${lo},${hi}) beyond last index ${this.lastIndex()}`);
    }
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(index: number): number {
    const offset = this.offset();
    if (index < offset) throw new CompactedError(`index ${index} is compacted (first ${offset + 1})`);
    const e = this.ents[index - offset];
    if (e === undefined) throw new UnavailableError(`index ${index} beyond last ${this.lastIndex()}`);
    return e.term;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** applySnapshot replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    const meta = snap.metadata;
    assert(meta !== undefined, 'snapshot without metadata');
    if (meta.index <= this.snap.metadata!.index) return; // older than what we have: ignore
    this.snap = snap;
    this.ents = [sentinel(meta.index, meta.term)];
  }

  /** createSnapshot records the state machine's image at index (which must be applied). */
  createSnapshot(index: number, confState: ConfState, data: Buffer): Snapshot {
    const snapIndex = this.snap.metadata!.index;
    if (index <= snapIndex) return this.snap;
    assert(index <= this.lastIndex(), `snapshot index ${index} beyond last ${this.lastIndex()}`);
    this.snap = {
      data,
      metadata: { index, term: this.term(index), confState: cloneConfState(confState) },
    };
    return this.snap;
  }

  /** compact drops entries up to and including index (it must be covered by a snapshot or be
   *  applied); ents[0] becomes the sentinel at index. */
  compact(index: number): void {
    const offset = this.offset();
    if (index <= offset) return;
    assert(index <= this.lastIndex(), `compact ${index} beyond last ${this.lastIndex()}`);
    const i = index - offset;
    const head = this.ents[i]!;
    this.ents = [sentinel(head.index, head.term), ...this.ents.slice(i + 1)];
  }

  /** append stores entries, replacing any conflicting suffix (a new leader overwrote it). */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    const offset = this.offset();
    if (first + entries.length - 1 <= offset) return; // entirely compacted already
    const skip = Math.max(0, offset + 1 - first);
    const fresh = skip > 0 ? entries.slice(skip) : entries;
    const start = fresh[0]!.index;
    assert(start <= this.lastIndex() + 1, `gap: appending ${start} after ${this.lastIndex()}`);
    this.ents.length = start - offset;
    for (const e of fresh) this.ents.push(e);
  }

  save(part: SavePart): void {
    if (part.snapshot) this.applySnapshot(part.snapshot);
    this.append(part.entries);
    if (part.hardState) this.setHardState(part.hardState);
  }

  close(): void {}

  private offset(): number {
    return this.ents[0]!.index;
  }
}

export function emptySnapshot(): Snapshot {
  return { data: EMPTY, metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } } };
}

export function cloneConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}

/** limitSize keeps a prefix of entries within maxBytes, always at least one entry. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySizeBytes(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySizeBytes(ents[n]!);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

function sentinel(index: number, term: number): Entry {
  return { index, term, type: EntryType.ENTRY_TYPE_NORMAL, data: EMPTY };
}
