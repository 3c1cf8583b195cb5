/**
 * MvccState is the store's replicated state machine (StoreState): the MVCC key-value core plus
 * leases, alarms and members, applied from committed log entries. Deterministic — no I/O, clock
 * or randomness — so every member that applies the same log, or restores a snapshot of it, has
 * the same revision, the same history and the same hashKV.
 *
 * Every request is judged completely before anything changes: an EtcdError leaves no trace
 * (no revision, no partial write). Requests that write bump the revision by exactly one.
 */
import { assert, unreachable } from '../../base/assert.js';
import {
  AlarmRequest_AlarmAction as AlarmAction,
  AlarmType,
  type AlarmMember,
  type AlarmRequest,
  type AlarmResponse,
  type CompactionRequest,
  type LeaseGrantRequest,
  type LeaseGrantResponse,
  type RangeRequest,
  type RangeResponse,
  type ResponseHeader,
  type TxnRequest,
} from '../../gen/etcdserverpb/rpc.js';
import type { ConfChange } from '../../gen/k8ts/raft/v1/raft.js';
import type { MemberRecord, StoreRequest, TraceContext } from '../../gen/k8ts/store/v1/store.js';
import { EtcdError, ETCD_LIMITS, etcdErrors } from '../errors.js';
import { hashVersions } from '../mvcc/hash.js';
import { eventsFrom, toEvent } from '../mvcc/history.js';
import { MvccStore } from '../mvcc/mvcc-store.js';
import { rangeAt } from '../mvcc/range.js';
import { decodeSnapshot, encodeSnapshot, snapshotJob, type SnapshotJob, type SnapshotParts } from '../mvcc/snapshot-codec.js';
import type { ApplyOutcome, LeaseInfo, RevisionEvents, StoreState } from '../types.js';
import { AlarmTable } from './alarms.js';
import { checkPut, checkRangeRevision, deleteRangeOp, header, putOp, type KvContext } from './kv-ops.js';
import { LeaseTable } from './leases.js';
import { MemberTable } from './members.js';
import { checkTxn, planTxn, runTxn, txnWrites } from './txn.js';

/** Response is any etcd response message; apply fills only header.revision. */
type Response = { header?: ResponseHeader | undefined };

export interface MvccStateOptions {
  /** Kept for the server's symmetry with validateRequest; apply does not re-validate sizes. */
  maxTxnOps?: number;
}

export class MvccState implements StoreState {
  onRevision: ((ev: RevisionEvents) => void) | undefined = undefined;
  readonly maxTxnOps: number;
  private store = new MvccStore();
  private readonly leaseTable = new LeaseTable();
  private readonly alarmTable = new AlarmTable();
  private readonly memberTable = new MemberTable();
  private applied = 0;

  constructor(options: MvccStateOptions = {}) {
    this.maxTxnOps = options.maxTxnOps ?? ETCD_LIMITS.maxTxnOps;
    assert(this.maxTxnOps > 0);
  }

  // ---- StoreView ----

  revision(): number {
    return this.store.revision();
  }

  compactRevision(): number {
    return this.store.compactRevision();
  }

  range(req: RangeRequest): RangeResponse {
    const err = checkRangeRevision(this.store, req.revision);
    if (err !== undefined) throw err;
    const current = this.store.revision();
    return rangeAt(this.store, req, req.revision > 0n ? Number(req.revision) : current, current);
  }

  historyFrom(from: number, maxEvents: number): RevisionEvents[] {
    if (from < this.store.compactRevision()) throw etcdErrors.compacted();
    return eventsFrom(this.store, from, maxEvents);
  }

  hashKV(rev: number): { hash: number; compactRevision: number; revision: number } {
    const current = this.store.revision();
    const compacted = this.store.compactRevision();
    if (rev > 0 && rev <= compacted) throw etcdErrors.compacted();
    if (rev > current) throw etcdErrors.futureRevision();
    const at = rev > 0 ? rev : current;
    return { hash: hashVersions(this.store, at), compactRevision: compacted, revision: at };
  }

