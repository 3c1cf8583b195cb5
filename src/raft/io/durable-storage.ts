/**
 * DurableStorage is the RaftStorage a member runs on: a MemoryStorage read view kept in step with
 * a WAL and a snapshot store under one data directory (`<dir>/wal`, `<dir>/snap`). The view
 * answers the core's reads; every write goes to disk first, so after a crash at any point open()
 * rebuilds a view that holds everything acknowledged by a synced save and nothing that was not
 * written.
 *
 * Order of writes, and why:
 * - a snapshot (received or taken) is written to its own file, synced, before any WAL record
 *   names it, so a WAL marker always points at a durable snapshot;
 * - a save's WAL records (reset marker, entries, hard state) go in one append and one fdatasync,
 *   entries before hard state, so a torn batch never keeps a commit without its entries;
 * - WAL segments are deleted only below a durable snapshot.
 */
import { assert } from '../../base/assert.js';
import {
  MemoryStorage,
  cloneConfState,
  emptySnapshot,
  type RaftStorage,
  type SavePart,
} from '../core/memory-storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../core/types.js';
import { joinPath, type FileSystem } from './fs.js';
import { SnapshotCorruptionError, SnapshotStore, type SnapshotFile } from './snapshot-store.js';
import { Wal, type WalOptions, type WalRecord } from './wal.js';

/** DurableStorageOptions tunes the WAL and how many snapshots are kept. */
export interface DurableStorageOptions {
  wal: Partial<WalOptions>;
  /** Snapshot files kept (≥ 2 lets an older one stand in for a rotten newest one). */
  snapshotsKept: number;
}

/** RecoveryReport says what open() found and repaired, for logs and tests. */
export interface RecoveryReport {
  /** File name of the snapshot the view starts from; undefined when none exists. */
  snapshotName: string | undefined;
  /** Newer snapshot files skipped as corrupt (the WAL covered them). */
  skippedSnapshots: string[];
  /** Bytes cut from a torn WAL tail. */
  tornTailBytes: number;
  walRecords: number;
  /** True when open() appended a reset marker to bring the WAL in line with the snapshot. */
  repaired: boolean;
}

/** RecoveryError: disk state that cannot be turned into a correct log (missing or rotten
 *  snapshot the WAL does not cover). Serving anything would risk a wrong log, so open() fails. */
export class RecoveryError extends Error {
  override name = 'RecoveryError';
}

/** DurableStorage implements RaftStorage on a FileSystem; see the module doc. */
export class DurableStorage implements RaftStorage {
  private constructor(
    private readonly mem: MemoryStorage,
    private readonly wal: Wal,
    private readonly store: SnapshotStore,
    /** What open() found: kept for the member's startup log. */
    readonly recovery: RecoveryReport,
  ) {}

  /** open recovers the storage in dir (creating it when empty): newest valid snapshot, then the
   *  WAL records after it; the hard state is the last one logged. */
  static open(
    fs: FileSystem,
    dir: string,
    opts: Partial<DurableStorageOptions> = {},
  ): DurableStorage {
    fs.mkdirp(dir);
    const store = new SnapshotStore(fs, joinPath(dir, 'snap'), opts.snapshotsKept ?? 2);
    const { snap, file, skipped } = loadNewestSnapshot(store);
    const { wal, recovery } = Wal.open(fs, joinPath(dir, 'wal'), opts.wal ?? {});
    let mem: MemoryStorage;
    let conflict: boolean;
    try {
      ({ mem, conflict } = replay(snap, recovery.records));
      checkCovered(mem, skipped);
    } catch (err) {
      wal.close();
      if (!(err instanceof RecoveryError) || skipped.length === 0) throw err;
      throw new RecoveryError(
        `snapshot ${skipped[0]!.path} is corrupt and older snapshots plus the WAL do not cover ` +
          `it: ${err.message}`,
      );
    }
    const meta = snap.metadata!;
    const repaired = conflict || wal.lastIndex() !== mem.lastIndex();
    if (repaired) {
      // The snapshot is newer than the WAL knows (a crash between the two) or replaced a log the
      // WAL still holds: record the reset so the next recovery reads the same log.
      assert(mem.lastIndex() === meta.index, 'WAL and view disagree beyond the snapshot');
      wal.append([{ kind: 'snapshot', index: meta.index, term: meta.term, reset: true }], true);
    }
    assert(wal.lastIndex() === mem.lastIndex(), 'WAL and view disagree after recovery');
    const report: RecoveryReport = {
      snapshotName: file?.name,
      skippedSnapshots: skipped.map((f) => f.name),
      tornTailBytes: recovery.tornTailBytes,
      walRecords: recovery.records.length,
      repaired,
    };
    return new DurableStorage(mem, wal, store, report);
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return this.mem.initialState();
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.mem.entries(lo, hi, maxBytes);
  }

