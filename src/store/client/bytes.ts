/**
 * Keys and values as the client accepts them (string or Buffer) and the range arithmetic etcd's
 * clients agree on: a prefix [p, p+1) ends at p with its last byte incremented (with carry), and
 * the single byte "\x00" as range_end means "every key from key on" (reference/etcd-api.md §1).
 */

/** Bytes is what the client accepts wherever etcd takes bytes; strings are UTF-8. */
export type Bytes = string | Buffer;

/** FROM_KEY is etcd's range_end for "all keys ≥ key" (and the prefix end of an all-0xff key). */
export const FROM_KEY: Buffer = Buffer.from([0]);

/** toBuffer encodes a key or value for the wire; Buffers pass through unchanged (no copy). */
export function toBuffer(b: Bytes): Buffer {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
}

/**
 * prefixEnd returns the smallest key greater than every key starting with `prefix`: the prefix
 * with trailing 0xff bytes dropped and the last remaining byte incremented. A prefix of only
 * 0xff bytes (or the empty prefix) has no such key, so the range runs to the end ("\x00").
 */
export function prefixEnd(prefix: Bytes): Buffer {
  const p = toBuffer(prefix);
  for (let i = p.length - 1; i >= 0; i--) {
    const b = p[i]!;
    if (b < 0xff) {
      const end = Buffer.from(p.subarray(0, i + 1));
      end[i] = b + 1;
      return end;
    }
  }
  return Buffer.from(FROM_KEY);
}

/** RangeSpec names a key range the way the client's options do. */
export interface RangeSpec {
  prefix?: boolean | undefined;
  rangeEnd?: Bytes | undefined;
  fromKey?: boolean | undefined;
}

/** rangeEndFor resolves the options to the wire range_end (empty = the single key). At most one
 *  of prefix, rangeEnd and fromKey may be given: two would be ambiguous, so that is a bug. */
export function rangeEndFor(key: Bytes, spec: RangeSpec): Buffer {
  const given = [spec.prefix === true, spec.rangeEnd !== undefined, spec.fromKey === true];
  if (given.filter(Boolean).length > 1) {
    throw new TypeError('give at most one of prefix, rangeEnd and fromKey');
  }
  if (spec.prefix === true) return prefixEnd(key);
  if (spec.fromKey === true) return Buffer.from(FROM_KEY);
  if (spec.rangeEnd !== undefined) return toBuffer(spec.rangeEnd);
  return Buffer.alloc(0);
}