  leases(): LeaseInfo[] {
    return this.leaseTable.list();
  }

  lease(id: bigint): (LeaseInfo & { keys: Buffer[] }) | undefined {
    const info = this.leaseTable.get(id);
    if (info === undefined) return undefined;
    const keys = this.leaseTable.keysOf(id).map((k) => (this.store.history(k) as { key: Buffer }).key);
    return { ...info, keys };
  }

  leaseInfo(id: bigint): LeaseInfo | undefined {
    return this.leaseTable.get(id);
  }

  alarms(): AlarmMember[] {
    return this.alarmTable.list();
  }

  members(): MemberRecord[] {
    return this.memberTable.list();
  }

  sizeBytes(): number {
    return this.store.sizeBytes();
  }

  appliedIndex(): number {
    return this.applied;
  }

  // ---- apply ----

  apply(index: number, req: StoreRequest): ApplyOutcome {
    this.advance(index);
    try {
      return { response: this.applyOp(req) };
    } catch (e) {
      if (e instanceof EtcdError) return { error: e };
      throw e;
    }
  }

  applyConfChange(index: number, cc: ConfChange): void {
    this.advance(index);
    this.memberTable.applyConfChange(cc);
  }

  private advance(index: number): void {
    assert(Number.isSafeInteger(index) && index > this.applied, `apply: index ${index} after ${this.applied}`);
    this.applied = index;
  }

  /** applyOp runs one op; it throws EtcdError only before changing anything. */
  private applyOp(req: StoreRequest): Response {
    const op = req.op;
    if (op === undefined) return { header: header(this.store.revision()) };
    switch (op.$case) {
      case 'put':
        this.refuseWhenNoSpace();
        throwIf(checkPut(this.kv(), op.value));
        return this.write(req.trace, () => putOp(this.kv(), op.value));
      case 'deleteRange':
        return this.write(req.trace, () => deleteRangeOp(this.kv(), op.value));
      case 'txn':
        return this.txn(op.value, req.trace);
      case 'compaction':
        return this.compact(op.value);
      case 'leaseGrant':
        return this.leaseGrant(op.value);
      case 'leaseRevoke':
        return this.leaseRevoke(op.value.ID, req.trace);
      case 'alarm':
        return this.alarm(op.value);
      case 'memberAttributes':
        this.memberTable.updateAttributes(op.value);
        return { header: header(this.store.revision()) };
      default:
        return unreachable(op);
    }
  }

  private txn(txn: TxnRequest, trace: TraceContext | undefined): Response {
    if (this.alarmTable.active(AlarmType.NOSPACE) && txnWrites(txn, 'puts')) throw etcdErrors.noSpace();
    const plan = planTxn(this.store, txn);
    throwIf(checkTxn(this.kv(), txn, plan));
    const resp = txnWrites(txn, 'writes')
      ? this.write(trace, () => runTxn(this.kv(), txn, plan))
      : runTxn(this.kv(), txn, plan);
    resp.header = header(this.store.revision()); // runTxn's response is new: set, not copied.
    return resp;
  }

  private compact(req: CompactionRequest): Response {
    const rev = req.revision;
    if (rev <= BigInt(this.store.compactRevision())) throw etcdErrors.compacted();
    if (rev > BigInt(this.store.revision())) throw etcdErrors.futureRevision();
    this.store.compact(Number(rev));
    return { header: header(this.store.revision()) };
  }

  private leaseGrant(req: LeaseGrantRequest): Response {
    this.refuseWhenNoSpace();
    assert(req.ID !== 0n, 'leaseGrant: the proposer must choose a non-zero id');
    if (this.leaseTable.has(req.ID)) throw etcdErrors.leaseExists();
    this.leaseTable.grant(req.ID, Number(req.TTL));
    const resp: LeaseGrantResponse = { header: header(this.store.revision()), ID: req.ID, TTL: req.TTL, error: '' };
    return resp;
  }

