/**
 * Transactions: If(compares) Then(ops) Else(ops), atomically at one revision. kube-apiserver's
 * optimistic concurrency is exactly this (reference/etcd-api.md §2.3, §3): create is
 * If(modRevision(k) = 0) Then(put), update is If(modRevision(k) = rv) Then(put) Else(get).
 *
 *   client.txn().if(compare.modRevision(k, '=', 0)).success(op.put(k, v)).failure(op.get(k)).commit()
 *
 * The branches are named after the proto's fields (success, failure), not then/else: a builder
 * with a `then` method is a thenable, and `await builder` would silently call it.
 */
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  type Compare as PbCompare,
  type RequestOp,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { unreachable } from '../../base/assert.js';
import { rangeEndFor, toBuffer, type Bytes, type RangeSpec } from './bytes.js';
import {
  deleteRequest,
  deleteResult,
  getResult,
  header,
  putRequest,
  putResult,
  rangeRequest,
  type DeleteOptions,
  type DeleteResult,
  type GetOptions,
  type GetResult,
  type Header,
  type PutOptions,
  type PutResult,
} from './kv.js';

export type CompareOp = '=' | '!=' | '>' | '<';

/** Compare is one condition of a txn (opaque; build it with `compare`). */
export interface Compare {
  readonly pb: PbCompare;
}

/** Op is one operation of a txn branch (opaque; build it with `op`). */
export interface Op {
  readonly pb: RequestOp;
  /** Reads only (a txn of read-only ops is idempotent and may be retried). */
  readonly readOnly: boolean;
}

const RESULT: Record<CompareOp, Compare_CompareResult> = {
  '=': Compare_CompareResult.EQUAL,
  '!=': Compare_CompareResult.NOT_EQUAL,
  '>': Compare_CompareResult.GREATER,
  '<': Compare_CompareResult.LESS,
};

function cmp(key: Bytes, op: CompareOp, target: Compare_CompareTarget, union: PbCompare['targetUnion'], range: RangeSpec): Compare {
  return { pb: { result: RESULT[op], target, key: toBuffer(key), targetUnion: union, rangeEnd: rangeEndFor(key, range) } };
}

/** compare builds txn conditions. A missing key has version, createRevision and modRevision 0.
 *  `range` applies the comparison to every key in a range (prefix/rangeEnd/fromKey). */
export const compare = {
  value: (key: Bytes, op: CompareOp, value: Bytes, range: RangeSpec = {}): Compare =>
    cmp(key, op, Compare_CompareTarget.VALUE, { $case: 'value', value: toBuffer(value) }, range),
  version: (key: Bytes, op: CompareOp, version: number, range: RangeSpec = {}): Compare =>
    cmp(key, op, Compare_CompareTarget.VERSION, { $case: 'version', value: BigInt(version) }, range),
  createRevision: (key: Bytes, op: CompareOp, rev: number, range: RangeSpec = {}): Compare =>
    cmp(key, op, Compare_CompareTarget.CREATE, { $case: 'createRevision', value: BigInt(rev) }, range),
  modRevision: (key: Bytes, op: CompareOp, rev: number, range: RangeSpec = {}): Compare =>
    cmp(key, op, Compare_CompareTarget.MOD, { $case: 'modRevision', value: BigInt(rev) }, range),
  lease: (key: Bytes, op: CompareOp, lease: bigint, range: RangeSpec = {}): Compare =>
    cmp(key, op, Compare_CompareTarget.LEASE, { $case: 'lease', value: lease }, range),
};

/** op builds txn operations, including nested txns. */
export const op = {
  get: (key: Bytes, o: GetOptions = {}): Op => ({
    pb: { request: { $case: 'requestRange', value: rangeRequest(key, o) } },
    readOnly: true,
  }),
  put: (key: Bytes, value: Bytes, o: Omit<PutOptions, 'traceparent'> = {}): Op => ({
    pb: { request: { $case: 'requestPut', value: putRequest(key, value, o) } },
    readOnly: false,
  }),
  delete: (key: Bytes, o: Omit<DeleteOptions, 'traceparent'> = {}): Op => ({
    pb: { request: { $case: 'requestDeleteRange', value: deleteRequest(key, o) } },
    readOnly: false,
  }),
  txn: (compares: readonly Compare[], success: readonly Op[], failure: readonly Op[] = []): Op => ({
    pb: { request: { $case: 'requestTxn', value: txnRequest(compares, success, failure) } },
    readOnly: [...success, ...failure].every((o) => o.readOnly),
  }),
};

export function txnRequest(compares: readonly Compare[], success: readonly Op[], failure: readonly Op[]): TxnRequest {
  return { compare: compares.map((c) => c.pb), success: success.map((o) => o.pb), failure: failure.map((o) => o.pb) };
}

/** OpResult is the response of one op, tagged by kind. Nested headers carry only revision. */
export type OpResult =
  | ({ type: 'get' } & GetResult)
  | ({ type: 'put' } & PutResult)
  | ({ type: 'delete' } & DeleteResult)
  | ({ type: 'txn' } & TxnResult);

export interface TxnResult {
  header: Header;
  /** The store revision after the txn (unchanged if the executed branch only read). */
  revision: number;
  /** Whether every compare held (the success branch ran) or not (the failure branch ran). */
  succeeded: boolean;
  responses: OpResult[];
}

export function txnResult(r: TxnResponse): TxnResult {
  const h = header(r.header);
  return { header: h, revision: h.revision, succeeded: r.succeeded, responses: r.responses.map(opResult) };
}

function opResult(r: ResponseOp): OpResult {
  const resp = r.response;
  switch (resp?.$case) {
    case 'responseRange':
      return { type: 'get', ...getResult(resp.value) };
    case 'responsePut':
      return { type: 'put', ...putResult(resp.value) };
    case 'responseDeleteRange':
      return { type: 'delete', ...deleteResult(resp.value) };
    case 'responseTxn':
      return { type: 'txn', ...txnResult(resp.value) };
    case undefined:
      throw new TypeError('txn: a response op without a response');
    default:
      return unreachable(resp);
  }
}

/** TxnBuilder collects a txn; the client supplies `send`. Each part may be set once. */
export class TxnBuilder {
  private compares: Compare[] = [];
  private successOps: Op[] = [];
  private failureOps: Op[] = [];
  private used = { if: false, success: false, failure: false };

  constructor(private readonly send: (req: TxnRequest, readOnly: boolean, o: { traceparent?: string }) => Promise<TxnResult>) {}

  if(...compares: Compare[]): this {
    this.once('if');
    this.compares = compares;
    return this;
  }

  success(...ops: Op[]): this {
    this.once('success');
    this.successOps = ops;
    return this;
  }

  failure(...ops: Op[]): this {
    this.once('failure');
    this.failureOps = ops;
    return this;
  }

  /** commit sends the txn. A txn whose branches only read is retried like a read. */
  commit(o: { traceparent?: string } = {}): Promise<TxnResult> {
    const readOnly = [...this.successOps, ...this.failureOps].every((x) => x.readOnly);
    return this.send(txnRequest(this.compares, this.successOps, this.failureOps), readOnly, o);
  }

  private once(part: 'if' | 'success' | 'failure'): void {
    if (this.used[part]) throw new TypeError(`txn: ${part}() given twice`);
    this.used[part] = true;
  }
}