  term(index: number): number {
    return this.mem.term(index);
  }

  firstIndex(): number {
    return this.mem.firstIndex();
  }

  lastIndex(): number {
    return this.mem.lastIndex();
  }

  snapshot(): Snapshot {
    return this.mem.snapshot();
  }

  /** save persists snapshot (own file, synced), then entries and hard state in one WAL append
   *  (fdatasync when part.sync), then updates the view. */
  save(part: SavePart): void {
    this.wal.append(this.records(part), part.sync);
    this.saved(part);
  }

  /** saveInBackground is save() of a part without a snapshot, its fdatasync off the event loop
   *  (Wal.appendSyncInBackground); the view shows the part once it is durable. */
  async saveInBackground(part: SavePart): Promise<void> {
    assert(part.snapshot === undefined, 'a snapshot is saved on the loop');
    await this.wal.appendSyncInBackground(this.records(part));
    this.saved(part);
  }

  /** records are a save's WAL records; a newer snapshot's file is written (synced) first. */
  private records(part: SavePart): WalRecord[] {
    const records: WalRecord[] = [];
    const snap = part.snapshot;
    let snapIndex = this.snapIndex();
    if (snap !== undefined && snap.metadata!.index > snapIndex) {
      const meta = snap.metadata!;
      this.store.save(snap);
      records.push({ kind: 'snapshot', index: meta.index, term: meta.term, reset: true });
      snapIndex = meta.index;
    }
    const first = part.entries[0];
    assert(first === undefined || first.index > snapIndex, `entry ${first?.index} ≤ snapshot`);
    for (const entry of part.entries) records.push({ kind: 'entry', entry });
    if (part.hardState !== undefined) {
      records.push({ kind: 'hard-state', hardState: part.hardState });
    }
    return records;
  }

  private saved(part: SavePart): void {
    this.mem.save(part);
    assert(this.wal.lastIndex() === this.mem.lastIndex(), 'WAL and view disagree after save');
  }

  /** createSnapshot writes the image taken at index to a durable file, then logs a marker. */
  createSnapshot(index: number, confState: ConfState, data: Buffer): Snapshot {
    if (index <= this.snapIndex()) return this.mem.snapshot();
    const term = this.mem.term(index);
    const snap: Snapshot = { data, metadata: { index, term, confState: cloneConfState(confState) } };
    this.store.save(snap);
    this.wal.append([{ kind: 'snapshot', index, term, reset: false }], false);
    const made = this.mem.createSnapshot(index, confState, data);
    assert(made.metadata!.term === term, 'snapshot term changed while taking it');
    return made;
  }

  /** createSnapshotInBackground writes the image's file without blocking the event loop and
   *  resolves with a commit function for the driver to call: it installs the file and records
   *  the snapshot, or drops it when a newer snapshot (say, one from the leader) arrived meanwhile.
   *  Until committed, the log keeps every entry, so a crash in between loses nothing. */
  async createSnapshotInBackground(index: number, confState: ConfState, data: Buffer): Promise<() => void> {
    if (index <= this.snapIndex()) return () => {};
    const term = this.mem.term(index);
    const snap: Snapshot = { data, metadata: { index, term, confState: cloneConfState(confState) } };
    const saved = await this.store.saveInBackground(snap);
    return () => {
      if (index <= this.snapIndex()) {
        saved.discard();
        return;
      }
      saved.install();
      this.wal.append([{ kind: 'snapshot', index, term, reset: false }], false);
      const made = this.mem.createSnapshot(index, confState, data);
      assert(made.metadata!.term === term, 'snapshot term changed while taking it');
    };
  }

  /** compact forgets entries ≤ index in the view and deletes WAL segments wholly below it. The
   *  index must be covered by the durable snapshot, or a crash could lose committed entries. */
  compact(index: number): void {
    assert(index <= this.snapIndex(), `compact ${index} beyond snapshot ${this.snapIndex()}`);
    this.mem.compact(index);
    this.wal.compact(index);
  }

