/**
 * The three key-value operations as apply runs them, alone or inside a txn: check first (what
 * only the state can judge: unknown lease, missing key for ignore_value/ignore_lease, compacted
 * or future read revision), then run inside a write session without any failure path, so an
 * error always leaves the state untouched.
 */
import { assert } from '../../base/assert.js';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
} from '../../gen/etcdserverpb/rpc.js';
import type { KeyValue } from '../../gen/mvccpb/kv.js';
import { etcdErrors, type EtcdError } from '../errors.js';
import type { KeyHistory } from '../mvcc/key-history.js';
import type { MvccStore } from '../mvcc/mvcc-store.js';
import { keyInterval, rangeAt } from '../mvcc/range.js';
import type { LeaseTable } from './leases.js';

/** KvContext is what the operations act on. */
export interface KvContext {
  readonly store: MvccStore;
  readonly leases: LeaseTable;
}

/** header is a response header with only the revision set (the server fills the rest). */
export function header(revision: number | bigint): ResponseHeader {
  const rev = typeof revision === 'bigint' ? revision : BigInt(revision);
  return { clusterId: 0n, memberId: 0n, revision: rev, raftTerm: 0n };
}

/** checkPut returns the error a put would fail with, judged on the current state. */
export function checkPut(ctx: KvContext, req: PutRequest): EtcdError | undefined {
  if (req.lease !== 0n && !ctx.leases.has(req.lease)) return etcdErrors.leaseNotFound();
  if (req.ignoreValue || req.ignoreLease) {
    if (ctx.store.history(req.key.toString('latin1'))?.head() === undefined) return etcdErrors.keyNotFound();
  }
  return undefined;
}

/** checkRangeRevision returns the error a read at req.revision fails with: below the compaction
 *  revision is gone (exactly at it is still readable), above the current one does not exist. */
export function checkRangeRevision(store: MvccStore, revision: bigint): EtcdError | undefined {
  if (revision > BigInt(store.revision())) return etcdErrors.futureRevision();
  if (revision > 0n && revision < BigInt(store.compactRevision())) return etcdErrors.compacted();
  return undefined;
}

/** range serves a read inside a txn (or alone): it sees the session's writes. */
export function rangeOp(ctx: KvContext, req: RangeRequest): RangeResponse {
  const view = ctx.store.viewRevision();
  const rev = req.revision > 0n ? Number(req.revision) : view;
  return rangeAt(ctx.store, req, rev, view);
}

/** putOp writes one key (inside a session; checkPut passed). */
export function putOp(ctx: KvContext, req: PutRequest): PutResponse {
  const hist = ctx.store.historyFor(req.key.toString('latin1'), req.key);
  const old = hist.head();
  assert(!(req.ignoreValue || req.ignoreLease) || old !== undefined, 'putOp: unchecked ignore_*');
  const value = req.ignoreValue ? (old as KeyValue).value : req.value;
  const lease = req.ignoreLease ? (old as KeyValue).lease : req.lease;
  const { kv, prev } = ctx.store.put(hist, value, lease);
  if (prev?.lease !== lease) {
    if (prev !== undefined) ctx.leases.detach(prev.lease, hist.skey);
    ctx.leases.attach(lease, hist.skey);
  }
  return { header: header(kv.modRevision), prevKv: req.prevKv ? prev : undefined };
}

/** deleteRangeOp deletes every existing key in the range (inside a session). */
export function deleteRangeOp(ctx: KvContext, req: DeleteRangeRequest): DeleteRangeResponse {
  const victims = existingKeys(ctx.store, req.key, req.rangeEnd);
  const prevKvs: KeyValue[] = [];
  for (const hist of victims) {
    const { prev } = ctx.store.tombstone(hist);
    ctx.leases.detach((prev as KeyValue).lease, hist.skey);
    if (req.prevKv) prevKvs.push(prev as KeyValue);
  }
  return {
    header: header(ctx.store.viewRevision()),
    deleted: BigInt(victims.length),
    prevKvs,
  };
}

/** existingKeys lists the histories of keys that exist now in [key, rangeEnd). */
export function existingKeys(store: MvccStore, key: Buffer, rangeEnd: Buffer): KeyHistory[] {
  const iv = keyInterval(key, rangeEnd);
  if (iv.single) {
    const hist = store.history(iv.start);
    return hist?.isLive() ? [hist] : [];
  }
  const out: KeyHistory[] = [];
  store.order.scan(iv.start, iv.end, (hist) => {
    if (hist.isLive()) out.push(hist);
    return true;
  });
  return out;
}
