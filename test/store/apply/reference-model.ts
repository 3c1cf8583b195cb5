/**
 * RefModel is the obviously-correct store the randomized test compares MvccState with: one flat
 * array of every write ever made, and every question answered by scanning it. Slow on purpose.
 * It models the key-value subset the test generates (put/delete/txn/compaction/leases); errors
 * are etcd's message texts.
 */
import {
  Compare_CompareResult as R,
  Compare_CompareTarget as T,
  RangeRequest_SortOrder as Order,
  RangeRequest_SortTarget as Target,
  type Compare,
  type DeleteRangeRequest,
  type PutRequest,
  type RangeRequest,
  type RequestOp,
  type TxnRequest,
} from '../../../src/gen/etcdserverpb/rpc.js';
import { etcdErrors } from '../../../src/store/errors.js';

export interface RefKv {
  key: string;
  create: number;
  mod: number;
  version: number;
  value: string;
  lease: bigint;
}

interface Write {
  rev: number;
  key: string;
  kv: RefKv | undefined; // undefined = delete
  prev: RefKv | undefined;
}

export interface RefRange { kvs: RefKv[]; more: boolean; count: number; rev: number }
export type RefOutcome = { error: string } | { rev: number; detail: unknown };

const s = (b: Buffer): string => b.toString('latin1');

export class RefModel {
  rev = 1;
  compactRev = 0;
  writes: Write[] = [];
  traces = new Map<number, string>();
  leases = new Map<bigint, number>();

  at(key: string, rev: number): RefKv | undefined {
    let found: RefKv | undefined;
    for (const w of this.writes) if (w.key === key && w.rev <= rev) found = w.kv;
    return found;
  }

  keysIn(key: Buffer, end: Buffer): (k: string) => boolean {
    const start = s(key);
    if (end.length === 0) return (k) => k === start;
    if (end.length === 1 && end[0] === 0) return (k) => k >= start;
    return (k) => k >= start && k < s(end);
  }

  liveAt(inRange: (k: string) => boolean, rev: number): RefKv[] {
    const keys = [...new Set(this.writes.map((w) => w.key))].filter(inRange).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.map((k) => this.at(k, rev)).filter((kv): kv is RefKv => kv !== undefined);
  }

