/**
 * FileSystem is the only door from Raft storage to the disk. It is synchronous on purpose: the
 * driver returns from save({sync: true}) only once the data is on stable media, and a synchronous
 * seam lets the deterministic simulator (src/sim/disk.ts) stand in for the real disk, crash it at
 * any byte and replay the run from a seed.
 *
 * Durability contract (POSIX, as the simulator models it):
 * - bytes written through a handle are durable only after fdatasync(handle);
 * - a created, renamed or unlinked name is durable only after syncDir(its directory);
 * - after a crash every handle is gone and unsynced bytes and names may be lost or torn
 *   (a prefix of the last unsynced write may survive).
 */
import * as nodefs from 'node:fs';
import * as nodepath from 'node:path';
import { assert } from '../../base/assert.js';

/** FileHandle is an open file as returned by FileSystem.open; opaque to callers. */
export type FileHandle = number & { readonly __brand: 'FileHandle' };

/** OpenMode says whether open may create the file and whether it starts empty. */
export interface OpenMode {
  /** Create the file when missing (the name is durable only after syncDir). */
  create: boolean;
  /** Cut the file to zero bytes on open. */
  truncate: boolean;
}

/** FileSystem is the synchronous I/O surface WAL and snapshot store use; see the module doc. */
export interface FileSystem {
  /** open returns a handle for reading and writing; throws when missing and !mode.create. */
  open(path: string, mode: OpenMode): FileHandle;
  /** append writes data at the end of the file. */
  append(fh: FileHandle, data: Uint8Array): void;
  /** pwrite writes data at offsetBytes (which must be ≤ the file size). */
  pwrite(fh: FileHandle, data: Uint8Array, offsetBytes: number): void;
  /** truncate cuts (or zero-extends) the file to sizeBytes; durable after fdatasync. */
  truncate(fh: FileHandle, sizeBytes: number): void;
  /** fdatasync makes the file's bytes and size durable. */
  fdatasync(fh: FileHandle): void;
  /** fdatasyncInBackground (optional) is fdatasync on the thread pool: the event loop keeps
   *  running (ticks, heartbeats, requests) while the disk flushes — a WAL fdatasync measured
   *  150-1,300 ms on a loaded machine, all of it a stalled member before. Without it (the
   *  simulator), every save syncs on the loop. */
  fdatasyncInBackground?(fh: FileHandle): Promise<void>;
  close(fh: FileHandle): void;
  /** readFile returns the whole file as it is now (page cache included). */
  readFile(path: string): Buffer;
  /** readRange returns up to lengthBytes from offsetBytes (shorter at the end of the file). */
  readRange(path: string, offsetBytes: number, lengthBytes: number): Buffer;
  /** syncDir makes creations, renames and unlinks in directory dir durable. */
  syncDir(dir: string): void;
  /** rename atomically replaces to with from. */
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** readdir lists the names (not paths) in dir, sorted. */
  readdir(dir: string): string[];
  /** mkdirp creates dir and its parents when missing. */
  mkdirp(dir: string): void;
  exists(path: string): boolean;
  sizeBytes(path: string): number;
  /** writeFileDurably (optional) creates or replaces path with the chunks, in order, and
   *  fdatasyncs it without blocking the event loop: large snapshot files are written this way so
   *  a member keeps heartbeating meanwhile. The chunks are pulled one at a time as the writes
   *  proceed, so a producer can spread its own work (a checksum) over them. Without it,
   *  snapshots are written synchronously (the simulator). */
  writeFileDurably?(path: string, chunks: Iterable<Uint8Array>): Promise<void>;
}

/** DURABLE_CHUNK_BYTES: writeFileDurably syncs after every chunk of this size. Why: a member's
 *  WAL fdatasync that lands while a large file has many dirty pages waits, on ext4 (ordered
 *  data), for part of that writeback; with at most a chunk dirty, that wait stays short. Measured
 *  with three 48 MiB files written at once beside small WAL append+fdatasync loops: WAL fsync p99
 *  21-35 ms, max 22-68 ms when each file is written whole and synced once; 12-16 ms, max 20-40
 *  ms in 1 MiB chunks (and the files took no longer). */
