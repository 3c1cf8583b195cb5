/**
 * k8ts's etcd v3 client: `new EtcdClient({ endpoints })` works against real etcd and against the
 * k8ts store alike. See client.ts for the failover and retry rules.
 */
export { EtcdClient, MAX_WATCHES } from './client.js';
export type { EtcdClientOptions, LeaseGrantResult, LeaseTimeToLiveResult } from './client.js';
export { FROM_KEY, prefixEnd, toBuffer } from './bytes.js';
export type { Bytes, RangeSpec } from './bytes.js';
export { DEFAULT_BACKOFF, backoffMs } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export {
  CompactedError,
  EtcdClientError,
  NotSentError,
  OutcomeUnknownError,
  attemptOutcome,
  fromStatus,
} from './errors.js';
export type { AttemptOutcome, ClientErrorKind, ErrorKind, EtcdErrorKind } from './errors.js';
export type {
  DeleteOptions,
  DeleteResult,
  GetOptions,
  GetResult,
  Header,
  KeyValue,
  PutOptions,
  PutResult,
  SortOrder,
  SortTarget,
  WriteOptions,
} from './kv.js';
export { compare, op, TxnBuilder } from './txn.js';
export type { Compare, CompareOp, Op, OpResult, TxnResult } from './txn.js';
export { Watcher, MAX_WATCH_RECONNECTS } from './watch.js';
export type { WatchBatch, WatchEvent, WatchOptions } from './watch.js';
export { MAX_KEEPALIVES } from './lease.js';
export type { KeepAlive, KeepAliveEnd } from './lease.js';
export type {
  Alarm,
  AlarmName,
  HashKVResult,
  Member,
  MemberListResult,
  StatusResult,
} from './maintenance.js';
