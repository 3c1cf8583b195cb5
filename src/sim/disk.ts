/**
 * SimDisk is an in-memory FileSystem for the deterministic simulator. It keeps, per file, what is
 * durable (fdatasync'd) apart from what is only in the page cache, and per directory which names
 * are durable (syncDir'd), so crash() can throw away exactly what a power cut would: the storage
 * code is tested against the POSIX contract, not against a forgiving disk. Every random choice
 * (torn-write lengths, bit positions, latencies) draws from an injected Prng, so a seed replays.
 *
 * Simplification: directories made by mkdirp are durable at once; only names inside them are not.
 */
import * as nodepath from 'node:path';
import { assert } from '../base/assert.js';
import type { Prng } from '../base/prng.js';
import type { FileHandle, FileSystem, OpenMode } from '../raft/io/fs.js';

/** SimDiskOptions is the latency model: how many virtual ms each operation costs. */
export interface SimDiskOptions {
  /** fdatasync and syncDir cost a uniform draw in [syncLatencyMsMin, syncLatencyMsMax]. */
  syncLatencyMsMin: number;
  syncLatencyMsMax: number;
  /** Writes cost this many ms per MiB (0 = free). */
  writeLatencyMsPerMiB: number;
  /** Bound on unsynced operations kept per file (a storage bug that never syncs fails loudly). */
  pendingOpsMax: number;
}

/** CrashOptions chooses how harsh a crash is. */
export interface CrashOptions {
  /** When true, a random prefix of each file's unsynced writes survives (possibly cut mid-write);
   *  when false, every unsynced byte is lost. */
  tornWrites: boolean;
}

/** SimDiskStats counts operations so tests can check "one write and one fdatasync per save". */
export interface SimDiskStats {
  writes: number;
  fdatasyncs: number;
  dirSyncs: number;
  crashes: number;
}

/** SimCrashError is thrown by the operation during which an armed crash happened: the caller's
 *  process is dead from that point, and only a fresh open() of the disk is meaningful. */
export class SimCrashError extends Error {
  override name = 'SimCrashError';
}

/** SimFsError mimics node's errors (code ENOENT, EEXIST, ...) so callers branch the same way. */
export class SimFsError extends Error {
  override name = 'SimFsError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

type PendingOp =
  | { kind: 'write'; offsetBytes: number; data: Buffer }
  | { kind: 'truncate'; sizeBytes: number };

/** Bytes is a growable byte array, so appends are amortized O(n) instead of a copy each. */
class Bytes {
  private buf: Buffer = Buffer.alloc(0);
  length = 0;

