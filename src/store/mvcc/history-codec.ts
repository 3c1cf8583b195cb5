/**
 * The packed form of the kept history inside a snapshot (StoreSnapshot.history). Why not
 * repeated protobuf messages: 100k keys meant 200k nested messages and 500k bigint varints, and
 * encode + decode took about a second; this layout is sized in one pass, written in a second into
 * a single Buffer, and read back with fixed-width reads — a few times faster, and the restored
 * versions share one bigint per revision like the live ones do.
 *
 * Layout (little-endian):
 *   u32 MAGIC, u32 count of older versions, that many KV, u32 count of revisions, that many REV
 *   REV = f64 revision, u8 hasTrace, [STR traceparent, STR tracestate], u32 count, that many KV
 *   KV  = STR key, STR value, f64 create_revision, f64 mod_revision, f64 version, i64 lease
 *   STR = u32 byte length, bytes
 * A tombstone is a KV with version 0 (as everywhere in the store).
 */
import { assert } from '../../base/assert.js';
import type { TraceContext } from '../../gen/k8ts/store/v1/store.js';
import type { KeyValue } from '../../gen/mvccpb/kv.js';
import { smallBigint } from './small-bigint.js';
import { recordOf, type RevisionRecord, type RevisionSpan } from './revision-log.js';

const MAGIC = 0x6b38_6831; // "k8h1"
/** Writing a version costs one work unit plus one per 2^UNIT_SHIFT bytes of key and value: a
 *  step's budget bounds the bytes it copies, so a state of large values (pods of a few KiB) is
 *  packed in as short turns as one of small values. */
const UNIT_SHIFT = 9;
const KV_FIXED_BYTES = 4 + 4 + 8 + 8 + 8 + 8;

/** PackedHistory is what the codec carries: older kept versions, then revisions in order. */
export interface PackedHistory {
  older: readonly KeyValue[];
  revisions: readonly RevisionRecord[];
}

/** HistorySource is what a packer reads: older kept versions and a span of the revision log. */
export interface HistorySource {
  older: readonly KeyValue[];
  revisions: RevisionSpan;
}

/** HistoryPacker packs a history a slice at a time: step(n) does about n work units and returns
 *  the packed bytes once done. The history must not change meanwhile — a snapshot job captures
 *  the (immutable) version objects and a span of the revision log before packing. `prefix` gives
 *  the bytes that go before the history (given its length), written into the same buffer: the
 *  finished image is never copied again (a 30 MB copy into fresh memory took 100+ ms of one
 *  event-loop turn on this machine). */
export class HistoryPacker {
  private phase: 'size' | 'write' | 'done' = 'size';
  /** Cursor: index into older, then into the span's slots. */
  private olderAt = 0;
  private revAt: number;
  private revCount = 0;
  private countWritten = false;
  private size = 12;
  private w: Writer | undefined;

  constructor(
    private readonly h: HistorySource,
    private readonly prefix: (historyBytes: number) => Buffer = () => EMPTY,
  ) {
    this.revAt = h.revisions.start;
  }

  step(maxUnits: number): Buffer | undefined {
    let budget = maxUnits;
    while (budget > 0 && this.phase !== 'done') {
      budget -= this.phase === 'size' ? this.sizeSome(budget) : this.writeSome(budget);
    }
    return this.phase === 'done' ? this.w!.buf : undefined;
  }

  private sizeSome(budget: number): number {
    const { older, revisions: { slots, end } } = this.h;
    let used = 0;
    for (; this.olderAt < older.length && used < budget; this.olderAt++, used++) {
      const kv = older[this.olderAt]!;
      this.size += KV_FIXED_BYTES + kv.key.length + kv.value.length;
    }
    for (; this.olderAt === older.length && this.revAt < end && used < budget; this.revAt++) {
      const r = recordOf(slots[this.revAt]);
      if (r === undefined) continue;
      this.revCount++;
      this.size += 8 + 1 + 4;
      if (r.trace !== undefined) this.size += 8 + Buffer.byteLength(r.trace.traceparent) + Buffer.byteLength(r.trace.tracestate);
      for (const kv of r.kvs) this.size += KV_FIXED_BYTES + kv.key.length + kv.value.length;
      used += r.kvs.length;
    }
    if (this.olderAt === older.length && this.revAt === end) this.startWriting();
    return Math.max(used, 1);
  }

  private startWriting(): void {
    this.phase = 'write';
    this.olderAt = 0;
    this.revAt = this.h.revisions.start;
    const head = this.prefix(this.size);
    const buf = Buffer.allocUnsafe(head.length + this.size);
    head.copy(buf, 0);
    this.w = new Writer(buf, head.length);
    this.w.u32(MAGIC);
    this.w.u32(this.h.older.length);
  }

