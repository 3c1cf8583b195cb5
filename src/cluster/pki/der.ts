/**
 * A small DER (ITU-T X.690 Distinguished Encoding Rules) encoder and reader: just enough ASN.1
 * to build X.509 certificates and to read back the two fields of an existing CA certificate that
 * signing needs (its raw subject and its key identifier). DER, not BER: Go's crypto/x509 (kubectl,
 * etcd) parses with cryptobyte and refuses non-minimal lengths, unsorted SETs and padded
 * integers, so every encoder here emits the single canonical form.
 *
 * Pure: bytes in, bytes out. Single-byte tags only (X.509 needs no tag numbers above 30).
 */
import { assert } from '../../base/assert.js';

/** Tag holds the universal and constructed tags X.509 uses. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** tlv encodes one element: tag, minimal definite length, content. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  assert(Number.isInteger(tag) && tag >= 0 && tag <= 0xff && (tag & 0x1f) !== 0x1f,
    `der: unsupported tag ${tag}`);
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

function encodeLength(n: number): Buffer {
  assert(Number.isSafeInteger(n) && n >= 0, `der: bad length ${n}`);
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** sequence encodes SEQUENCE { items... } in the given order. */
export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(Tag.SEQUENCE, Buffer.concat(items));
}

/** setOf encodes SET OF; DER demands the elements sorted by their encodings. */
export function setOf(...items: Buffer[]): Buffer {
  return tlv(Tag.SET, Buffer.concat([...items].sort(Buffer.compare)));
}

/** unsignedInteger encodes big-endian magnitude bytes as a non-negative INTEGER, minimally:
 *  leading zeros stripped, one 0x00 added when the top bit would otherwise read as a sign. */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const body = Buffer.from(magnitude.subarray(i));
  const content = body.length === 0 ? Buffer.from([0]) : body;
  const padded = (content[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), content]) : content;
  return tlv(Tag.INTEGER, padded);
}

/** smallInteger encodes a non-negative safe integer (versions, path lengths). */
export function smallInteger(n: number): Buffer {
  assert(Number.isSafeInteger(n) && n >= 0, `der: bad small integer ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return unsignedInteger(Buffer.from(bytes));
}

/** boolean encodes BOOLEAN; DER's TRUE is 0xff. */
export function boolean(b: boolean): Buffer {
  return tlv(Tag.BOOLEAN, Buffer.from([b ? 0xff : 0x00]));
}

/** nullValue encodes NULL. */
export function nullValue(): Buffer {
  return tlv(Tag.NULL, Buffer.alloc(0));
}

/** oid encodes an OBJECT IDENTIFIER from dotted form ("2.5.4.3"). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((s) => {
    assert(/^\d+$/.test(s), `der: bad OID ${dotted}`);
    return Number(s);
  });
  const [a, b, ...rest] = arcs;
  assert(a !== undefined && b !== undefined && a <= 2 && (a === 2 || b < 40),
    `der: bad OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    assert(Number.isSafeInteger(arc), `der: OID arc too large in ${dotted}`);
    const chunk = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      chunk.unshift(0x80 | v % 128);
    }
    out.push(...chunk);
  }
  return tlv(Tag.OID, Buffer.from(out));
}

/** utf8String encodes UTF8String (names: "system:masters" is not a PrintableString). */
export function utf8String(s: string): Buffer {
  return tlv(Tag.UTF8_STRING, Buffer.from(s, 'utf8'));
}

/** ia5String encodes IA5String (ASCII; DNS names in subjectAltName). */
export function ia5String(s: string): Buffer {
  assert([...s].every((c) => c.charCodeAt(0) < 0x80), `der: not ASCII: ${JSON.stringify(s)}`);
  return tlv(Tag.IA5_STRING, Buffer.from(s, 'latin1'));
}

/** octetString encodes OCTET STRING. */
export function octetString(b: Uint8Array): Buffer {
  return tlv(Tag.OCTET_STRING, b);
}

