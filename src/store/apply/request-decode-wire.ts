/**
 * The protobuf wire reading the hand-written entry decoders share (request-decode.ts,
 * request-decode-txn.ts). Nothing here throws: a reader that meets anything it does not handle
 * exactly like the generated decoder sets `fail`, and the caller falls back to the generated
 * decoder, so odd and invalid entries are decoded (or refused) exactly as before.
 */

/** A cursor over one message's bytes; `fail` is set instead of throwing (then: fall back). */
export interface Cursor {
  buf: Buffer;
  pos: number;
  end: number;
  fail: boolean;
}

const TWO_32 = 2 ** 32;

/** EMPTY stands for an absent bytes field (the generated decoder's Buffer.alloc(0); a
 *  zero-length buffer cannot be written through, so one shared instance is safe). */
export const EMPTY = Buffer.alloc(0);

/** sub is a cursor over the length-delimited field that starts at c.pos; c moves past it. */
export function sub(c: Cursor): Cursor {
  const end = span(c);
  const s: Cursor = { buf: c.buf, pos: c.pos, end, fail: c.fail };
  c.pos = end;
  return s;
}

/** varint reads an unsigned varint below 2^53 (longer ones: fail). */
export function varint(c: Cursor): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 8 && c.pos < c.end; i++) {
    const b = c.buf[c.pos++]!;
    v += (b & 127) * scale;
    if (b < 128) return v;
    scale *= 128;
  }
  c.fail = true;
  return 0;
}

/** small reads a one-byte varint (an enum or a bool as every encoder writes them); a longer
 *  one fails, so the generated reader's 32-bit wrapping never has to be imitated. */
export function small(c: Cursor): number {
  const b = c.pos < c.end ? c.buf[c.pos]! : 128;
  if (b >= 128) {
    c.fail = true;
    return 0;
  }
  c.pos++;
  return b;
}

/** span reads a length prefix and returns where the field ends (fail if past the message). */
export function span(c: Cursor): number {
  const n = varint(c);
  if (c.pos + n > c.end) c.fail = true;
  return c.pos + n;
}

/** bytesField reads a length-delimited field as its own copy, as the generated decoder does:
 *  a stored key or value must not keep the whole entry (or the frame it came in) alive. */
export function bytesField(c: Cursor): Buffer {
  const end = span(c);
  if (c.fail) return EMPTY;
  const out = copyOut(c.buf, c.pos, end);
  c.pos = end;
  return out;
}

/** copyOut copies buf[from, to) into a new buffer. */
export function copyOut(buf: Buffer, from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(to - from);
  buf.copy(out, 0, from, to);
  return out;
}

/** int64 reads a varint as a signed 64-bit bigint, as the generated reader.int64() does. */
export function int64(c: Cursor): bigint {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  for (let i = 0; i < 10 && c.pos < c.end; i++, shift += 7) {
    const b = c.buf[c.pos++]!;
    if (shift < 28) lo += (b & 127) * 2 ** shift;
    else if (shift === 28) {
      lo += (b & 15) * 2 ** 28;
      hi += (b & 127) >> 4;
    } else hi += (b & 127) * 2 ** (shift - 32);
    if (i === 9 && b > 1) break; // Beyond 64 bits: let the generated decoder judge it.
    if (b < 128) return BigInt.asIntN(64, (BigInt(hi % TWO_32) << 32n) | BigInt(lo));
  }
  c.fail = true;
  return 0n;
}
