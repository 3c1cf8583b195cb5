/**
 * rangeAt answers a RangeRequest at one revision, as etcd 3.4's apply layer does on top of its
 * mvcc range: `count` is every key in [key, range_end) at that revision (limit and the
 * min/max revision filters do not change it); limit, filters and sorting apply to the kvs; `more`
 * says the limit cut something off. The returned KeyValues are the stored objects themselves
 * (keys_only is the one case that copies, to drop the value).
 */
import { assert } from '../../base/assert.js';
import {
  RangeRequest_SortOrder as SortOrder,
  RangeRequest_SortTarget as SortTarget,
  type RangeRequest,
  type RangeResponse,
} from '../../gen/etcdserverpb/rpc.js';
import type { KeyValue } from '../../gen/mvccpb/kv.js';
import type { MvccStore } from './mvcc-store.js';

const EMPTY = Buffer.alloc(0);

/** KeyInterval is [start, end) over latin1 keys; end undefined = no upper bound; single = one key. */
export interface KeyInterval {
  start: string;
  end: string | undefined;
  single: boolean;
}

/** keyInterval reads etcd's key/range_end convention: empty range_end = the key alone,
 *  "\x00" = every key >= key. */
export function keyInterval(key: Buffer, rangeEnd: Buffer): KeyInterval {
  const start = key.toString('latin1');
  if (rangeEnd.length === 0) return { start, end: undefined, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: undefined, single: false };
  return { start, end: rangeEnd.toString('latin1'), single: false };
}

/** liveAt lists the keys' versions visible at rev inside the interval (every one; for compares
 *  and deletes). */
export function liveAt(store: MvccStore, iv: KeyInterval, rev: number): KeyValue[] {
  const out: KeyValue[] = [];
  if (iv.single) {
    const kv = store.history(iv.start)?.at(rev);
    if (kv !== undefined) out.push(kv);
    return out;
  }
  store.order.scan(iv.start, iv.end, (hist) => {
    const kv = hist.at(rev);
    if (kv !== undefined) out.push(kv);
    return true;
  });
  return out;
}

/** rangeAt serves req at revision `rev` (already checked against compaction and the future);
 *  the header carries `headerRev`. */
export function rangeAt(store: MvccStore, req: RangeRequest, rev: number, headerRev: number): RangeResponse {
  assert(rev >= 1 && rev <= store.viewRevision(), 'rangeAt: revision out of range');
  const iv = keyInterval(req.key, req.rangeEnd);
  const limit = req.limit > 0n ? Number(req.limit) : 0;
  const filtered = req.minModRevision !== 0n || req.maxModRevision !== 0n ||
    req.minCreateRevision !== 0n || req.maxCreateRevision !== 0n;
  const fetchAll = req.sortOrder !== SortOrder.NONE || filtered;
  const atHead = rev >= store.headRevision() && !iv.single;
  let kvs: KeyValue[];
  let count: number;
  if (req.countOnly && atHead) {
    kvs = [];
    count = store.order.countLive(iv.start, iv.end);
  } else if (atHead && limit > 0 && !fetchAll) {
    kvs = headsUpTo(store, iv, limit + 1);
    count = store.order.countLive(iv.start, iv.end);
  } else {
    kvs = liveAt(store, iv, rev);
    count = kvs.length;
    if (req.countOnly) kvs = [];
    // etcd's mvcc range stops at limit + 1 keys (in key order) unless the request itself asks
    // for a sort order or a filter — even when a non-KEY target sorts the result afterwards.
    else if (limit > 0 && !fetchAll) kvs = kvs.slice(0, limit + 1);
  }
  if (filtered) kvs = kvs.filter((kv) => passesFilters(req, kv));
  kvs = sortKvs(kvs, req.sortOrder, req.sortTarget);
  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
  return {
    header: { clusterId: 0n, memberId: 0n, revision: BigInt(headerRev), raftTerm: 0n },
    kvs,
    more,
    count: BigInt(count),
  };
}

function headsUpTo(store: MvccStore, iv: KeyInterval, max: number): KeyValue[] {
  const out: KeyValue[] = [];
  store.order.scan(iv.start, iv.end, (hist) => {
    const kv = hist.head();
    if (kv !== undefined) out.push(kv);
    return out.length < max;
  });
  return out;
}

function passesFilters(req: RangeRequest, kv: KeyValue): boolean {
  if (req.maxModRevision !== 0n && kv.modRevision > req.maxModRevision) return false;
  if (req.minModRevision !== 0n && kv.modRevision < req.minModRevision) return false;
  if (req.maxCreateRevision !== 0n && kv.createRevision > req.maxCreateRevision) return false;
  if (req.minCreateRevision !== 0n && kv.createRevision < req.minCreateRevision) return false;
  return true;
}

/** sortKvs applies etcd's sort rules: a non-KEY target with order NONE sorts ascending; KEY
 *  ascending is the natural order. Ties keep key order (the sort is stable). */
function sortKvs(kvs: KeyValue[], order: SortOrder, target: SortTarget): KeyValue[] {
  let effective = order;
  if (target !== SortTarget.KEY && effective === SortOrder.NONE) effective = SortOrder.ASCEND;
  if (effective === SortOrder.NONE || kvs.length < 2) return kvs;
  if (target === SortTarget.KEY) return effective === SortOrder.ASCEND ? kvs : kvs.slice().reverse();
  const sign = effective === SortOrder.DESCEND ? -1 : 1;
  const cmp = comparator(target);
  return kvs.slice().sort((a, b) => sign * cmp(a, b));
}

function comparator(target: SortTarget): (a: KeyValue, b: KeyValue) => number {
  const big = (x: bigint, y: bigint): number => (x < y ? -1 : x > y ? 1 : 0);
  switch (target) {
    case SortTarget.VERSION:
      return (a, b) => big(a.version, b.version);
    case SortTarget.CREATE:
      return (a, b) => big(a.createRevision, b.createRevision);
    case SortTarget.MOD:
      return (a, b) => big(a.modRevision, b.modRevision);
    case SortTarget.VALUE:
      return (a, b) => Buffer.compare(a.value, b.value);
    default:
      return () => 0;
  }
}