  private writeSome(budget: number): number {
    const { older, revisions: { slots, end } } = this.h;
    const w = this.w!;
    let used = 0;
    for (; this.olderAt < older.length && used < budget; this.olderAt++) used += w.kv(older[this.olderAt]!);
    if (this.olderAt < older.length) return Math.max(used, 1);
    if (!this.countWritten) {
      w.u32(this.revCount);
      this.countWritten = true;
    }
    for (; this.revAt < end && used < budget; this.revAt++) {
      const r = recordOf(slots[this.revAt]);
      if (r === undefined) continue;
      w.f64(r.revision);
      w.u8(r.trace === undefined ? 0 : 1);
      if (r.trace !== undefined) {
        w.str(Buffer.from(r.trace.traceparent));
        w.str(Buffer.from(r.trace.tracestate));
      }
      w.u32(r.kvs.length);
      for (const kv of r.kvs) used += w.kv(kv);
    }
    if (this.revAt === end) {
      assert(w.at === w.buf.length, 'packHistory: size mismatch');
      this.phase = 'done';
    }
    return Math.max(used, 1);
  }
}

const EMPTY = Buffer.alloc(0);

export function unpackHistory(buf: Buffer): PackedHistory {
  const r = new Reader(buf);
  assert(r.u32() === MAGIC, 'unpackHistory: not a packed history');
  const older: KeyValue[] = [];
  for (let n = r.u32(); n > 0; n--) older.push(r.kv(-1, 0n));
  const revisions: RevisionRecord[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const revision = r.f64();
    let trace: TraceContext | undefined;
    if (r.u8() === 1) trace = { traceparent: r.str().toString(), tracestate: r.str().toString() };
    const revisionBig = BigInt(revision);
    const kvs: KeyValue[] = new Array(r.u32());
    for (let i = 0; i < kvs.length; i++) kvs[i] = r.kv(revision, revisionBig);
    revisions.push({ revision, kvs, trace });
  }
  assert(r.at === buf.length, 'unpackHistory: trailing bytes');
  return { older, revisions };
}

class Writer {
  constructor(readonly buf: Buffer, public at: number) {}
  u8(v: number): void { this.at = this.buf.writeUInt8(v, this.at); }
  u32(v: number): void { this.at = this.buf.writeUInt32LE(v, this.at); }
  f64(v: number): void { this.at = this.buf.writeDoubleLE(v, this.at); }
  str(b: Buffer): void {
    this.u32(b.length);
    this.at += b.copy(this.buf, this.at);
  }
  /** kv writes one version; returns its work units (see UNIT_BYTES). */
  kv(kv: KeyValue): number {
    this.str(kv.key);
    this.str(kv.value);
    this.f64(Number(kv.createRevision));
    this.f64(Number(kv.modRevision));
    this.f64(Number(kv.version));
    this.at = this.buf.writeBigInt64LE(kv.lease, this.at);
    return 1 + ((kv.key.length + kv.value.length) >> UNIT_SHIFT);
  }
}

class Reader {
  at = 0;
  constructor(readonly buf: Buffer) {}
  u8(): number { return this.buf.readUInt8(this.at++); }
  u32(): number { const v = this.buf.readUInt32LE(this.at); this.at += 4; return v; }
  f64(): number { const v = this.buf.readDoubleLE(this.at); this.at += 8; return v; }
  /** str copies the bytes out, so no stored version pins the whole image. */
  str(): Buffer {
    const n = this.u32();
    assert(this.at + n <= this.buf.length, 'unpackHistory: truncated');
    const out = Buffer.from(this.buf.subarray(this.at, this.at + n));
    this.at += n;
    return out;
  }
  /** kv reads one version; one written at `revision` shares that revision's bigint. */
  kv(revision: number, revisionBig: bigint): KeyValue {
    const key = this.str();
    const value = this.str();
    const create = this.f64();
    const mod = this.f64();
    const version = this.f64();
    const leaseLo = this.buf.readUInt32LE(this.at);
    const leaseHi = this.buf.readInt32LE(this.at + 4);
    const lease = leaseLo === 0 && leaseHi === 0 ? 0n : this.buf.readBigInt64LE(this.at);
    this.at += 8;
    const modRevision = mod === revision ? revisionBig : BigInt(mod);
    return {
      key,
      createRevision: create === mod ? modRevision : create === 0 ? 0n : BigInt(create),
      modRevision,
      version: smallBigint(version),
      value,
      lease,
    };
  }
}