  static from(other: Bytes): Bytes {
    const b = new Bytes();
    b.write(0, other.view());
    return b;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  write(offsetBytes: number, data: Uint8Array): void {
    assert(offsetBytes <= this.length, `write at ${offsetBytes} past end ${this.length}`);
    this.reserve(offsetBytes + data.length);
    this.buf.set(data, offsetBytes);
    this.length = Math.max(this.length, offsetBytes + data.length);
  }

  truncate(sizeBytes: number): void {
    this.reserve(sizeBytes);
    if (sizeBytes > this.length) this.buf.fill(0, this.length, sizeBytes);
    this.length = sizeBytes;
  }

  apply(op: PendingOp): void {
    if (op.kind === 'write') this.write(op.offsetBytes, op.data);
    else this.truncate(op.sizeBytes);
  }

  private reserve(sizeBytes: number): void {
    if (sizeBytes <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(sizeBytes, this.buf.length * 2, 4096));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

interface Inode {
  cache: Bytes;
  durable: Bytes;
  /** Operations applied to cache and not yet to durable, in order. */
  pending: PendingOp[];
}

interface Dir {
  cache: Map<string, Inode>;
  durable: Map<string, Inode>;
}

const MIB = 1024 * 1024;

/** defaultSimDiskOptions: a healthy SSD-like disk; the simulator widens the ranges for slow disks. */
export const defaultSimDiskOptions: SimDiskOptions = {
  syncLatencyMsMin: 1,
  syncLatencyMsMax: 10,
  writeLatencyMsPerMiB: 2,
  pendingOpsMax: 100_000,
};

/** SimDisk implements FileSystem in memory with POSIX durability semantics; see module doc. */
export class SimDisk implements FileSystem {
  private readonly dirs = new Map<string, Dir>();
  private readonly handles = new Map<number, Inode>();
  private nextHandle = 1;
  /** Handles below this were open at the last crash. */
  private firstLiveHandle = 1;
  private lastCostMs = 0;
  private totalCostMs = 0;
  private readonly counters: SimDiskStats = { writes: 0, fdatasyncs: 0, dirSyncs: 0, crashes: 0 };
  private readonly opts: SimDiskOptions;
  private armed: { opsLeft: number; crash: CrashOptions } | undefined;

  constructor(
    private readonly prng: Prng,
    opts: Partial<SimDiskOptions> = {},
  ) {
    this.opts = { ...defaultSimDiskOptions, ...opts };
    assert(this.opts.syncLatencyMsMin <= this.opts.syncLatencyMsMax, 'sync latency range inverted');
    this.dirs.set('/', newDir());
  }

  open(path: string, mode: OpenMode): FileHandle {
    const { dir, name } = this.locate(path);
    let inode = dir.cache.get(name);
    if (inode === undefined) {
      if (!mode.create) throw new SimFsError('ENOENT', `open ${path}`);
      assert(!this.dirs.has(norm(path)), `open of directory ${path}`);
      inode = { cache: new Bytes(), durable: new Bytes(), pending: [] };
      dir.cache.set(name, inode);
    }
    const fh = this.nextHandle++;
    this.handles.set(fh, inode);
    if (mode.truncate) this.truncate(fh as FileHandle, 0);
    this.cost(0);
    return fh as FileHandle;
  }

  append(fh: FileHandle, data: Uint8Array): void {
    this.pwrite(fh, data, this.inode(fh).cache.length);
  }

  pwrite(fh: FileHandle, data: Uint8Array, offsetBytes: number): void {
    const inode = this.inode(fh);
    assert(offsetBytes >= 0 && offsetBytes <= inode.cache.length, `pwrite at ${offsetBytes}`);
    const op: PendingOp = { kind: 'write', offsetBytes, data: Buffer.from(data) };
    this.record(inode, op);
    this.counters.writes++;
    this.cost((data.length / MIB) * this.opts.writeLatencyMsPerMiB);
  }

  truncate(fh: FileHandle, sizeBytes: number): void {
    assert(sizeBytes >= 0, `truncate to ${sizeBytes}`);
    this.record(this.inode(fh), { kind: 'truncate', sizeBytes });
    this.cost(0);
  }

  fdatasync(fh: FileHandle): void {
    const inode = this.inode(fh);
    for (const op of inode.pending) inode.durable.apply(op);
    inode.pending = [];
    assert(inode.durable.length === inode.cache.length, 'durable and cache differ after sync');
    this.counters.fdatasyncs++;
    this.cost(this.syncLatencyMs());
  }

  close(fh: FileHandle): void {
    // A handle that died in a crash may still be closed by a finally block unwinding the crash.
    if (fh < this.firstLiveHandle) return;
    assert(this.handles.delete(fh), `close of unknown handle ${fh}`);
  }

  readFile(path: string): Buffer {
    return Buffer.from(this.file(path).cache.view());
  }

  readRange(path: string, offsetBytes: number, lengthBytes: number): Buffer {
    assert(offsetBytes >= 0 && lengthBytes >= 0, 'readRange with a negative bound');
    const view = this.file(path).cache.view();
    return Buffer.from(view.subarray(offsetBytes, offsetBytes + lengthBytes));
  }

  syncDir(dir: string): void {
    const d = this.dirs.get(norm(dir));
    if (d === undefined) throw new SimFsError('ENOENT', `syncDir ${dir}`);
    d.durable = new Map(d.cache);
    this.counters.dirSyncs++;
    this.cost(this.syncLatencyMs());
  }

  rename(from: string, to: string): void {
    const src = this.locate(from);
    const inode = src.dir.cache.get(src.name);
    if (inode === undefined) throw new SimFsError('ENOENT', `rename ${from}`);
    const dst = this.locate(to);
    src.dir.cache.delete(src.name);
    dst.dir.cache.set(dst.name, inode);
    this.cost(0);
  }

  unlink(path: string): void {
    const { dir, name } = this.locate(path);
    if (!dir.cache.delete(name)) throw new SimFsError('ENOENT', `unlink ${path}`);
    this.cost(0);
  }

  readdir(dir: string): string[] {
    const d = this.dirs.get(norm(dir));
    if (d === undefined) throw new SimFsError('ENOENT', `readdir ${dir}`);
    const subdirs = [...this.dirs.keys()].filter((p) => p !== '/' && parent(p) === norm(dir));
    return [...d.cache.keys(), ...subdirs.map((p) => nodepath.posix.basename(p))].sort();
  }

  mkdirp(dir: string): void {
    const p = norm(dir);
    if (this.dirs.has(p)) return;
    if (p !== '/') this.mkdirp(parent(p));
    this.dirs.set(p, newDir());
  }

  exists(path: string): boolean {
    const p = norm(path);
    if (this.dirs.has(p)) return true;
    const d = this.dirs.get(parent(p));
    return d !== undefined && d.cache.has(nodepath.posix.basename(p));
  }

  sizeBytes(path: string): number {
    return this.file(path).cache.length;
  }

  /** crash models a power cut: every handle closes, unsynced names and bytes are lost (or, with
   *  tornWrites, a random prefix of a file's unsynced writes survives). */
  crash(opts: CrashOptions = { tornWrites: false }): void {
    this.handles.clear();
    this.firstLiveHandle = this.nextHandle;
    const alive = new Set<Inode>();
    for (const d of this.dirs.values()) {
      d.cache = new Map(d.durable);
      for (const inode of d.durable.values()) alive.add(inode);
    }
    for (const inode of alive) {
      const survivors = opts.tornWrites ? this.tornPrefix(inode.pending) : [];
      inode.pending = [];
      for (const op of survivors) inode.durable.apply(op);
      inode.cache = Bytes.from(inode.durable);
    }
    this.counters.crashes++;
  }

  /** corrupt flips one bit at offsetBytes, on media and in cache: bit rot the CRCs must catch. */
  corrupt(path: string, offsetBytes: number, bit = this.prng.int(8)): void {
    const inode = this.file(path);
    assert(offsetBytes < inode.cache.length, `corrupt at ${offsetBytes} past end of ${path}`);
    assert(bit >= 0 && bit < 8, `bit ${bit}`);
    const mask = 1 << bit;
    inode.cache.view()[offsetBytes]! ^= mask;
    if (offsetBytes < inode.durable.length) inode.durable.view()[offsetBytes]! ^= mask;
  }

  /** armCrash makes the disk crash right after its n-th next mutating operation (n ≥ 1), which
   *  then throws SimCrashError: a crash at an exact point inside a multi-step write. */
  armCrash(n: number, crash: CrashOptions): void {
    assert(Number.isInteger(n) && n >= 1, `armCrash(${n})`);
    this.armed = { opsLeft: n, crash };
  }

  /** disarm cancels an armed crash that did not fire. */
  disarm(): void {
    this.armed = undefined;
  }

  /** durableBytes is what would survive a crash without torn writes (for tests). */
  durableBytes(path: string): Buffer {
    return Buffer.from(this.file(path).durable.view());
  }

  /** lastOpCostMs is the virtual time the previous operation took (the sim advances its clock). */
  lastOpCostMs(): number {
    return this.lastCostMs;
  }

  /** elapsedMs is the virtual time spent in this disk since it was made. */
  elapsedMs(): number {
    return this.totalCostMs;
  }

  stats(): SimDiskStats {
    return { ...this.counters };
  }

  private tornPrefix(pending: readonly PendingOp[]): PendingOp[] {
    if (pending.length === 0) return [];
    const cut = this.prng.int(pending.length);
    const out = pending.slice(0, cut);
    const last = pending[cut]!;
    if (last.kind === 'write') {
      const keepBytes = this.prng.int(last.data.length + 1);
      out.push({ ...last, data: last.data.subarray(0, keepBytes) });
    }
    return out;
  }

  private record(inode: Inode, op: PendingOp): void {
    assert(inode.pending.length < this.opts.pendingOpsMax, 'too many unsynced operations');
    inode.cache.apply(op);
    inode.pending.push(op);
  }

  private syncLatencyMs(): number {
    return this.prng.range(this.opts.syncLatencyMsMin, this.opts.syncLatencyMsMax);
  }

  /** cost charges virtual time for a mutating operation and fires an armed crash. */
  private cost(ms: number): void {
    this.lastCostMs = ms;
    this.totalCostMs += ms;
    if (this.armed === undefined || --this.armed.opsLeft > 0) return;
    const crash = this.armed.crash;
    this.armed = undefined;
    this.crash(crash);
    throw new SimCrashError('simulated crash');
  }

  private inode(fh: FileHandle): Inode {
    const inode = this.handles.get(fh);
    if (inode === undefined) throw new SimFsError('EBADF', `handle ${fh}`);
    return inode;
  }

  private file(path: string): Inode {
    const { dir, name } = this.locate(path);
    const inode = dir.cache.get(name);
    if (inode === undefined) throw new SimFsError('ENOENT', path);
    return inode;
  }

  private locate(path: string): { dir: Dir; name: string } {
    const p = norm(path);
    const dir = this.dirs.get(parent(p));
    if (dir === undefined) throw new SimFsError('ENOENT', `directory of ${path}`);
    return { dir, name: nodepath.posix.basename(p) };
  }
}

function newDir(): Dir {
  return { cache: new Map(), durable: new Map() };
}

function norm(path: string): string {
  return nodepath.posix.resolve('/', path);
}

function parent(path: string): string {
  return nodepath.posix.dirname(path);
}
