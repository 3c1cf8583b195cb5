/**
 * validateRequest is what the server checks before proposing (etcd 3.4's v3rpc checks in key.go):
 * everything that can be judged from the request alone. What needs the state — an unknown lease,
 * a missing key for ignore_value, a compacted revision — is judged by apply. Pure; throws
 * EtcdError with etcd's texts.
 */
import type {
  DeleteRangeRequest,
  LeaseGrantRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../../gen/etcdserverpb/rpc.js';
import type { StoreRequest } from '../../gen/k8ts/store/v1/store.js';
import { ETCD_LIMITS, etcdErrors } from '../errors.js';

/** ValidatedOp is a StoreRequest op, or a Range (reads are checked but never proposed). */
export type ValidatedOp = NonNullable<StoreRequest['op']> | { $case: 'range'; value: RangeRequest };

export interface ValidateLimits {
  /** The most compares, success ops or failure ops one txn may have (etcd --max-txn-ops). */
  maxTxnOps: number;
}

const DEFAULT_LIMITS: ValidateLimits = { maxTxnOps: ETCD_LIMITS.maxTxnOps };

/** validateRequest throws the EtcdError etcd would answer for a malformed request. */
export function validateRequest(op: ValidatedOp, limits: ValidateLimits = DEFAULT_LIMITS): void {
  switch (op.$case) {
    case 'range':
      return validateRange(op.value);
    case 'put':
      return validatePut(op.value);
    case 'deleteRange':
      return validateDeleteRange(op.value);
    case 'txn':
      return validateTxn(op.value, limits.maxTxnOps);
    case 'leaseGrant':
      return validateLeaseGrant(op.value);
    default:
      return;
  }
}

export function validateRange(req: RangeRequest): void {
  if (req.key.length === 0) throw etcdErrors.emptyKey();
}

export function validatePut(req: PutRequest): void {
  if (req.key.length === 0) throw etcdErrors.emptyKey();
  if (req.ignoreValue && req.value.length !== 0) throw etcdErrors.valueProvided();
  if (req.ignoreLease && req.lease !== 0n) throw etcdErrors.leaseProvided();
}

export function validateDeleteRange(req: DeleteRangeRequest): void {
  if (req.key.length === 0) throw etcdErrors.emptyKey();
}

export function validateLeaseGrant(req: LeaseGrantRequest): void {
  if (req.TTL > BigInt(ETCD_LIMITS.maxLeaseTTL)) throw etcdErrors.leaseTTLTooLarge();
}

/** validateTxn: sizes and ops (a nested txn gets what its parent's own size leaves of the
 *  budget, as etcd's checkTxnRequest does), then duplicate keys per branch. */
export function validateTxn(txn: TxnRequest, maxTxnOps: number): void {
  checkTxnShape(txn, maxTxnOps);
  if (!cannotDuplicate(txn.success)) checkIntervals(txn.success);
  if (!cannotDuplicate(txn.failure)) checkIntervals(txn.failure);
}

/** cannotDuplicate: a branch of reads and at most one put has no duplicate key to find — the
 *  API server's every create and update (put, or get on failure). Every member validates every
 *  entry it applies, and checkIntervals' sets and strings were the largest TurboFan compile of a
 *  follower's apply path (~55 ms per member in a cold 100-pod burst, --trace-opt); with this
 *  test first it is not even called for those. */
function cannotDuplicate(ops: readonly RequestOp[]): boolean {
  let puts = 0;
  for (const op of ops) {
    const c = op.request?.$case;
    if (c === 'requestPut') puts++;
    else if (c !== 'requestRange') return false;
  }
  return puts <= 1;
}

function checkTxnShape(txn: TxnRequest, maxTxnOps: number): void {
  const opc = Math.max(txn.compare.length, txn.success.length, txn.failure.length);
  if (opc > maxTxnOps) throw etcdErrors.tooManyOps();
  for (const c of txn.compare) if (c.key.length === 0) throw etcdErrors.emptyKey();
  for (const op of txn.success) checkRequestOp(op, maxTxnOps - opc);
  for (const op of txn.failure) checkRequestOp(op, maxTxnOps - opc);
}

function checkRequestOp(op: RequestOp, maxTxnOps: number): void {
  const r = op.request;
  switch (r?.$case) {
    case 'requestRange':
      return validateRange(r.value);
    case 'requestPut':
      return validatePut(r.value);
    case 'requestDeleteRange':
      return validateDeleteRange(r.value);
    case 'requestTxn':
      return checkTxnShape(r.value, maxTxnOps);
    default:
      // An empty op: etcd answers "key not found" for it.
      throw etcdErrors.keyNotFound();
  }
}

/** Interval is a deleted range [start, end) of latin1 keys (end = start + "\0" for one key). */
interface Interval {
  start: string;
  end: string;
}

/** checkIntervals follows etcd's checkIntervals: within one branch, a key put twice, or put
 *  inside a range deleted in the same branch or a nested one, is a duplicate; a key put in both
 *  branches of one nested txn is fine (only one runs). Like etcd, a delete with range_end "\0"
 *  (from key to the end) is the interval [key, "\0"), which contains no key: etcd does not flag
 *  puts under it, so neither do we. Returns the branch's puts and deletes. */
function checkIntervals(ops: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    if (op.request?.$case !== 'requestDeleteRange') continue;
    const d = op.request.value;
    const start = d.key.toString('latin1');
    dels.push({ start, end: d.rangeEnd.length === 0 ? `${start}\0` : d.rangeEnd.toString('latin1') });
  }
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.request?.$case !== 'requestTxn') continue;
    const then = checkIntervals(op.request.value.success);
    const other = checkIntervals(op.request.value.failure);
    for (const k of then.puts) addPut(puts, dels, k);
    for (const k of other.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw etcdErrors.duplicateKey();
      if (inAny(dels, k)) throw etcdErrors.duplicateKey();
      puts.add(k);
    }
    dels.push(...then.dels, ...other.dels);
  }
  for (const op of ops) {
    if (op.request?.$case !== 'requestPut') continue;
    addPut(puts, dels, op.request.value.key.toString('latin1'));
  }
  return { puts, dels };
}

function addPut(puts: Set<string>, dels: readonly Interval[], k: string): void {
  if (puts.has(k) || inAny(dels, k)) throw etcdErrors.duplicateKey();
  puts.add(k);
}

function inAny(dels: readonly Interval[], k: string): boolean {
  return dels.some((d) => d.start <= k && k < d.end);
}

/** minLeaseTTLSeconds is etcd's shortest lease: ceil(1.5 × election timeout), at least 1 s; a
 *  grant asking for less gets this (the lessor's business, src/store/server). */
export function minLeaseTTLSeconds(electionTimeoutMs: number): number {
  return Math.max(1, Math.ceil((1.5 * electionTimeoutMs) / 1000));
}
