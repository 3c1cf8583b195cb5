/**
 * Protobuf wire helpers for the places that lay out a message by hand, sized first and written in
 * place (the Raft log's entries and appends, a Put's proposal, a watch event's field), and for a
 * large bytes field (a snapshot image) appended after the generated encoding of the rest, so the
 * image is copied once instead of through the generated writer. Protobuf accepts fields in any
 * order; the hand-written encoders keep number order so their bytes equal the generated ones.
 * Numbers are safe non-negative integers (lengths, indexes, terms, ids, enum values); anything
 * else is refused rather than written wrong.
 */
import { assert } from './assert.js';

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

/** bytesFieldLen is the size of a length-delimited field of n bytes as writeBytesField writes
 *  it: 0 when empty (omitted, as proto3 omits empty strings and bytes). */
export function bytesFieldLen(n: number): number {
  return n !== 0 ? lenField(n) : 0;
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

/** bytesFieldHeader is the tag and length varints that precede a length-delimited field. */
export function bytesFieldHeader(fieldNumber: number, length: number): Buffer {
  assert(Number.isSafeInteger(fieldNumber) && fieldNumber > 0, `field number ${fieldNumber}`);
  const tag = fieldNumber * 8 + 2;
  const out = Buffer.allocUnsafe(varintBytes(tag) + varintBytes(length));
  writeVarint(out, writeVarint(out, 0, tag), length);
  return out;
}
