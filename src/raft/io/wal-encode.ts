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
import { field, writeField } from '../../base/proto-wire.js';
import { entryBytes, writeEntry } from './proto-fast.js';

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
    return entryBytes(r.entry);
  }
  if (r.kind === 'hard-state') {
    const h = r.hardState;
    return field(h.term) + field(h.vote) + field(h.commit);
  }
  return SNAPSHOT_PAYLOAD_BYTES;
}

function writePayload(out: Buffer, at: number, r: WalRecord): number {
  if (r.kind === 'entry') {
    return writeEntry(out, at, r.entry);
  }
  if (r.kind === 'hard-state') {
    const h = r.hardState;
    at = writeField(out, at, 8, h.term);
    at = writeField(out, at, 16, h.vote);
    return writeField(out, at, 24, h.commit);
  }
  out.writeBigUInt64BE(BigInt(r.index), at);
  out.writeBigUInt64BE(BigInt(r.term), at + 8);
  out[at + 16] = r.reset ? 1 : 0;
  return at + SNAPSHOT_PAYLOAD_BYTES;
}

