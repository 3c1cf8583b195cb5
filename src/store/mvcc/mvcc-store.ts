/**
 * MvccStore is the multi-version key-value core: the global revision, every key's kept versions
 * (KeyHistory) in byte order (KeyOrder), and the per-revision write log (RevisionLog). It knows
 * nothing of requests, leases or alarms; the apply layer drives it through write sessions:
 *
 *   beginWrite() → put()/tombstone()… → endWrite(trace)
 *
 * Writes go straight into the histories at revision current+1, so reads inside the session (a
 * txn's later ops) see them; endWrite makes the revision current only if something was written
 * (a txn whose writes all missed, or a DeleteRange that deleted nothing, costs no revision).
 * The apply layer checks everything that can fail before it begins, so a session never aborts.
 */
import { assert } from '../../base/assert.js';
import type { TraceContext } from '../../gen/k8ts/store/v1/store.js';
import type { KeyValue } from '../../gen/mvccpb/kv.js';
import { ByteArena } from './byte-arena.js';
import { KeyHistory, isTombstone, tombstoneKv } from './key-history.js';
import { KeyOrder } from './key-order.js';
import { RevisionLog, type RevisionRecord } from './revision-log.js';
import { smallBigint } from './small-bigint.js';

/** VERSION_OVERHEAD_BYTES is what one kept version costs beyond its key and value bytes in the
 *  size estimate (index entry, revision, objects) — the same order as etcd's per-key index. */
export const VERSION_OVERHEAD_BYTES = 96;

/** A reused session whose arrays grew past this many writes (a large delete) lets them go. */
const SPARE_MAX_WRITES = 1024;

/** A written version and the live version it superseded (the event's prevKv). */
export interface Written {
  kv: KeyValue;
  prev: KeyValue | undefined;
}

interface Session {
  revision: number;
  revisionBig: bigint;
  kvs: KeyValue[];
  prevs: (KeyValue | undefined)[];
}

export class MvccStore {
  readonly order = new KeyOrder<KeyHistory>();
  readonly log = new RevisionLog();
  private readonly byKey = new Map<string, KeyHistory>();
  /** Where stored keys and values are copied to (see ByteArena: not Node's shared pool). */
  private readonly arena = new ByteArena();
  private currentRev = 1;
  private compactRev = 0;
  private bytes = 0;
  private session: Session | undefined;
  /** The one session object every write session reuses (a session is never nested, and its
   *  arrays are copied or consumed by endWrite's caller before the next begins). */
  private readonly spare: Session = { revision: 0, revisionBig: 0n, kvs: [], prevs: [] };
  /** While restoring, new histories wait here and enter the order sorted, in restoreEnd. */
  private restoring: KeyHistory[] | undefined;

  revision(): number {
    return this.currentRev;
  }

  compactRevision(): number {
    return this.compactRev;
  }

  /** sizeBytes is the estimate of kept keys, values and per-version overhead. */
  sizeBytes(): number {
    return this.bytes;
  }

  /** history is the key's kept versions, if any are kept. */
  history(skey: string): KeyHistory | undefined {
    return this.byKey.get(skey);
  }

  /** historyFor is the key's history, created (empty, indexed) when none is kept: a put looks
   *  its key up once and writes through the history it got (skey is key in latin1). */
  historyFor(skey: string, key: Buffer): KeyHistory {
    return this.byKey.get(skey) ?? this.newHistory(skey, key);
  }

  /** viewRevision is the revision a read inside the current session (or outside one) sees:
   *  the session's revision once it wrote something, else the current revision. */
  viewRevision(): number {
    return this.session !== undefined && this.session.kvs.length > 0
      ? this.session.revision
      : this.currentRev;
  }

  /** headRevision is the revision of the newest stored writes: reads at or above it may use
   *  the heads (and the live counts) instead of searching histories. */
  headRevision(): number {
    return this.viewRevision();
  }

  beginWrite(): void {
    assert(this.session === undefined, 'MvccStore: nested write session');
    assert(this.restoring === undefined, 'MvccStore: write during restore');
    const s = this.spare;
    s.revision = this.currentRev + 1;
    s.revisionBig = BigInt(s.revision);
    if (s.kvs.length > SPARE_MAX_WRITES) [s.kvs, s.prevs] = [[], []];
    s.kvs.length = 0;
    s.prevs.length = 0;
    this.session = s;
  }

  /** put writes a new version of hist's key (from historyFor), with a copy of value (the
   *  caller's buffer is not kept). lease 0 means none. */
  put(hist: KeyHistory, value: Buffer, lease: bigint): Written {
    const s = this.session;
    assert(s !== undefined, 'MvccStore.put outside a write session');
    const wasLive = hist.isLive();
    const prev = hist.head();
    const kv: KeyValue = {
      key: hist.key,
      createRevision: prev === undefined ? s.revisionBig : prev.createRevision,
      modRevision: s.revisionBig,
      version: prev === undefined ? 1n : smallBigint(Number(prev.version) + 1),
      // ignore_value writes the stored value again: already the store's own bytes.
      value: value === prev?.value ? value : this.arena.copy(value),
      lease,
    };
    this.record(hist, kv, prev);
    if (!wasLive) this.order.liveChanged(hist.skey, 1);
    return { kv, prev };
  }

