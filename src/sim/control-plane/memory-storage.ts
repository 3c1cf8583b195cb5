/**
 * MemoryStorage: the API server's Storage interface over an in-memory revisioned key space, so
 * the REAL registry (defaults, validation, optimistic concurrency, graceful deletion, finalizers,
 * lease fences) runs inside the control-plane simulation on a simulated clock, with no store
 * process and no timers of its own. It is to EtcdStorage what raft's MemoryStorage is to the
 * WAL: a second implementation of the same contract, not a mock of it.
 *
 * Semantics kept: one global revision (etcd's, starting at 1) stamped as resourceVersion; create
 * iff absent; guaranteedUpdate/delete retried against the freshest state; fence compares and
 * companion writes in the same step as the write; list pages with continue tokens; watches from
 * "0"/"" (state as ADDED, then changes) or from a revision (replayed from a bounded history; 410
 * when older); events delivered asynchronously (a microtask later), in revision order. Not kept:
 * reads at old revisions for lists (a list always reads the latest state).
 */
import { alreadyExists, conflict, notFound } from '../../api/errors.js';
import type { KubeObject, WatchEventType } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import {
  decodeObject, encodeObject, keyInfo, parseRevision, withResourceVersion,
} from '../../apiserver/storage/codec.js';
import { decodeContinue, encodeContinue } from '../../apiserver/storage/continue-token.js';
import { expiredWatch } from '../../apiserver/storage/storage-errors.js';
import type {
  ListResult, Storage, StorageListOptions, StorageWatchEvent, StorageWatchOptions, UpdateFn, Watch,
  WriteConditions,
} from '../../apiserver/storage/types.js';

/** HISTORY_MAX: changes kept (default) for watches that resume from a revision (older → 410). */
export const HISTORY_MAX = 100_000;

interface Entry {
  value: Buffer;
  modRevision: number;
}

interface Change {
  rev: number;
  key: string;
  /** Undefined: deleted. */
  value: Buffer | undefined;
  prev: Buffer | undefined;
  prevRev: number;
}

interface Watcher {
  prefix: string;
  opts: StorageWatchOptions;
  onEvent: (e: StorageWatchEvent) => void | boolean;
  stopped: boolean;
}

/** CommitWrite is one key a commit changed: value undefined when deleted, prev undefined when
 *  created. */
export interface CommitWrite {
  key: string;
  value: Buffer | undefined;
  prev: Buffer | undefined;
}

/** CommitObserver sees every commit synchronously, in revision order, in the async context of
 *  the call that made it (so the simulation's auditor can tell who wrote what). */
export type CommitObserver = (rev: number, writes: readonly CommitWrite[]) => void;

export class MemoryStorage implements Storage {
  private readonly kv = new Map<string, Entry>();
  private readonly observers: CommitObserver[] = [];
  private readonly history: Change[] = [];
  private readonly watchers = new Set<Watcher>();
  private revision = 1;
  private readonly historyMax: number;

  constructor(o: { historyMax?: number } = {}) {
    this.historyMax = o.historyMax ?? HISTORY_MAX;
    assert(this.historyMax >= 1, 'memory storage: historyMax must be ≥ 1');
  }

  /** observe registers fn for every later commit (the simulation's invariant checkers). */
  observe(fn: CommitObserver): void {
    this.observers.push(fn);
  }

  /** currentRevision: the revision of the last write (1 before any). */
  get currentRevision(): number {
    return this.revision;
  }

  async create(key: string, obj: KubeObject, w?: WriteConditions): Promise<KubeObject> {
    await Promise.resolve();
    if (this.kv.has(key)) {
      this.checkFence(w);
      const info = keyInfo(key);
      throw alreadyExists(info.gr, info.name);
    }
    this.checkFence(w);
    const value = encodeObject(obj);
    const rev = this.commit([{ key, value }, ...this.companion(w, undefined, obj)]);
    return decodeObject(value, rev);
  }

  async get(key: string): Promise<KubeObject | undefined> {
    await Promise.resolve();
    const e = this.kv.get(key);
    return e ? decodeObject(e.value, e.modRevision) : undefined;
  }

  async guaranteedUpdate(key: string, update: UpdateFn, w?: WriteConditions): Promise<KubeObject> {
    const info = keyInfo(key);
    for (let attempt = 0; attempt < 64; attempt++) {
      const cur = this.kv.get(key);
      if (!cur) throw notFound(info.gr, info.name);
      const before = decodeObject(cur.value, cur.modRevision);
      const next = await update(decodeObject(cur.value, cur.modRevision));
      if (this.kv.get(key)?.modRevision !== cur.modRevision) continue; // lost a race: again
      this.checkFence(w);
      const value = encodeObject(next);
      if (value.equals(cur.value)) return before;
      const rev = this.commit([{ key, value }, ...this.companion(w, before, next)]);
      return decodeObject(value, rev);
    }
    throw conflict(info.gr, info.name, 'the object kept changing');
  }

  async delete(key: string, check?: (current: KubeObject) => void, w?: WriteConditions):
    Promise<KubeObject> {
    await Promise.resolve();
    const info = keyInfo(key);
    const cur = this.kv.get(key);
    if (!cur) throw notFound(info.gr, info.name);
    const obj = decodeObject(cur.value, cur.modRevision);
    check?.(decodeObject(cur.value, cur.modRevision));
    this.checkFence(w);
    const rev = this.commit([{ key, value: undefined }, ...this.companion(w, obj, undefined)]);
    return withResourceVersion(obj, rev);
  }

