/**
 * A watched object's JSON made from the bytes it was stored as, instead of encoding the decoded
 * object again. Every API server's watch cache decodes each store event (it needs the object for
 * selectors, lists and update guesses) and, until now, then ran JSON.stringify on that same object
 * to send it to its watchers: the stored value (codec.ts) already is that JSON except for
 * metadata.resourceVersion, which decodeObject adds as metadata's last member. So the wire JSON is
 * the stored bytes with `"resourceVersion":"<rev>"` written before metadata's closing brace — the
 * same bytes JSON.stringify would give for a value encodeObject wrote, found by a scan that skips
 * whole values up to metadata's end (a few hundred bytes) and copies once.
 *
 * Pure; strict about its input: anything but compact JSON (what JSON.stringify writes) with an
 * object at the top-level key "metadata" gives undefined, and the caller encodes the object as
 * before. Written last, the resourceVersion wins over any stale one a foreign writer might have
 * left in the stored value, as decodeObject's does.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const METADATA_KEY = Buffer.from('"metadata"', 'latin1');

/** stringEnd: the index just past the JSON string opening at b[i] (a quote), or -1. */
function stringEnd(b: Uint8Array, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    const c = b[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/** containerEnd: the index just past the object or array opening at b[i], or -1. */
function containerEnd(b: Uint8Array, i: number): number {
  let depth = 0;
  for (let j = i; j < b.length; ) {
    const c = b[j];
    if (c === QUOTE) {
      j = stringEnd(b, j);
      if (j < 0) return -1;
      continue;
    }
    if (c === LBRACE || c === LBRACKET) depth++;
    else if ((c === RBRACE || c === RBRACKET) && --depth === 0) return j + 1;
    j++;
  }
  return -1;
}

/** valueEnd: the index just past the JSON value starting at b[i] (compact JSON), or -1. */
function valueEnd(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === QUOTE) return stringEnd(b, i);
  if (c === LBRACE || c === LBRACKET) return containerEnd(b, i);
  // A literal (number, true, false, null) runs to the separator after it.
  let j = i;
  while (j < b.length && b[j] !== COMMA && b[j] !== RBRACE && b[j] !== RBRACKET) j++;
  return j > i ? j : -1;
}

/** metadataSpan: where the top-level "metadata" object's value starts and ends, or undefined. */
function metadataSpan(b: Buffer): { start: number; end: number } | undefined {
  if (b[0] !== LBRACE) return undefined;
  for (let i = 1; i < b.length && b[i] === QUOTE; ) {
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0 || b[keyEnd] !== COLON) return undefined;
    const start = keyEnd + 1;
    const end = valueEnd(b, start);
    if (end < 0) return undefined;
    const isMetadata = keyEnd - i === METADATA_KEY.length &&
      b.compare(METADATA_KEY, 0, METADATA_KEY.length, i, keyEnd) === 0;
    if (isMetadata) return b[start] === LBRACE ? { start, end } : undefined;
    if (b[end] !== COMMA) return undefined;
    i = end + 1;
  }
  return undefined;
}

/**
 * jsonWithRevision is the JSON of the stored value with metadata.resourceVersion = rv as
 * metadata's last member (what JSON.stringify(decodeObject(stored, rev)) gives, rv being
 * String(rev)), or undefined when the value is not compact JSON with a metadata object (see the
 * file comment).
 */
export function jsonWithRevision(stored: Buffer, rv: string): Buffer | undefined {
  const span = metadataSpan(stored);
  if (span === undefined) return undefined;
  const close = span.end - 1;
  const empty = close === span.start + 1;
  const member = Buffer.from(`${empty ? '' : ','}"resourceVersion":${JSON.stringify(rv)}`, 'utf8');
  return Buffer.concat([stored.subarray(0, close), member, stored.subarray(close)]);
}
