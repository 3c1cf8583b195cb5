/**
 * KV requests and results in the API server's terms: revisions as numbers (they stay far below
 * 2^53), lease ids as bigint, keys and values as Buffers. Pure builders and mappers; the client
 * sends them.
 */
import {
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type ResponseHeader,
} from '../../gen/etcdserverpb/rpc.js';
import type { KeyValue as PbKeyValue } from '../../gen/mvccpb/kv.js';
import { assert } from '../../base/assert.js';
import { rangeEndFor, toBuffer, type Bytes, type RangeSpec } from './bytes.js';

/** Header is a response header: which cluster and member answered, at which revision. */
export interface Header {
  clusterId: bigint;
  memberId: bigint;
  /** The store revision when the request was applied (kube-apiserver's list resourceVersion). */
  revision: number;
  raftTerm: number;
}

/** KeyValue is one version of a key. modRevision is kube-apiserver's resourceVersion. */
export interface KeyValue {
  key: Buffer;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  /** Writes since creation: 1 on create, reset by delete. */
  version: number;
  /** 0n when no lease is attached. */
  lease: bigint;
}

export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';
export type SortOrder = 'none' | 'ascend' | 'descend';

export interface GetOptions extends RangeSpec {
  /** Read at this past revision (0/undefined = now); compacted or future revisions throw. */
  revision?: number;
  /** At most this many keys (0/undefined = no limit); `more` says whether there were more. */
  limit?: number;
  keysOnly?: boolean;
  countOnly?: boolean;
  /** Serve from the member's local state (may be stale, works without a leader). */
  serializable?: boolean;
  sort?: { target: SortTarget; order: SortOrder };
}

export interface GetResult {
  header: Header;
  /** header.revision, for convenience: the list's resourceVersion. */
  revision: number;
  kvs: KeyValue[];
  more: boolean;
  /** Keys in the whole range (ignores limit). */
  count: number;
}

export interface WriteOptions {
  /** W3C trace context of the request, sent as gRPC metadata (etcd ignores it). */
  traceparent?: string;
}

export interface PutOptions extends WriteOptions {
  lease?: bigint;
  prevKv?: boolean;
}

export interface PutResult {
  header: Header;
  revision: number;
  prevKv?: KeyValue | undefined;
}

export interface DeleteOptions extends WriteOptions, RangeSpec {
  prevKv?: boolean;
}

export interface DeleteResult {
  header: Header;
  revision: number;
  deleted: number;
  prevKvs: KeyValue[];
}

const SORT_TARGET: Record<SortTarget, RangeRequest_SortTarget> = {
  key: RangeRequest_SortTarget.KEY,
  version: RangeRequest_SortTarget.VERSION,
  create: RangeRequest_SortTarget.CREATE,
  mod: RangeRequest_SortTarget.MOD,
  value: RangeRequest_SortTarget.VALUE,
};
const SORT_ORDER: Record<SortOrder, RangeRequest_SortOrder> = {
  none: RangeRequest_SortOrder.NONE,
  ascend: RangeRequest_SortOrder.ASCEND,
  descend: RangeRequest_SortOrder.DESCEND,
};

/** num converts a wire int64 that the API treats as a number; beyond 2^53 is a broken store. */
export function num(v: bigint): number {
  assert(v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER), `int64 ${v} out of range`);
  return Number(v);
}

function nonNegative(what: string, v: number | undefined): bigint {
  if (v === undefined) return 0n;
  assert(Number.isSafeInteger(v) && v >= 0, `${what} must be a non-negative integer, got ${v}`);
  return BigInt(v);
}

export function rangeRequest(key: Bytes, o: GetOptions = {}): RangeRequest {
  return {
    key: toBuffer(key),
    rangeEnd: rangeEndFor(key, o),
    limit: nonNegative('limit', o.limit),
    revision: nonNegative('revision', o.revision),
    sortOrder: SORT_ORDER[o.sort?.order ?? 'none'],
    sortTarget: SORT_TARGET[o.sort?.target ?? 'key'],
    serializable: o.serializable === true,
    keysOnly: o.keysOnly === true,
    countOnly: o.countOnly === true,
    minModRevision: 0n,
    maxModRevision: 0n,
    minCreateRevision: 0n,
    maxCreateRevision: 0n,
  };
}

export function putRequest(key: Bytes, value: Bytes, o: PutOptions = {}): PutRequest {
  return {
    key: toBuffer(key),
    value: toBuffer(value),
    lease: o.lease ?? 0n,
    prevKv: o.prevKv === true,
    ignoreValue: false,
    ignoreLease: false,
  };
}

export function deleteRequest(key: Bytes, o: DeleteOptions = {}): DeleteRangeRequest {
  return { key: toBuffer(key), rangeEnd: rangeEndFor(key, o), prevKv: o.prevKv === true };
}

export function header(h: ResponseHeader | undefined): Header {
  return {
    clusterId: h?.clusterId ?? 0n,
    memberId: h?.memberId ?? 0n,
    revision: num(h?.revision ?? 0n),
    raftTerm: num(h?.raftTerm ?? 0n),
  };
}

export function keyValue(kv: PbKeyValue): KeyValue {
  return {
    key: kv.key,
    value: kv.value,
    createRevision: num(kv.createRevision),
    modRevision: num(kv.modRevision),
    version: num(kv.version),
    lease: kv.lease,
  };
}

export function getResult(r: RangeResponse): GetResult {
  const h = header(r.header);
  return { header: h, revision: h.revision, kvs: r.kvs.map(keyValue), more: r.more, count: num(r.count) };
}

export function putResult(r: PutResponse): PutResult {
  const h = header(r.header);
  return { header: h, revision: h.revision, prevKv: r.prevKv ? keyValue(r.prevKv) : undefined };
}

export function deleteResult(r: DeleteRangeResponse): DeleteResult {
  const h = header(r.header);
  return { header: h, revision: h.revision, deleted: num(r.deleted), prevKvs: r.prevKvs.map(keyValue) };
}
