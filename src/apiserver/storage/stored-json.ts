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

/** metadataStart: where the top-level "metadata" member's value starts (compact JSON up to
 *  there), or undefined. */
function metadataStart(b: Buffer): number | undefined {
  if (b[0] !== LBRACE) return undefined;
  for (let i = 1; i < b.length && b[i] === QUOTE; ) {
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0 || b[keyEnd] !== COLON) return undefined;
    const start = keyEnd + 1;
    const isMetadata = keyEnd - i === METADATA_KEY.length &&
      b.compare(METADATA_KEY, 0, METADATA_KEY.length, i, keyEnd) === 0;
    if (isMetadata) return start;
    const end = valueEnd(b, start);
    if (end < 0 || b[end] !== COMMA) return undefined;
    i = end + 1;
  }
  return undefined;
}

/** metadataSpan: where the top-level "metadata" object's value starts and ends, or undefined. */
function metadataSpan(b: Buffer): { start: number; end: number } | undefined {
  const start = metadataStart(b);
  if (start === undefined || b[start] !== LBRACE) return undefined;
  const end = valueEnd(b, start);
  return end < 0 ? undefined : { start, end };
}

const MANAGED_FIELDS_KEY = Buffer.from('"managedFields"', 'latin1');
const METADATA_MEMBER = Buffer.from('"metadata":', 'latin1');

/** ManagedFieldsSpan: the value of metadata.managedFields in a stored value. */
export interface ManagedFieldsSpan {
  /** b[valueStart] opens the value, b[valueEnd - 1] closes it. */
  valueStart: number;
  valueEnd: number;
  /** b[keyStart] opens the member's key; undefined when the key repeats (the member that
   *  JSON.parse keeps is then not one run of bytes). */
  keyStart: number | undefined;
}

/** What managedFieldsSpan's walk of a stored value found: the span, and where metadata ends
 *  (which spares jsonWithRevision its own scan of the same bytes). */
interface Walk {
  span: ManagedFieldsSpan | undefined;
  metadataEnd: number | undefined;
}

/** Each stored value's walk, once: the watch cache's decode walks it, a lean watcher's JSON
 *  (jsonWithRevisionWithoutManagedFields) and every watcher's (jsonWithRevision) reuse it. */
const walks = new WeakMap<Buffer, Walk>();

/**
 * managedFieldsSpan walks the top-level metadata object of a compact stored value member by
 * member and finds the value of its managedFields (the last one when the key repeats: JSON.parse
 * keeps the first one's place and the last one's value), or undefined: no managedFields, a
 * metadata key written with an escape (it could spell managedFields), a second top-level
 * "metadata" possibly after it (JSON.parse would keep that one's value), non-compact JSON. Where
 * metadata ends is remembered for jsonWithRevision, whose own scan would walk the same bytes.
 */
export function managedFieldsSpan(b: Buffer): ManagedFieldsSpan | undefined {
  return walkOf(b).span;
}

function walkOf(b: Buffer): Walk {
  let w = walks.get(b);
  if (w === undefined) {
    w = walkMetadata(b);
    walks.set(b, w);
  }
  return w;
}

const NOTHING: Walk = { span: undefined, metadataEnd: undefined };

function walkMetadata(b: Buffer): Walk {
  const start = metadataStart(b);
  if (start === undefined || b[start] !== LBRACE) return NOTHING;
  let found: ManagedFieldsSpan | undefined;
  for (let i = start + 1; b[i] === QUOTE; ) {
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0 || b[keyEnd] !== COLON) return NOTHING;
    for (let j = i + 1; j < keyEnd - 1; j++) if (b[j] === BACKSLASH) return NOTHING;
    const end = valueEnd(b, keyEnd + 1);
    if (end < 0) return NOTHING;
    const isManagedFields = keyEnd - i === MANAGED_FIELDS_KEY.length &&
      b.compare(MANAGED_FIELDS_KEY, 0, MANAGED_FIELDS_KEY.length, i, keyEnd) === 0;
    if (isManagedFields) {
      found = { valueStart: keyEnd + 1, valueEnd: end, keyStart: found === undefined ? i : undefined };
    }
    if (b[end] === COMMA) {
      i = end + 1;
      continue;
    }
    if (b[end] !== RBRACE) return NOTHING;
    const span = found !== undefined && b.indexOf(METADATA_MEMBER, end) < 0 ? found : undefined;
    return { span, metadataEnd: end + 1 };
  }
  return NOTHING;
}

/**
 * jsonWithRevision is the JSON of the stored value with metadata.resourceVersion = rv as
 * metadata's last member (what JSON.stringify(decodeObject(stored, rev)) gives, rv being
 * String(rev)), or undefined when the value is not compact JSON with a metadata object (see the
 * file comment).
 */
export function jsonWithRevision(stored: Buffer, rv: string): Buffer | undefined {
  const known = walks.get(stored)?.metadataEnd;
  const end = known ?? metadataSpan(stored)?.end;
  if (end === undefined) return undefined;
  const close = end - 1;
  const empty = stored[close - 1] === LBRACE;
  const member = `${empty ? '' : ','}"resourceVersion":${JSON.stringify(rv)}`;
  const memberBytes = Buffer.byteLength(member, 'utf8');
  // One buffer of the exact size, the stored bytes copied once around the member.
  const out = Buffer.allocUnsafe(stored.length + memberBytes);
  stored.copy(out, 0, 0, close);
  out.write(member, close, 'utf8');
  stored.copy(out, close + memberBytes, close);
  return out;
}

/**
 * jsonWithRevisionWithoutManagedFields is jsonWithRevision(stored, rv) with metadata's
 * managedFields member left out: JSON.stringify of the decoded object once its metadata lost
 * that key (what a watcher that asked for no managedFields gets). The stored bytes are copied
 * once around the member, which is cut with the comma that separated it from a neighbour.
 * Undefined when managedFieldsSpan does not lay the value out (no managedFields, a repeated key,
 * non-compact JSON): the caller encodes the object.
 */
export function jsonWithRevisionWithoutManagedFields(stored: Buffer, rv: string): Buffer | undefined {
  const { span, metadataEnd: end } = walkOf(stored);
  if (span?.keyStart === undefined || end === undefined) return undefined;
  const close = end - 1;
  // The member and one comma: the one before it, or (as metadata's first member) the one after.
  const first = stored[span.keyStart - 1] !== COMMA;
  const cutStart = first ? span.keyStart : span.keyStart - 1;
  const cutEnd = first && stored[span.valueEnd] === COMMA ? span.valueEnd + 1 : span.valueEnd;
  const before = cutEnd === close ? stored[cutStart - 1] : stored[close - 1];
  const member = `${before === LBRACE ? '' : ','}"resourceVersion":${JSON.stringify(rv)}`;
  const memberBytes = Buffer.byteLength(member, 'utf8');
  const out = Buffer.allocUnsafe(stored.length - (cutEnd - cutStart) + memberBytes);
  let at = stored.copy(out, 0, 0, cutStart);
  at += stored.copy(out, at, cutEnd, close);
  at += out.write(member, at, 'utf8');
  stored.copy(out, at, close);
  return out;
}
