/**
 * Protobuf wire helpers for the few places that lay out a message by hand: a large bytes field
 * (a snapshot image) is appended after the generated encoding of the rest, so the image is
 * copied once instead of through the generated writer. Protobuf accepts fields in any order.
 */
import { assert } from './assert.js';

/** bytesFieldHeader is the tag and length varints that precede a length-delimited field. */
export function bytesFieldHeader(field: number, length: number): Buffer {
  assert(Number.isSafeInteger(field) && field > 0, `field number ${field}`);
  const out: number[] = [];
  varint(out, field * 8 + 2);
  varint(out, length);
  return Buffer.from(out);
}

function varint(out: number[], value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, `varint ${value}`);
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}
