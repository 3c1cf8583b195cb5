/**
 * The key space a watcher covers, in etcd's three forms: one key (empty range_end), the keys in
 * [key, range_end) (a prefix is a range whose end is the prefix with its last byte + 1), and
 * every key >= key (range_end "\x00"). An empty key means "\x00", the smallest key, as in etcd's
 * v3rpc watch server, so key "" with range_end "\x00" watches everything.
 *
 * Keys are compared as latin1 strings (one char per byte), whose `<` is etcd's bytewise order;
 * the store's own index keys its entries the same way.
 */

/** KeyRange is a normalized watch range. `end` undefined = one key; `fromKey` = no upper end. */
export interface KeyRange {
  readonly key: string;
  readonly end: string | undefined;
  readonly fromKey: boolean;
}

/** EMPTY_RANGE_REASON is etcd's text for a range with key >= range_end (mvcc
 *  ErrEmptyWatcherRange), sent as the cancel_reason of the refused create. */
export const EMPTY_RANGE_REASON = 'mvcc: watcher range is empty';

/** skeyOf is a key's latin1 string form. */
export function skeyOf(key: Buffer): string {
  return key.toString('latin1');
}

/** keyRangeOf normalizes a create request's key and range_end, or returns undefined when the
 *  range is empty (key >= range_end), which etcd refuses. */
export function keyRangeOf(key: Buffer, rangeEnd: Buffer): KeyRange | undefined {
  const k = key.length === 0 ? '\x00' : skeyOf(key);
  if (rangeEnd.length === 0) return { key: k, end: undefined, fromKey: false };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { key: k, end: undefined, fromKey: true };
  const end = skeyOf(rangeEnd);
  if (!(k < end)) return undefined;
  return { key: k, end, fromKey: false };
}

/** isSingleKey says whether the range is exactly one key (indexed by key in the hub). */
export function isSingleKey(r: KeyRange): boolean {
  return r.end === undefined && !r.fromKey;
}

/** inRange says whether skey lies in r. */
export function inRange(r: KeyRange, skey: string): boolean {
  if (r.fromKey) return skey >= r.key;
  if (r.end === undefined) return skey === r.key;
  return skey >= r.key && skey < r.end;
}
