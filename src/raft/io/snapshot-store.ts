/**
 * SnapshotStore keeps Raft snapshots as files `snap-<term16hex>-<index16hex>.snap` holding the
 * encoded Snapshot and a trailing crc32. A file is written to a tmp name, fdatasync'd, renamed and
 * the directory fsync'd, so a crash leaves either the old set of snapshots or the new one, never a
 * half-written file under a real name. The newest few are kept: when the newest rots, an older one
 * plus the WAL can still rebuild the state.
 */
import * as zlib from 'node:zlib';
import { assert } from '../../base/assert.js';
import { bytesFieldHeader } from '../../base/proto-wire.js';
import { Snapshot as SnapshotCodec } from '../../gen/k8ts/raft/v1/raft.js';
import type { Snapshot } from '../core/types.js';
import { joinPath, type FileSystem } from './fs.js';

/** SnapshotFile names one snapshot on disk, as its file name says. */
export interface SnapshotFile {
  name: string;
  path: string;
  term: number;
  index: number;
}

/** SnapshotCorruptionError: a snapshot file fails its checksum or does not match its name. */
export class SnapshotCorruptionError extends Error {
  override name = 'SnapshotCorruptionError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`snapshot ${path} is corrupt: ${reason}`);
  }
}

const NAME_RE = /^snap-([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;
const TMP_SUFFIX = '.tmp';
const CRC_BYTES = 4;
const EMPTY = Buffer.alloc(0);
/** Snapshot.data's field number (see proto/k8ts/raft/v1/raft.proto). */
const DATA_FIELD = 1;

/** CHECKSUM_CHUNK_BYTES: the crc32 is computed this much at a time, between the writes. */
const CHECKSUM_CHUNK_BYTES = 1024 * 1024;

/** checksummed yields parts in slices of at most CHECKSUM_CHUNK_BYTES, then their crc32 (4
 *  bytes, big-endian): pulled lazily, the checksum of a large image is spread over the turns of
 *  its writes instead of one long turn. */
export function* checksummed(parts: readonly Uint8Array[]): Generator<Uint8Array> {
  let crc = 0;
  for (const part of parts) {
    for (let at = 0; at < part.length; at += CHECKSUM_CHUNK_BYTES) {
      const slice = part.subarray(at, at + CHECKSUM_CHUNK_BYTES);
      crc = zlib.crc32(slice, crc);
      yield slice;
    }
  }
  const trailer = Buffer.allocUnsafe(CRC_BYTES);
  trailer.writeUInt32BE(crc, 0);
  yield trailer;
}

/** SnapshotStore owns the snapshot files under one directory; see the module doc. */
export class SnapshotStore {
  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    /** How many snapshot files survive a save (≥ 1). */
    private readonly keptCount = 2,
  ) {
    assert(keptCount >= 1 && keptCount <= 16, `keptCount ${keptCount}`);
    fs.mkdirp(dir);
    this.removeTmpFiles();
  }

  /** save writes snap atomically and durably, then prunes all but the newest keptCount. */
  save(snap: Snapshot): SnapshotFile {
    const { file, tmp, parts } = this.encode(snap);
    const fh = this.fs.open(tmp, { create: true, truncate: true });
    try {
      // One append: this path serves file systems without background writes (the simulator,
      // whose crash tests count disk operations), where one copy costs nothing that matters.
      this.fs.append(fh, Buffer.concat([...checksummed(parts)]));
      this.fs.fdatasync(fh);
    } finally {
      this.fs.close(fh);
    }
    return this.install(file, tmp);
  }

  /** saveInBackground writes the file without blocking the event loop (when the file system can)
   *  and resolves with a function that installs it (rename, directory fsync, prune) — to be
   *  called from the owner's own turn, or dropped with discard() if the snapshot is stale. */
  async saveInBackground(snap: Snapshot): Promise<{ install(): SnapshotFile; discard(): void }> {
    const write = this.fs.writeFileDurably;
    if (write === undefined) {
      const file = this.save(snap);
      return { install: () => file, discard: () => {} };
    }
    const { file, tmp, parts } = this.encode(snap);
    await write.call(this.fs, tmp, checksummed(parts));
    return { install: () => this.install(file, tmp), discard: () => this.fs.unlink(tmp) };
  }

  /** encode lays out the file: the Snapshot message as its parts — the small head, the data
   *  field's header and the image itself, never copied into one buffer (a second copy of a
   *  tens-of-MiB image costs its page faults and, outside V8's heap, can set off a full GC). */
  private encode(snap: Snapshot): { file: SnapshotFile; tmp: string; parts: Uint8Array[] } {
    const meta = snap.metadata;
    assert(meta !== undefined, 'snapshot without metadata');
    const file = this.fileFor(meta.term, meta.index);
    const head = SnapshotCodec.encode({ data: EMPTY, metadata: meta }).finish();
    const dataHeader = bytesFieldHeader(DATA_FIELD, snap.data.length);
    return { file, tmp: file.path + TMP_SUFFIX, parts: [head, dataHeader, snap.data] };
  }

  private install(file: SnapshotFile, tmp: string): SnapshotFile {
    this.fs.rename(tmp, file.path);
    this.fs.syncDir(this.dir);
    this.prune();
    return file;
  }

  /** list returns the snapshot files, newest (highest index, then term) first. */
  list(): SnapshotFile[] {
    const out: SnapshotFile[] = [];
    for (const name of this.fs.readdir(this.dir)) {
      const m = NAME_RE.exec(name);
      if (!m) continue;
      out.push(this.fileFor(parseInt(m[1]!, 16), parseInt(m[2]!, 16)));
    }
    return out.sort((a, b) => b.index - a.index || b.term - a.term);
  }

  /** load reads and verifies one snapshot file; throws SnapshotCorruptionError. */
  load(file: SnapshotFile): Snapshot {
    const buf = this.fs.readFile(file.path);
    if (buf.length < CRC_BYTES) throw new SnapshotCorruptionError(file.path, 'too short');
    const body = buf.subarray(0, buf.length - CRC_BYTES);
    if (zlib.crc32(body) !== buf.readUInt32BE(body.length)) {
      throw new SnapshotCorruptionError(file.path, 'checksum mismatch');
    }
    let snap: Snapshot;
    try {
      snap = SnapshotCodec.decode(body);
    } catch (err) {
      throw new SnapshotCorruptionError(file.path, `undecodable: ${String(err)}`);
    }
    const meta = snap.metadata;
    if (meta === undefined || meta.index !== file.index || meta.term !== file.term) {
      throw new SnapshotCorruptionError(file.path, 'metadata does not match the file name');
    }
    return { data: Buffer.from(snap.data), metadata: meta };
  }

  private fileFor(term: number, index: number): SnapshotFile {
    const name = `snap-${hex16(term)}-${hex16(index)}.snap`;
    return { name, path: joinPath(this.dir, name), term, index };
  }

  private prune(): void {
    const files = this.list();
    for (const f of files.slice(this.keptCount)) this.fs.unlink(f.path);
    if (files.length > this.keptCount) this.fs.syncDir(this.dir);
  }

  /** A crash between writing a tmp file and renaming it leaves the tmp behind: it is garbage. */
  private removeTmpFiles(): void {
    for (const name of this.fs.readdir(this.dir)) {
      if (name.endsWith(TMP_SUFFIX)) this.fs.unlink(joinPath(this.dir, name));
    }
  }
}

function hex16(n: number): string {
  assert(Number.isSafeInteger(n) && n >= 0, `not a u53: ${n}`);
  return n.toString(16).padStart(16, '0');
}
