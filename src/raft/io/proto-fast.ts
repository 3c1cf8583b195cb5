/**
 * Hand-written protobuf encoding of the Raft messages every put crosses on every member: entries
 * into the WAL (wal-encode.ts) and entries inside the leader's appends (replicate-codec.ts). The
 * generated codecs convert each uint64 through a BigInt and build nested messages in a growing
 * writer that is copied out; here each message is sized first and written in place.
 *
 * The bytes are exactly what the generated encoders produce (proto3: zero values omitted, fields
 * in number order, 1-byte tags), so the generated decoders read them and the tests compare the
 * two encodings byte for byte. The field helpers are base/proto-wire.ts's.
 */
import { bytesFieldLen, field, writeBytesField, writeField } from '../../base/proto-wire.js';
import type { Entry } from '../core/types.js';

/** entryBytes is the size of an encoded Entry (term 1, index 2, type 3, data 4). */
export function entryBytes(e: Entry): number {
  return field(e.term) + field(e.index) + field(e.type) + bytesFieldLen(e.data.length);
}

/** writeEntry writes an Entry as the generated encoder does; returns the next offset. */
export function writeEntry(out: Buffer, at: number, e: Entry): number {
  at = writeField(out, at, 8, e.term);
  at = writeField(out, at, 16, e.index);
  at = writeField(out, at, 24, e.type);
  return writeBytesField(out, at, 34, e.data);
}