  /** walSegments lists the live WAL segment names (for tests and operators). */
  walSegments(): string[] {
    return this.wal.segmentNames();
  }

  close(): void {
    this.wal.close();
  }

  private snapIndex(): number {
    return this.mem.snapshot().metadata!.index;
  }
}

function loadNewestSnapshot(store: SnapshotStore): {
  snap: Snapshot;
  file: SnapshotFile | undefined;
  skipped: SnapshotFile[];
} {
  const skipped: SnapshotFile[] = [];
  for (const file of store.list()) {
    try {
      return { snap: store.load(file), file, skipped };
    } catch (err) {
      if (!(err instanceof SnapshotCorruptionError)) throw err;
      skipped.push(file);
    }
  }
  // Every snapshot (if any) is corrupt: only a WAL reaching back to index 1 can stand in.
  return { snap: emptySnapshot(), file: undefined, skipped };
}

/** viewOf makes a fresh view holding only the snapshot. */
function viewOf(snap: Snapshot): MemoryStorage {
  const mem = new MemoryStorage();
  if (snap.metadata!.index > 0) mem.applySnapshot(snap);
  return mem;
}

/**
 * replay rebuilds the view from the snapshot and the WAL records; conflict says the WAL's log
 * disagrees with the snapshot at its index (the caller must log the reset). A record at or below the
 * snapshot index replaces everything after it (the snapshot holds that part); a reset marker
 * above the snapshot, an entry past a gap, or a marker whose term disagrees means a snapshot the
 * log needs is missing: RecoveryError.
 */
function replay(
  snap: Snapshot,
  records: readonly WalRecord[],
): { mem: MemoryStorage; conflict: boolean } {
  const meta = snap.metadata!;
  const snapIndex = meta.index;
  let mem = viewOf(snap);
  let hardState: HardState = { term: 0, vote: 0, commit: 0 };
  let termAtSnap: number | undefined;
  for (const r of records) {
    if (r.kind === 'hard-state') {
      hardState = r.hardState;
    } else if (r.kind === 'entry' && r.entry.index > snapIndex) {
      if (r.entry.index > mem.lastIndex() + 1) {
        throw new RecoveryError(`WAL entry ${r.entry.index} after ${mem.lastIndex()}: a gap`);
      }
      mem.append([r.entry]);
    } else if (r.kind === 'entry') {
      if (mem.lastIndex() > snapIndex) mem = viewOf(snap);
      termAtSnap = r.entry.index === snapIndex ? r.entry.term : undefined;
    } else if (r.index <= snapIndex) {
      if (r.reset && mem.lastIndex() > snapIndex) mem = viewOf(snap);
      if (r.index === snapIndex) checkTerm(r.term, meta.term, snapIndex);
      if (r.index === snapIndex) termAtSnap = r.term;
      else if (r.reset) termAtSnap = undefined;
    } else if (r.reset || mem.lastIndex() < r.index || mem.term(r.index) !== r.term) {
      throw new RecoveryError(`WAL needs snapshot (term ${r.term}, index ${r.index}): missing`);
    }
  }
  // The snapshot landed but the WAL never learned of it (crash in between) and the log it holds
  // after the snapshot belongs to another history: the snapshot wins.
  const conflict = termAtSnap !== undefined && termAtSnap !== meta.term;
  if (conflict) mem = viewOf(snap);
  const commit = Math.max(hardState.commit, snapIndex);
  if (commit > mem.lastIndex()) {
    throw new RecoveryError(`hard state commit ${commit} beyond last index ${mem.lastIndex()}`);
  }
  mem.setHardState({ ...hardState, commit });
  return { mem, conflict };
}

function checkTerm(walTerm: number, snapTerm: number, index: number): void {
  if (walTerm !== snapTerm) {
    throw new RecoveryError(`WAL says snapshot ${index} has term ${walTerm}, file says ${snapTerm}`);
  }
}

/** checkCovered: a skipped (corrupt) newer snapshot is harmless only if the view reaches it. */
function checkCovered(mem: MemoryStorage, skipped: readonly SnapshotFile[]): void {
  for (const f of skipped) {
    const ok = mem.lastIndex() >= f.index && f.index >= mem.firstIndex() - 1;
    if (!ok || mem.term(f.index) !== f.term) {
      throw new RecoveryError(`the log does not reach (term ${f.term}, index ${f.index})`);
    }
  }
}