  async list(prefix: string, opts: StorageListOptions): Promise<ListResult> {
    await Promise.resolve();
    const from = opts.continueToken ? decodeContinue(opts.continueToken, prefix).key : prefix;
    const keys = [...this.kv.keys()].filter((k) => k.startsWith(prefix) && k >= from).sort();
    const items: KubeObject[] = [];
    const limit = opts.limit ?? 0;
    let i = 0;
    for (; i < keys.length && (limit === 0 || items.length < limit); i++) {
      const e = this.kv.get(keys[i] ?? '');
      if (!e) continue;
      const obj = decodeObject(e.value, e.modRevision);
      if (!opts.predicate || opts.predicate(obj)) items.push(obj);
    }
    const result: ListResult = { items, resourceVersion: String(this.revision) };
    const next = keys[i];
    if (next !== undefined) result.continueToken = encodeContinue(next, prefix, this.revision);
    return result;
  }

  watch(
    prefix: string,
    opts: StorageWatchOptions,
    onEvent: (e: StorageWatchEvent) => void | boolean,
    onError: (err: Error) => void,
  ): Watch {
    const w: Watcher = { prefix, opts, onEvent, stopped: false };
    const from = parseRevision(opts.resourceVersion);
    const oldest = this.history[0]?.rev ?? this.revision + 1;
    if (from !== undefined && from !== 0 && from + 1 < oldest && from < this.revision) {
      queueMicrotask(() => onError(expiredWatch(from, oldest - 1)));
      return { stop: () => {} };
    }
    const initial: StorageWatchEvent[] = [];
    if (from === undefined || from === 0) {
      for (const k of [...this.kv.keys()].filter((x) => x.startsWith(prefix)).sort()) {
        const e = this.kv.get(k);
        if (!e) continue;
        const obj = decodeObject(e.value, e.modRevision);
        if (!opts.predicate || opts.predicate(obj)) initial.push({ type: 'ADDED', object: obj });
      }
    } else {
      for (const c of this.history) if (c.rev > from) initial.push(...this.eventsFor(w, c));
    }
    this.watchers.add(w);
    queueMicrotask(() => {
      for (const e of initial) if (!w.stopped) w.onEvent(e);
    });
    return { stop: () => { w.stopped = true; this.watchers.delete(w); } };
  }

  private checkFence(w: WriteConditions | undefined): void {
    const f = w?.fence;
    if (!f) return;
    const current = this.kv.get(f.key)?.modRevision ?? 0;
    if (current !== f.modRevision) throw f.refuse(current);
  }

  private companion(
    w: WriteConditions | undefined, before: KubeObject | undefined, after: KubeObject | undefined,
  ): { key: string; value: Buffer | undefined }[] {
    const c = w?.companion?.(before, after);
    if (!c) return [];
    return [{ key: c.key, value: c.type === 'put' ? Buffer.from(c.value, 'utf8') : undefined }];
  }

  /** commit applies puts (value) and deletes (undefined) at one new revision. */
  private commit(writes: { key: string; value: Buffer | undefined }[]): number {
    const rev = ++this.revision;
    const seen: CommitWrite[] = [];
    for (const { key, value } of writes) {
      const prev = this.kv.get(key);
      seen.push({ key, value, prev: prev?.value });
      if (value === undefined) this.kv.delete(key);
      else this.kv.set(key, { value, modRevision: rev });
      if (prev === undefined && value === undefined) continue;
      const prevRev = prev?.modRevision ?? 0;
      const change: Change = { rev, key, value, prev: prev?.value, prevRev };
      this.history.push(change);
      const excess = this.history.length - this.historyMax;
      if (excess > 0) this.history.splice(0, excess);
      this.fanOut(change);
    }
    for (const fn of this.observers) fn(rev, seen);
    return rev;
  }

  private fanOut(c: Change): void {
    for (const w of this.watchers) {
      const events = this.eventsFor(w, c);
      if (events.length === 0) continue;
      queueMicrotask(() => {
        for (const e of events) if (!w.stopped) w.onEvent(e);
      });
    }
  }

  /** eventsFor: what watcher w sees of change c, with predicate transitions as the watch cache. */
  private eventsFor(w: Watcher, c: Change): StorageWatchEvent[] {
    if (!c.key.startsWith(w.prefix)) return [];
    const p = w.opts.predicate;
    const now = c.value ? decodeObject(c.value, c.rev) : undefined;
    // The previous state is decoded only when it matters: a predicate to test it against, or a
    // deletion to report it in (decoding is most of what a simulated watch costs).
    const needWas = c.prev !== undefined && (p !== undefined || now === undefined);
    const was = needWas && c.prev ? decodeObject(c.prev, c.prevRev) : undefined;
    const nowIn = now !== undefined && (!p || p(now));
    const wasIn = needWas ? was !== undefined && (!p || p(was)) : c.prev !== undefined;
    let type: WatchEventType | undefined;
    if (nowIn) type = wasIn ? 'MODIFIED' : 'ADDED';
    else if (wasIn) type = 'DELETED';
    if (type === undefined) return [];
    assert(now !== undefined || was !== undefined, 'memory storage: empty change');
    const object = type === 'DELETED'
      ? withResourceVersion(was as KubeObject, c.rev)
      : (now as KubeObject);
    return [{ type, object }];
  }
}