  /** tombstone deletes a key that exists now; returns the tombstone and the deleted version. */
  tombstone(hist: KeyHistory): Written {
    const s = this.session;
    assert(s !== undefined, 'MvccStore.tombstone outside a write session');
    const prev = hist.head();
    assert(prev !== undefined, 'MvccStore.tombstone: key does not exist');
    const kv = tombstoneKv(hist.key, s.revisionBig);
    this.record(hist, kv, prev);
    this.order.liveChanged(hist.skey, -1);
    return { kv, prev };
  }

  /** endWrite closes the session; returns the new revision's record if anything was written,
   *  and the writes' event prevKvs — an array valid only until the next beginWrite. */
  endWrite(trace: TraceContext | undefined): { record: RevisionRecord; prevs: (KeyValue | undefined)[] } | undefined {
    const s = this.session;
    assert(s !== undefined, 'MvccStore.endWrite without a session');
    this.session = undefined;
    if (s.kvs.length === 0) return undefined;
    // slice(): an exact-size copy, so the kept record does not carry the growth capacity.
    const record: RevisionRecord = { revision: s.revision, kvs: s.kvs.slice(), trace };
    this.log.append(record);
    this.currentRev = s.revision;
    return { record, prevs: s.prevs };
  }

  /** compact drops history below rev (see compaction.ts for which versions survive). Keys
   *  written since the previous compaction are the only ones with anything to drop. */
  compact(rev: number): void {
    assert(this.session === undefined && rev > this.compactRev && rev <= this.currentRev);
    const touched = new Set<KeyHistory>();
    for (const record of this.log.from(this.compactRev)) {
      if (record.revision > rev) break;
      for (const kv of record.kvs) {
        const hist = this.byKey.get(kv.key.toString('latin1'));
        if (hist !== undefined) touched.add(hist);
      }
    }
    for (const hist of touched) {
      for (const dropped of hist.compact(rev)) this.bytes -= versionBytes(dropped);
      if (hist.isEmpty()) this.dropHistory(hist);
    }
    this.log.dropBelow(rev, (kv) => {
      const hist = this.byKey.get(kv.key.toString('latin1'));
      return hist !== undefined && hist.holds(kv);
    });
    this.compactRev = rev;
  }

  /** restoreBegin empties the store to be refilled by restoreVersion/restoreRecord. */
  restoreBegin(revision: number, compactRevision: number): void {
    assert(this.session === undefined);
    assert(revision >= 1 && compactRevision >= 0 && compactRevision <= revision);
    this.byKey.clear();
    this.order.clear();
    this.log.reset(Math.max(1, compactRevision));
    this.currentRev = revision;
    this.compactRev = compactRevision;
    this.bytes = 0;
    this.restoring = [];
  }

  /** restoreEnd indexes the restored keys. */
  restoreEnd(): void {
    const restored = this.restoring;
    assert(restored !== undefined, 'MvccStore.restoreEnd without restoreBegin');
    this.restoring = undefined;
    restored.sort((a, b) => (a.skey < b.skey ? -1 : a.skey > b.skey ? 1 : 0));
    this.order.bulkLoad(restored);
  }

  /** restoreVersion adds a kept version written before the compaction revision (one per key,
   *  the key's newest at that point). */
  restoreVersion(kv: KeyValue): void {
    assert(!isTombstone(kv) && Number(kv.modRevision) < this.compactRev, 'restoreVersion');
    const skey = kv.key.toString('latin1');
    const hist = this.byKey.get(skey) ?? this.newHistory(skey, kv.key);
    this.appendRestored(hist, kv);
  }

  /** restoreRecord replays one kept revision, in revision order. */
  restoreRecord(record: RevisionRecord): void {
    assert(record.revision >= this.compactRev && record.revision <= this.currentRev);
    for (const kv of record.kvs) {
      const skey = kv.key.toString('latin1');
      const hist = this.byKey.get(skey) ?? this.newHistory(skey, kv.key);
      this.appendRestored(hist, kv);
    }
    this.log.append(record);
  }

  private appendRestored(hist: KeyHistory, kv: KeyValue): void {
    const wasLive = hist.isLive();
    const replaced = hist.write(kv);
    if (replaced !== undefined) this.bytes -= versionBytes(replaced);
    this.bytes += versionBytes(kv);
    const isLive = hist.isLive();
    if (isLive !== wasLive && this.restoring === undefined) this.order.liveChanged(hist.skey, isLive ? 1 : -1);
  }

  /** record stores a write. An event's prevKv is the key as of the revision before (etcd's
   *  watch reads it at mod_revision - 1), so a second write of a key in one txn takes the
   *  prevKv of the first, not the first write itself. */
  private record(hist: KeyHistory, kv: KeyValue, prev: KeyValue | undefined): void {
    const s = this.session as Session;
    const replaced = hist.write(kv);
    let eventPrev = prev;
    if (replaced !== undefined) {
      this.bytes -= versionBytes(replaced);
      eventPrev = s.prevs[s.kvs.lastIndexOf(replaced)];
    }
    this.bytes += versionBytes(kv);
    s.kvs.push(kv);
    s.prevs.push(eventPrev);
  }

  private newHistory(skey: string, key: Buffer): KeyHistory {
    const hist = new KeyHistory(skey, this.arena.copy(key));
    this.byKey.set(skey, hist);
    if (this.restoring !== undefined) this.restoring.push(hist);
    else this.order.insert(hist);
    return hist;
  }

  private dropHistory(hist: KeyHistory): void {
    this.byKey.delete(hist.skey);
    this.order.remove(hist.skey);
  }
}

function versionBytes(kv: KeyValue): number {
  return kv.key.length + kv.value.length + VERSION_OVERHEAD_BYTES;
}
