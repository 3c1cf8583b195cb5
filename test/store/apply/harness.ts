/**
 * A thin driver for MvccState in tests: request builders with etcd's defaults and an index
 * counter, so a test reads like the etcd documentation sentence it checks.
 */
import { assert } from '../../../src/base/assert.js';
import {
  AlarmRequest_AlarmAction,
  AlarmType,
  Compare_CompareResult,
  Compare_CompareTarget,
  type Compare,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type TxnRequest,
  type TxnResponse,
} from '../../../src/gen/etcdserverpb/rpc.js';
import type { StoreRequest, TraceContext } from '../../../src/gen/k8ts/store/v1/store.js';
import { MvccState } from '../../../src/store/apply/state.js';
import type { EtcdError } from '../../../src/store/errors.js';
import type { ApplyOutcome, RevisionEvents } from '../../../src/store/types.js';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');

export function putReq(key: string, value: string, extra: Partial<PutRequest> = {}): PutRequest {
  return { key: b(key), value: b(value), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false, ...extra };
}

export function delReq(key: string, rangeEnd = '', prevKv = false): DeleteRangeRequest {
  return { key: b(key), rangeEnd: b(rangeEnd), prevKv };
}

export function rangeReq(key: string, rangeEnd = '', extra: Partial<RangeRequest> = {}): RangeRequest {
  return {
    key: b(key), rangeEnd: b(rangeEnd), limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0,
    serializable: false, keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n,
    minCreateRevision: 0n, maxCreateRevision: 0n, ...extra,
  };
}

export type Target = 'version' | 'createRevision' | 'modRevision' | 'value' | 'lease';
const TARGETS: Record<Target, Compare_CompareTarget> = {
  version: Compare_CompareTarget.VERSION,
  createRevision: Compare_CompareTarget.CREATE,
  modRevision: Compare_CompareTarget.MOD,
  value: Compare_CompareTarget.VALUE,
  lease: Compare_CompareTarget.LEASE,
};
export type Result = '=' | '>' | '<' | '!=';
const RESULTS: Record<Result, Compare_CompareResult> = {
  '=': Compare_CompareResult.EQUAL,
  '>': Compare_CompareResult.GREATER,
  '<': Compare_CompareResult.LESS,
  '!=': Compare_CompareResult.NOT_EQUAL,
};

export function cmp(key: string, target: Target, result: Result, operand: bigint | string, rangeEnd = ''): Compare {
  const targetUnion = target === 'value'
    ? { $case: 'value' as const, value: b(operand as string) }
    : ({ $case: target, value: operand as bigint } as Compare['targetUnion']);
  return { key: b(key), target: TARGETS[target], result: RESULTS[result], targetUnion, rangeEnd: b(rangeEnd) };
}

export const op = {
  put: (key: string, value: string, extra: Partial<PutRequest> = {}): RequestOp =>
    ({ request: { $case: 'requestPut', value: putReq(key, value, extra) } }),
  del: (key: string, rangeEnd = '', prevKv = false): RequestOp =>
    ({ request: { $case: 'requestDeleteRange', value: delReq(key, rangeEnd, prevKv) } }),
  range: (key: string, rangeEnd = '', extra: Partial<RangeRequest> = {}): RequestOp =>
    ({ request: { $case: 'requestRange', value: rangeReq(key, rangeEnd, extra) } }),
  txn: (t: TxnRequest): RequestOp => ({ request: { $case: 'requestTxn', value: t } }),
};

export function txnReq(compare: Compare[], success: RequestOp[], failure: RequestOp[] = []): TxnRequest {
  return { compare, success, failure };
}

/** Harness applies requests at the next index after the state's applied index and records every published revision. */
export class Harness {
  readonly state: MvccState;
  readonly published: RevisionEvents[] = [];

  constructor(state = new MvccState()) {
    this.state = state;
    this.state.onRevision = (ev) => this.published.push(ev);
  }

  apply(opx: NonNullable<StoreRequest['op']>, trace?: TraceContext): ApplyOutcome {
    return this.state.apply(this.state.appliedIndex() + 1, { op: opx, trace });
  }

  put(key: string, value: string, extra: Partial<PutRequest> = {}, trace?: TraceContext): PutResponse {
    return ok(this.apply({ $case: 'put', value: putReq(key, value, extra) }, trace)) as PutResponse;
  }

  del(key: string, rangeEnd = '', prevKv = false): DeleteRangeResponse {
    return ok(this.apply({ $case: 'deleteRange', value: delReq(key, rangeEnd, prevKv) })) as DeleteRangeResponse;
  }

  txn(t: TxnRequest): TxnResponse {
    return ok(this.apply({ $case: 'txn', value: t })) as TxnResponse;
  }

  get(key: string, rangeEnd = '', extra: Partial<RangeRequest> = {}): RangeResponse {
    return this.state.range(rangeReq(key, rangeEnd, extra));
  }

  compact(rev: number): ApplyOutcome {
    return this.apply({ $case: 'compaction', value: { revision: BigInt(rev), physical: false } });
  }

  grant(id: bigint, ttl = 10n): ApplyOutcome {
    return this.apply({ $case: 'leaseGrant', value: { ID: id, TTL: ttl } });
  }

  revoke(id: bigint): ApplyOutcome {
    return this.apply({ $case: 'leaseRevoke', value: { ID: id } });
  }

  alarm(action: 'activate' | 'deactivate' | 'get', alarm = AlarmType.NOSPACE, memberID = 1n): ApplyOutcome {
    const a = { activate: AlarmRequest_AlarmAction.ACTIVATE, deactivate: AlarmRequest_AlarmAction.DEACTIVATE, get: AlarmRequest_AlarmAction.GET }[action];
    return this.apply({ $case: 'alarm', value: { action: a, memberID, alarm } });
  }
}

export function ok(outcome: ApplyOutcome): { header?: { revision: bigint } | undefined } {
  if ('error' in outcome) throw new Error(`unexpected error: ${outcome.error.message}`);
  return outcome.response;
}

export function err(outcome: ApplyOutcome): EtcdError {
  assert('error' in outcome, 'expected an error outcome');
  return outcome.error;
}

/** keys lists a range response's keys as strings. */
export function keys(resp: RangeResponse): string[] {
  return resp.kvs.map((kv) => kv.key.toString('latin1'));
}
