/**
 * Txn as etcd 3.4 applies it: every compare — the outer ones and those of nested txns on the
 * chosen path — is judged on the state before the txn writes anything (etcd's compareToPath);
 * then every op on the chosen path is checked (leases, ignore_* keys, read revisions); only then
 * do the ops run, in order, each read seeing the writes before it. All writes share one revision;
 * a txn that wrote nothing costs none.
 */
import {
  Compare_CompareResult as CompareResult,
  Compare_CompareTarget as CompareTarget,
  type Compare,
  type RequestOp,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
} from '../../gen/etcdserverpb/rpc.js';
import type { KeyValue } from '../../gen/mvccpb/kv.js';
import { unreachable } from '../../base/assert.js';
import type { EtcdError } from '../errors.js';
import { keyInterval, liveAt } from '../mvcc/range.js';
import type { MvccStore } from '../mvcc/mvcc-store.js';
import {
  checkPut,
  checkRangeRevision,
  deleteRangeOp,
  header,
  putOp,
  rangeOp,
  type KvContext,
} from './kv-ops.js';

/** TxnPlan is the path through a txn: which branch runs, and the plans of the nested txns in
 *  that branch, in order. */
export interface TxnPlan {
  succeeded: boolean;
  nested: TxnPlan[];
}

/** planTxn judges the compares on the current state (before any write). */
export function planTxn(store: MvccStore, txn: TxnRequest): TxnPlan {
  const succeeded = txn.compare.every((c) => compareHolds(store, c));
  const nested: TxnPlan[] = [];
  for (const op of branch(txn, succeeded)) {
    if (op.request?.$case === 'requestTxn') nested.push(planTxn(store, op.request.value));
  }
  return { succeeded, nested };
}

/** checkTxn returns the first error any op on the planned path would fail with. */
export function checkTxn(ctx: KvContext, txn: TxnRequest, plan: TxnPlan): EtcdError | undefined {
  let n = 0;
  for (const op of branch(txn, plan.succeeded)) {
    const r = op.request;
    let err: EtcdError | undefined;
    if (r?.$case === 'requestPut') err = checkPut(ctx, r.value);
    else if (r?.$case === 'requestRange') err = checkRangeRevision(ctx.store, r.value.revision);
    else if (r?.$case === 'requestTxn') err = checkTxn(ctx, r.value, plan.nested[n++] as TxnPlan);
    if (err !== undefined) return err;
  }
  return undefined;
}

/** runTxn executes the planned path (checked; inside a write session when it writes). Nested
 *  txn responses carry an empty header, as etcd's do; the caller sets the outer revision. */
export function runTxn(ctx: KvContext, txn: TxnRequest, plan: TxnPlan): TxnResponse {
  const responses: ResponseOp[] = [];
  let n = 0;
  for (const op of branch(txn, plan.succeeded)) {
    const r = op.request;
    if (r === undefined) continue;
    switch (r.$case) {
      case 'requestRange':
        responses.push({ response: { $case: 'responseRange', value: rangeOp(ctx, r.value) } });
        break;
      case 'requestPut':
        responses.push({ response: { $case: 'responsePut', value: putOp(ctx, r.value) } });
        break;
      case 'requestDeleteRange':
        responses.push({ response: { $case: 'responseDeleteRange', value: deleteRangeOp(ctx, r.value) } });
        break;
      case 'requestTxn': {
        const nested = runTxn(ctx, r.value, plan.nested[n++] as TxnPlan);
        responses.push({ response: { $case: 'responseTxn', value: nested } });
        break;
      }
      default:
        unreachable(r);
    }
  }
  return { header: header(0), succeeded: plan.succeeded, responses };
}

/** txnWrites says whether any branch (nested too) holds a write: etcd opens a write txn then,
 *  and refuses it under NOSPACE when it holds a put (txnPuts). */
export function txnWrites(txn: TxnRequest, kinds: 'puts' | 'writes'): boolean {
  return opsWrite(txn.success, kinds) || opsWrite(txn.failure, kinds);
}

function opsWrite(ops: readonly RequestOp[], kinds: 'puts' | 'writes'): boolean {
  for (const op of ops) {
    const r = op.request;
    if (r?.$case === 'requestPut') return true;
    if (r?.$case === 'requestDeleteRange' && kinds === 'writes') return true;
    if (r?.$case === 'requestTxn' && txnWrites(r.value, kinds)) return true;
  }
  return false;
}

function branch(txn: TxnRequest, succeeded: boolean): RequestOp[] {
  return succeeded ? txn.success : txn.failure;
}

/** compareHolds: with range_end every key in the range must satisfy the compare; no key at all
 *  compares as a missing key (version, create and mod revision 0, lease 0) — except on VALUE,
 *  which a missing key never satisfies (etcd's applyCompare). */
export function compareHolds(store: MvccStore, c: Compare): boolean {
  const kvs = liveAt(store, keyInterval(c.key, c.rangeEnd), store.viewRevision());
  if (kvs.length === 0) return c.target === CompareTarget.VALUE ? false : compareKv(c, undefined);
  return kvs.every((kv) => compareKv(c, kv));
}

function compareKv(c: Compare, kv: KeyValue | undefined): boolean {
  const result = compareTarget(c, kv);
  switch (c.result) {
    case CompareResult.EQUAL:
      return result === 0;
    case CompareResult.NOT_EQUAL:
      return result !== 0;
    case CompareResult.GREATER:
      return result > 0;
    case CompareResult.LESS:
      return result < 0;
    default:
      return true;
  }
}

/** compareTarget is sign(kv's field − the compare's operand); a missing operand is 0/empty. */
function compareTarget(c: Compare, kv: KeyValue | undefined): number {
  const u = c.targetUnion;
  const big = (x: bigint, y: bigint): number => (x < y ? -1 : x > y ? 1 : 0);
  switch (c.target) {
    case CompareTarget.VALUE:
      return Buffer.compare(kv?.value ?? EMPTY, u?.$case === 'value' ? u.value : EMPTY);
    case CompareTarget.VERSION:
      return big(kv?.version ?? 0n, u?.$case === 'version' ? u.value : 0n);
    case CompareTarget.CREATE:
      return big(kv?.createRevision ?? 0n, u?.$case === 'createRevision' ? u.value : 0n);
    case CompareTarget.MOD:
      return big(kv?.modRevision ?? 0n, u?.$case === 'modRevision' ? u.value : 0n);
    case CompareTarget.LEASE:
      return big(kv?.lease ?? 0n, u?.$case === 'lease' ? u.value : 0n);
    default:
      return 0;
  }
}

const EMPTY = Buffer.alloc(0);
