/**
 * Hand-written protobuf encoding of the Raft messages every put crosses on every member: entries
 * into the WAL (wal-encode.ts) and entries inside the leader's appends (replicate-codec.ts). The
 * generated codecs convert each uint64 through a BigInt and build nested messages in a growing
 * writer that is copied out; here each message is sized first and written in place.
 *
 * The bytes are exactly what the generated encoders produce (proto3: zero values omitted, fields
 * in number order, 1-byte tags), so the generated decoders read them and the tests compare the
 * two encodings byte for byte. Numbers are the log's: safe non-negative integers (indexes, terms,
 * ids, lengths, enum values); anything else is refused rather than written wrong.
 */
import { assert } from '../../base/assert.js';
import type { Entry } from '../core/types.js';

/** varintBytes is the length of v as a protobuf varint. */
export function varintBytes(v: number): number {
  assert(Number.isSafeInteger(v) && v >= 0, `protobuf: not a u53: ${v}`);
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** writeVarint writes v as a protobuf varint; returns the next offset. Division, not shifts:
 *  JavaScript's bitwise operators work on 32 bits and indexes may go beyond. */
export function writeVarint(out: Buffer, at: number, v: number): number {
  while (v >= 128) {
    out[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}

/** field is the size of a varint field with a 1-byte tag (0 when v is 0: omitted). */
export function field(v: number): number {
  return v !== 0 ? 1 + varintBytes(v) : 0;
}

/** writeField writes a varint field with a 1-byte tag, nothing when v is 0. */
export function writeField(out: Buffer, at: number, tag: number, v: number): number {
  if (v === 0) return at;
  out[at] = tag;
  return writeVarint(out, at + 1, v);
}

/** lenField is the size of a length-delimited field of n bytes with a 1-byte tag. */
export function lenField(n: number): number {
  return 1 + varintBytes(n) + n;
}

/** writeBytesField writes a length-delimited field (tag, length, bytes), nothing when empty. */
export function writeBytesField(out: Buffer, at: number, tag: number, data: Uint8Array): number {
  if (data.length === 0) return at;
  at = writeLen(out, at, tag, data.length);
  out.set(data, at);
  return at + data.length;
}

/** writeLen writes a length-delimited field's tag and length; the n bytes follow. */
export function writeLen(out: Buffer, at: number, tag: number, n: number): number {
  out[at] = tag;
  return writeVarint(out, at + 1, n);
}

/** entryBytes is the size of an encoded Entry (term 1, index 2, type 3, data 4). */
export function entryBytes(e: Entry): number {
  const data = e.data.length;
  return field(e.term) + field(e.index) + field(e.type) + (data !== 0 ? lenField(data) : 0);
}

/** writeEntry writes an Entry as the generated encoder does; returns the next offset. */
export function writeEntry(out: Buffer, at: number, e: Entry): number {
  at = writeField(out, at, 8, e.term);
  at = writeField(out, at, 16, e.index);
  at = writeField(out, at, 24, e.type);
  return writeBytesField(out, at, 34, e.data);
}