/** bitString encodes BIT STRING from whole bytes (keys, signatures: no unused bits). */
export function bitString(b: Uint8Array): Buffer {
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([0]), b]));
}

/** namedBits encodes a BIT STRING of named bits (keyUsage): bit 0 is the most significant bit
 *  of the first byte, and DER drops trailing zero bits, counting them as unused. */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return tlv(Tag.BIT_STRING, Buffer.from([0]));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) {
    assert(Number.isInteger(bit) && bit >= 0, `der: bad bit ${bit}`);
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  }
  const unused = 7 - (highest & 7);
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** time encodes a validity time as RFC 5280 §4.1.2.5 demands: UTCTime (YYMMDDHHMMSSZ) for years
 *  1950–2049, GeneralizedTime (YYYYMMDDHHMMSSZ) otherwise; whole seconds, always UTC. */
export function time(ms: number): Buffer {
  const d = new Date(ms);
  assert(!Number.isNaN(d.getTime()), `der: bad time ${ms}`);
  const year = d.getUTCFullYear();
  assert(year >= 0 && year <= 9999, `der: year ${year} out of range`);
  const two = (n: number): string => String(n).padStart(2, '0');
  const rest = two(d.getUTCMonth() + 1) + two(d.getUTCDate()) + two(d.getUTCHours()) +
    two(d.getUTCMinutes()) + two(d.getUTCSeconds()) + 'Z';
  if (year >= 1950 && year < 2050) return tlv(Tag.UTC_TIME, Buffer.from(two(year % 100) + rest));
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(String(year).padStart(4, '0') + rest));
}

/** explicit wraps an element in a constructed context tag [n] (EXPLICIT tagging). */
export function explicit(n: number, element: Buffer): Buffer {
  assert(n >= 0 && n < 31, `der: bad context tag ${n}`);
  return tlv(0xa0 | n, element);
}

/** implicitPrimitive encodes content under a primitive context tag [n] (IMPLICIT tagging of a
 *  primitive type, as GeneralName's dNSName [2] and iPAddress [7] are). */
export function implicitPrimitive(n: number, content: Uint8Array): Buffer {
  assert(n >= 0 && n < 31, `der: bad context tag ${n}`);
  return tlv(0x80 | n, content);
}

/** DerElement is one parsed element: its tag, its content and its whole encoding. */
export interface DerElement {
  tag: number;
  content: Buffer;
  raw: Buffer;
}

/** readElement parses the element at offset; it throws on truncated or non-minimal input. */
export function readElement(buf: Buffer, offset = 0): { element: DerElement; next: number } {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('der: truncated element');
  if ((tag & 0x1f) === 0x1f) throw new Error('der: multi-byte tags are not supported');
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error('der: unsupported length encoding');
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = buf[offset + 2 + i];
      if (b === undefined) throw new Error('der: truncated length');
      length = length * 256 + b;
    }
    if (length < 0x80) throw new Error('der: non-minimal length');
    header += count;
  }
  const end = offset + header + length;
  if (end > buf.length) throw new Error('der: truncated content');
  const content = buf.subarray(offset + header, end);
  return { element: { tag, content, raw: buf.subarray(offset, end) }, next: end };
}

/** children parses the content of a constructed element into its elements. */
export function children(el: DerElement): DerElement[] {
  if ((el.tag & 0x20) === 0) {
    throw new Error(`der: tag 0x${el.tag.toString(16)} is not constructed`);
  }
  const out: DerElement[] = [];
  for (let at = 0; at < el.content.length;) {
    const { element, next } = readElement(el.content, at);
    out.push(element);
    at = next;
  }
  return out;
}

/** decodeOid turns OBJECT IDENTIFIER content back into dotted form. */
export function decodeOid(content: Buffer): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    }
  }
  const [first, ...rest] = arcs;
  if (first === undefined) throw new Error('der: empty OID');
  const a = Math.min(2, Math.floor(first / 40));
  return [a, first - 40 * a, ...rest].join('.');
}
