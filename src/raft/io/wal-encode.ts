/**
 * encodeRecords frames a batch of WAL records into ONE buffer: every Ready's save is one append,
 * and the member pays for it on the leader and on every follower for each entry. The generated
 * codecs cost a growing writer, a copy out of it, a copy into the frame and a copy into the
 * batch per record, and a BigInt per uint64 field; here each record is sized first, then written
 * in place (header, payload, CRC) into a buffer allocated once.
 *
 * The payloads are the exact bytes the generated codecs produce (proto3: zero fields omitted,
 * fields in number order, varints), so readers decode them with the generated decoders and old
 * and new logs mix freely; test/raft/io/wal-encode.test.ts pins that equality.
 *
 * Record: [len u32 BE][crc32 u32 BE][type u8][payload], crc over type+payload (see wal.ts).
 */
import * as zlib from 'node:zlib';
import { assert } from '../../base/assert.js';
import type { Entry, HardState } from '../core/types.js';

/** The records a WAL holds (wal.ts re-exports this as WalRecord). */
export type WalRecord =
  | { kind: 'entry'; entry: Entry }
  | { kind: 'hard-state'; hardState: HardState }
  | { kind: 'snapshot'; index: number; term: number; reset: boolean };

export const HEADER_BYTES = 9;
export const TYPE_ENTRY = 1;
export const TYPE_HARD_STATE = 2;
export const TYPE_SNAPSHOT = 3;
/** Snapshot marker payload: index u64 BE, term u64 BE, reset u8. */
const SNAPSHOT_PAYLOAD_BYTES = 17;

/** encodeRecords frames records back to back into one buffer (see the module doc). */
export function encodeRecords(records: readonly WalRecord[], recordBytesMax: number): Buffer {
  let total = 0;
  const sizes = new Array<number>(records.length);
  for (let i = 0; i < records.length; i++) {
    const n = payloadBytes(records[i]!);
    assert(n <= recordBytesMax, `WAL record of ${n} bytes is too large`);
    sizes[i] = n;
    total += HEADER_BYTES + n;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const n = sizes[i]!;
    out.writeUInt32BE(n, at);
    out[at + 8] = recordType(r);
    const end = writePayload(out, at + HEADER_BYTES, r);
    assert(end === at + HEADER_BYTES + n, 'WAL record size mismatch');
    out.writeUInt32BE(zlib.crc32(out.subarray(at + 8, end)), at + 4);
    at = end;
  }
  return out;
}

function recordType(r: WalRecord): number {
  if (r.kind === 'entry') return TYPE_ENTRY;
  return r.kind === 'hard-state' ? TYPE_HARD_STATE : TYPE_SNAPSHOT;
}

function payloadBytes(r: WalRecord): number {
  if (r.kind === 'entry') {
    const e = r.entry;
    const data = e.data.length;
    return field(e.term) + field(e.index) + (e.type !== 0 ? 1 + varintBytes(e.type) : 0) +
      (data !== 0 ? 1 + varintBytes(data) + data : 0);
  }
  if (r.kind === 'hard-state') {
    const h = r.hardState;
    return field(h.term) + field(h.vote) + field(h.commit);
  }
  return SNAPSHOT_PAYLOAD_BYTES;
}

/** field is the size of a non-repeated uint64 field with a 1-byte tag (0 when omitted). */
function field(v: number): number {
  return v !== 0 ? 1 + varintBytes(v) : 0;
}

function writePayload(out: Buffer, at: number, r: WalRecord): number {
  if (r.kind === 'entry') {
    const e = r.entry;
    if (e.term !== 0) at = writeVarint(out, writeTag(out, at, 8), e.term);
    if (e.index !== 0) at = writeVarint(out, writeTag(out, at, 16), e.index);
    if (e.type !== 0) at = writeVarint(out, writeTag(out, at, 24), e.type);
    if (e.data.length !== 0) {
      at = writeVarint(out, writeTag(out, at, 34), e.data.length);
      out.set(e.data, at);
      at += e.data.length;
    }
    return at;
  }
  if (r.kind === 'hard-state') {
    const h = r.hardState;
    if (h.term !== 0) at = writeVarint(out, writeTag(out, at, 8), h.term);
    if (h.vote !== 0) at = writeVarint(out, writeTag(out, at, 16), h.vote);
    if (h.commit !== 0) at = writeVarint(out, writeTag(out, at, 24), h.commit);
    return at;
  }
  out.writeBigUInt64BE(BigInt(r.index), at);
  out.writeBigUInt64BE(BigInt(r.term), at + 8);
  out[at + 16] = r.reset ? 1 : 0;
  return at + SNAPSHOT_PAYLOAD_BYTES;
}

function writeTag(out: Buffer, at: number, tag: number): number {
  out[at] = tag;
  return at + 1;
}

/** varintBytes is the length of v as a protobuf varint; v is a safe non-negative integer (the
 *  log's numbers: indexes, terms, ids, lengths, enum values). */
function varintBytes(v: number): number {
  assert(Number.isSafeInteger(v) && v >= 0, `WAL: not a u53: ${v}`);
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** writeVarint writes v (see varintBytes) as a protobuf varint; returns the next offset. Division,
 *  not shifts: JavaScript's bitwise operators work on 32 bits and indexes go beyond. */
function writeVarint(out: Buffer, at: number, v: number): number {
  while (v >= 128) {
    out[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}