  /** leaseRevoke deletes the lease's keys in one revision (in key order, as etcd does), or
   *  bumps nothing when it has none. */
  private leaseRevoke(id: bigint, trace: TraceContext | undefined): Response {
    if (!this.leaseTable.has(id)) throw etcdErrors.leaseNotFound();
    const keys = this.leaseTable.keysOf(id);
    this.write(trace, () => {
      for (const skey of keys) {
        const hist = this.store.history(skey);
        assert(hist !== undefined && hist.head()?.lease === id, 'leaseRevoke: attachment drift');
        this.store.tombstone(hist);
        this.leaseTable.detach(id, skey);
      }
      return {};
    });
    this.leaseTable.remove(id);
    return { header: header(this.store.revision()) };
  }

  private alarm(req: AlarmRequest): Response {
    const alarms: AlarmMember[] = [];
    if (req.action === AlarmAction.GET) {
      alarms.push(...this.alarmTable.list(req.alarm));
    } else if (req.action === AlarmAction.ACTIVATE && req.alarm !== AlarmType.NONE) {
      alarms.push(this.alarmTable.activate(req.memberID, req.alarm));
    } else if (req.action === AlarmAction.DEACTIVATE) {
      const cleared = this.alarmTable.deactivate(req.memberID, req.alarm);
      if (cleared !== undefined) alarms.push(cleared);
    }
    const resp: AlarmResponse = { header: header(this.store.revision()), alarms };
    return resp;
  }

  /** write runs body in a write session and publishes the revision it made, if any. */
  private write<T extends object>(trace: TraceContext | undefined, body: () => T): T {
    this.store.beginWrite();
    const result = body();
    const made = this.store.endWrite(trace);
    if (made !== undefined && this.onRevision !== undefined) {
      const { record, prevs } = made;
      const events = record.kvs.map((kv, i) => toEvent(kv, prevs[i], trace));
      this.onRevision({ revision: record.revision, events, trace });
    }
    return result;
  }

  private refuseWhenNoSpace(): void {
    if (this.alarmTable.active(AlarmType.NOSPACE)) throw etcdErrors.noSpace();
  }

  /** kv is what the key-value operations act on (one object, rebuilt when restore replaces
   *  the store: not one per apply). */
  private kv(): KvContext {
    if (this.kvContext?.store !== this.store) this.kvContext = { store: this.store, leases: this.leaseTable };
    return this.kvContext;
  }

  private kvContext: KvContext | undefined;

  // ---- snapshot ----

  snapshot(): Buffer {
    return encodeSnapshot(this.snapshotParts());
  }

  snapshotJob(): SnapshotJob {
    return snapshotJob(this.snapshotParts());
  }

  private snapshotParts(): SnapshotParts & { store: MvccStore } {
    return {
      store: this.store,
      leases: this.leaseTable.list(),
      alarms: this.alarmTable.list(),
      members: this.memberTable.list(),
      appliedIndex: this.applied,
    };
  }

  restore(image: Buffer, index: number): void {
    const store = new MvccStore();
    const decoded = decodeSnapshot(image, store);
    this.store = store;
    this.leaseTable.clear();
    for (const l of decoded.leases) this.leaseTable.grant(l.id, l.ttl);
    for (const hist of store.order.all()) {
      const head = hist.head();
      if (head !== undefined && head.lease !== 0n) this.leaseTable.attach(head.lease, hist.skey);
    }
    this.alarmTable.clear();
    for (const a of decoded.alarms) this.alarmTable.activate(a.memberID, a.alarm);
    this.memberTable.replaceAll(decoded.members);
    this.applied = index;
  }
}

function throwIf(err: EtcdError | undefined): void {
  if (err !== undefined) throw err;
}