export const DURABLE_CHUNK_BYTES = 1024 * 1024;

/** NodeFileSystem implements FileSystem over node:fs synchronous calls: production I/O. */
class NodeFileSystem implements FileSystem {
  async writeFileDurably(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
    const fh = await nodefs.promises.open(path, 'w', 0o644);
    try {
      let off = 0;
      let unsynced = 0;
      for (const chunk of chunks) {
        for (let at = 0; at < chunk.length;) {
          const n = Math.min(DURABLE_CHUNK_BYTES - unsynced, chunk.length - at);
          const { bytesWritten } = await fh.write(chunk, at, n, off);
          assert(bytesWritten > 0, 'write wrote nothing');
          at += bytesWritten;
          off += bytesWritten;
          unsynced += bytesWritten;
          if (unsynced >= DURABLE_CHUNK_BYTES) {
            await fh.datasync();
            unsynced = 0;
          }
        }
      }
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  open(path: string, mode: OpenMode): FileHandle {
    let flags = nodefs.constants.O_RDWR;
    if (mode.create) flags |= nodefs.constants.O_CREAT;
    if (mode.truncate) flags |= nodefs.constants.O_TRUNC;
    return nodefs.openSync(path, flags, 0o644) as FileHandle;
  }

  append(fh: FileHandle, data: Uint8Array): void {
    this.pwrite(fh, data, nodefs.fstatSync(fh).size);
  }

  pwrite(fh: FileHandle, data: Uint8Array, offsetBytes: number): void {
    assert(offsetBytes >= 0, `pwrite at negative offset ${offsetBytes}`);
    let done = 0;
    while (done < data.length) {
      const n = nodefs.writeSync(fh, data, done, data.length - done, offsetBytes + done);
      assert(n > 0, 'writeSync wrote nothing');
      done += n;
    }
  }

  truncate(fh: FileHandle, sizeBytes: number): void {
    assert(sizeBytes >= 0, `truncate to negative size ${sizeBytes}`);
    nodefs.ftruncateSync(fh, sizeBytes);
  }

  fdatasync(fh: FileHandle): void {
    nodefs.fdatasyncSync(fh);
  }

  fdatasyncInBackground(fh: FileHandle): Promise<void> {
    return new Promise((resolve, reject) => {
      nodefs.fdatasync(fh, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(fh: FileHandle): void {
    nodefs.closeSync(fh);
  }

  readFile(path: string): Buffer {
    return nodefs.readFileSync(path);
  }

  readRange(path: string, offsetBytes: number, lengthBytes: number): Buffer {
    assert(offsetBytes >= 0 && lengthBytes >= 0, 'readRange with a negative bound');
    const fd = nodefs.openSync(path, 'r');
    try {
      const buf = Buffer.alloc(lengthBytes);
      let got = 0;
      while (got < lengthBytes) {
        const n = nodefs.readSync(fd, buf, got, lengthBytes - got, offsetBytes + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } finally {
      nodefs.closeSync(fd);
    }
  }

  syncDir(dir: string): void {
    const fd = nodefs.openSync(dir, 'r');
    try {
      nodefs.fsyncSync(fd);
    } finally {
      nodefs.closeSync(fd);
    }
  }

  rename(from: string, to: string): void {
    nodefs.renameSync(from, to);
  }

  unlink(path: string): void {
    nodefs.unlinkSync(path);
  }

  readdir(dir: string): string[] {
    return nodefs.readdirSync(dir).sort();
  }

  mkdirp(dir: string): void {
    nodefs.mkdirSync(dir, { recursive: true });
  }

  exists(path: string): boolean {
    return nodefs.existsSync(path);
  }

  sizeBytes(path: string): number {
    return nodefs.statSync(path).size;
  }
}

/** nodeFileSystem is the production FileSystem (one instance: it holds no state). */
export const nodeFileSystem: FileSystem = new NodeFileSystem();

/** joinPath joins with '/' the same way on the real and the simulated disk. */
export function joinPath(dir: string, name: string): string {
  return nodepath.posix.join(dir, name);
}