  range(req: RangeRequest, viewRev = this.rev): RefRange | { error: string } {
    const r = Number(req.revision);
    if (r > this.rev) return { error: etcdErrors.futureRevision().message };
    if (r > 0 && r < this.compactRev) return { error: etcdErrors.compacted().message };
    let kvs = this.liveAt(this.keysIn(req.key, req.rangeEnd), r > 0 ? r : viewRev);
    const count = kvs.length;
    kvs = kvs.filter((kv) =>
      (req.maxModRevision === 0n || kv.mod <= req.maxModRevision) &&
      (req.minModRevision === 0n || kv.mod >= req.minModRevision) &&
      (req.maxCreateRevision === 0n || kv.create <= req.maxCreateRevision) &&
      (req.minCreateRevision === 0n || kv.create >= req.minCreateRevision));
    // etcd cuts to limit + 1 in key order before sorting when the request's own sort_order is
    // NONE and no filter is set, even when a non-KEY target makes it sort afterwards.
    const limit = Number(req.limit);
    const filtered = req.minModRevision !== 0n || req.maxModRevision !== 0n || req.minCreateRevision !== 0n || req.maxCreateRevision !== 0n;
    if (limit > 0 && req.sortOrder === Order.NONE && !filtered) kvs = kvs.slice(0, limit + 1);
    const field = (kv: RefKv): number | string => ({ [Target.KEY]: kv.key, [Target.VERSION]: kv.version, [Target.CREATE]: kv.create, [Target.MOD]: kv.mod, [Target.VALUE]: kv.value })[req.sortTarget as 0] ?? 0;
    let order = req.sortOrder;
    if (req.sortTarget !== Target.KEY && order === Order.NONE) order = Order.ASCEND;
    if (order !== Order.NONE) {
      const sign = order === Order.DESCEND ? -1 : 1;
      kvs = [...kvs].sort((a, b) => sign * (field(a) < field(b) ? -1 : field(a) > field(b) ? 1 : 0));
    }
    const more = limit > 0 && kvs.length > limit;
    if (more) kvs = kvs.slice(0, limit);
    if (req.countOnly) kvs = [];
    if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: '' }));
    return { kvs, more: more && !req.countOnly, count, rev: viewRev };
  }

  /** history as the store must replay it from `from`: revision, events (type, kv, prev). */
  history(from: number): { rev: number; trace: string; events: [string, RefKv | undefined, RefKv | undefined][] }[] {
    const out: ReturnType<RefModel['history']> = [];
    for (let r = Math.max(from, 2); r <= this.rev; r++) {
      let ws = this.writes.filter((w) => w.rev === r);
      // At the compaction revision only what compaction kept: each key's last write there, if
      // it is a put (a put deleted later in the same txn is gone like the delete).
      if (r === this.compactRev) ws = ws.filter((w, i) => w.kv !== undefined && !ws.slice(i + 1).some((x) => x.key === w.key));
      if (ws.length === 0) continue;
      out.push({
        rev: r,
        trace: this.traces.get(r) ?? '',
        // prevKv is the key at r - 1, as etcd's watch reads it (not the txn's own earlier write).
        events: ws.map((w) => [w.key, w.kv, r > this.compactRev ? this.at(w.key, r - 1) : undefined]),
      });
    }
    return out;
  }

  // ---- writes ----

  private write(rev: number, key: string, kv: RefKv | undefined): void {
    this.writes.push({ rev, key, kv, prev: this.at(key, rev) });
  }

  putOp(req: PutRequest, rev: number): { prev: RefKv | undefined } {
    const key = s(req.key);
    const prev = this.at(key, rev);
    this.write(rev, key, {
      key, create: prev?.create ?? rev, mod: rev, version: (prev?.version ?? 0) + 1,
      value: req.ignoreValue ? (prev as RefKv).value : s(req.value),
      lease: req.ignoreLease ? (prev as RefKv).lease : req.lease,
    });
    return { prev };
  }

  delOp(req: DeleteRangeRequest, rev: number): number {
    const victims = this.liveAt(this.keysIn(req.key, req.rangeEnd), rev);
    for (const kv of victims) this.write(rev, kv.key, undefined);
    return victims.length;
  }

  private commit(rev: number, trace: string): number {
    if (this.writes.some((w) => w.rev === rev)) {
      this.rev = rev;
      this.traces.set(rev, trace);
    }
    return this.rev;
  }

  private checkPut(req: PutRequest, rev: number): string | undefined {
    if (req.lease !== 0n && !this.leases.has(req.lease)) return etcdErrors.leaseNotFound().message;
    if ((req.ignoreValue || req.ignoreLease) && this.at(s(req.key), rev) === undefined) return etcdErrors.keyNotFound().message;
    return undefined;
  }

  put(req: PutRequest, trace: string): RefOutcome {
    const e = this.checkPut(req, this.rev);
    if (e !== undefined) return { error: e };
    const { prev } = this.putOp(req, this.rev + 1);
    return { rev: this.commit(this.rev + 1, trace), detail: req.prevKv ? prev : undefined };
  }

  del(req: DeleteRangeRequest, trace: string): RefOutcome {
    const n = this.delOp(req, this.rev + 1);
    return { rev: this.commit(this.rev + 1, trace), detail: n };
  }

  compact(rev: number): RefOutcome {
    if (rev <= this.compactRev) return { error: etcdErrors.compacted().message };
    if (rev > this.rev) return { error: etcdErrors.futureRevision().message };
    this.compactRev = rev;
    return { rev: this.rev, detail: undefined };
  }

  grant(id: bigint, ttl: number): RefOutcome {
    if (this.leases.has(id)) return { error: etcdErrors.leaseExists().message };
    this.leases.set(id, ttl);
    return { rev: this.rev, detail: undefined };
  }

  revoke(id: bigint, trace: string): RefOutcome {
    if (!this.leases.has(id)) return { error: etcdErrors.leaseNotFound().message };
    const attached = this.liveAt(() => true, this.rev).filter((kv) => kv.lease === id);
    for (const kv of attached) this.write(this.rev + 1, kv.key, undefined);
    this.leases.delete(id);
    return { rev: this.commit(this.rev + 1, trace), detail: undefined };
  }

  // ---- txn ----

  txn(t: TxnRequest, trace: string): RefOutcome {
    const path = this.path(t);
    const err = this.checkTxn(t, path);
    if (err !== undefined) return { error: err };
    const next = this.rev + 1;
    const detail = this.runTxn(t, path, next);
    return { rev: this.commit(next, trace), detail };
  }

  private holds(c: Compare): boolean {
    const kvs = this.liveAt(this.keysIn(c.key, c.rangeEnd), this.rev);
    const one = (kv: RefKv | undefined): boolean => {
      const u = c.targetUnion;
      const num = (x: number, y: bigint): number => Math.sign(x - Number(y));
      let res = 0;
      if (c.target === T.VALUE) { const a = kv?.value ?? ''; const b = u?.$case === 'value' ? s(u.value) : ''; res = a < b ? -1 : a > b ? 1 : 0; }
      if (c.target === T.VERSION) res = num(kv?.version ?? 0, u?.$case === 'version' ? u.value : 0n);
      if (c.target === T.CREATE) res = num(kv?.create ?? 0, u?.$case === 'createRevision' ? u.value : 0n);
      if (c.target === T.MOD) res = num(kv?.mod ?? 0, u?.$case === 'modRevision' ? u.value : 0n);
      if (c.target === T.LEASE) res = num(Number(kv?.lease ?? 0n), u?.$case === 'lease' ? u.value : 0n);
      return c.result === R.EQUAL ? res === 0 : c.result === R.NOT_EQUAL ? res !== 0 : c.result === R.GREATER ? res > 0 : res < 0;
    };
    if (kvs.length === 0) return c.target !== T.VALUE && one(undefined);
    return kvs.every(one);
  }

  private path(t: TxnRequest): { ok: boolean; nested: ReturnType<RefModel['path']>[] } {
    const ok = t.compare.every((c) => this.holds(c));
    const nested = (ok ? t.success : t.failure)
      .filter((o) => o.request?.$case === 'requestTxn')
      .map((o) => this.path((o.request as { value: TxnRequest }).value));
    return { ok, nested };
  }

  private checkTxn(t: TxnRequest, p: ReturnType<RefModel['path']>): string | undefined {
    let n = 0;
    for (const o of p.ok ? t.success : t.failure) {
      const r = o.request;
      let e: string | undefined;
      if (r?.$case === 'requestPut') e = this.checkPut(r.value, this.rev);
      if (r?.$case === 'requestRange') { const got = this.range({ ...r.value, keysOnly: false, countOnly: true }); e = 'error' in got ? got.error : undefined; }
      if (r?.$case === 'requestTxn') e = this.checkTxn(r.value, p.nested[n++] as ReturnType<RefModel['path']>);
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** runTxn returns per op: [header revision, detail]. */
  private runTxn(t: TxnRequest, p: ReturnType<RefModel['path']>, next: number): unknown[] {
    const out: unknown[] = [p.ok];
    let n = 0;
    const view = (): number => (this.writes.some((w) => w.rev === next) ? next : this.rev);
    for (const o of (p.ok ? t.success : t.failure) as RequestOp[]) {
      const r = o.request;
      if (r?.$case === 'requestPut') { const { prev } = this.putOp(r.value, next); out.push([next, r.value.prevKv ? prev : undefined]); }
      if (r?.$case === 'requestDeleteRange') { const d = this.delOp(r.value, next); out.push([view(), d]); }
      if (r?.$case === 'requestRange') out.push([view(), this.range(r.value, view())]);
      if (r?.$case === 'requestTxn') out.push([0, this.runTxn(r.value, p.nested[n++] as ReturnType<RefModel['path']>, next)]);
    }
    return out;
  }
}
