/**
 * LogCursor reads one CRI log file forward from an offset, a block at a time, and hands back
 * the complete lines decoded; a line still being appended stays in its remainder until its
 * newline arrives. It also tells whether the path now names another file (the kubelet rotated
 * the log and the runtime reopened it), which is how a follower moves to the new file.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  decodeCriLog,
  isCriLogDefect,
  parseCriLine,
  type CriLogDefect,
  type CriLogEntry,
} from '../../runtime/logs/decode.js';
import { tailStartOffset } from './tail.js';

/** READ_BLOCK_BYTES bounds one read (and so the bytes decoded, rendered and written at once). */
export const READ_BLOCK_BYTES = 64 * 1024;

/**
 * MAX_TORN_LINE_BYTES bounds the bytes held waiting for a newline. CRI writers split lines at
 * 16 KiB, so anything this long without a newline is not a CRI line and is dropped as a defect.
 */
export const MAX_TORN_LINE_BYTES = 1024 * 1024;

/** What one read produced. */
export interface CursorRead {
  entries: CriLogEntry[];
  defects: CriLogDefect[];
}

/**
 * Paths of the log files cursors of this process have open, with how many: cleanup.ts must not
 * recycle a file someone reads (its reader would read the next pod's lines). By the path given
 * at open, so a rotated-away file still counts under its old name (which only makes the check
 * stricter).
 */
const openForReading = new Map<string, number>();

/** isOpenForReading tells whether a cursor of this process has path open (paths compared
 *  resolved: the runtime's log_path and the kubelet's layout may be spelled differently). */
export function isOpenForReading(path: string): boolean {
  return openForReading.has(resolve(path));
}

/** LogCursor — see the file comment. */
export class LogCursor {
  private remainder: Buffer = Buffer.alloc(0);
  private closed = false;
  private readonly block = Buffer.allocUnsafe(READ_BLOCK_BYTES);

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly ino: number,
    private position: number,
  ) {}

  /**
   * open starts at the beginning of the file, or at its last tailLines lines. Rejects with the
   * fs error (ENOENT when there is no such log).
   */
  static async open(path: string, tailLines?: number): Promise<LogCursor> {
    // Counted before the open: a cleanup that starts while it runs already sees the reader.
    const key = resolve(path);
    openForReading.set(key, (openForReading.get(key) ?? 0) + 1);
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'r');
      const st = await handle.stat();
      const start = tailLines === undefined ? 0 : await tailStartOffset(handle, st.size, tailLines);
      return new LogCursor(path, handle, st.ino, start);
    } catch (err) {
      await handle?.close();
      released(path);
      throw err;
    }
  }

  /** read returns the lines completed by the next block, or undefined at end of file. */
  async read(): Promise<CursorRead | undefined> {
    const { bytesRead } = await this.handle.read(this.block, 0, this.block.length, this.position);
    if (bytesRead === 0) return undefined;
    this.position += bytesRead;
    const data = this.remainder.length === 0
      ? this.block.subarray(0, bytesRead)
      : Buffer.concat([this.remainder, this.block.subarray(0, bytesRead)]);
    const decoded = decodeCriLog(data);
    const defects = decoded.defects;
    // Copy: the block is reused by the next read, and the remainder must outlive it.
    this.remainder = Buffer.from(decoded.remainder);
    if (this.remainder.length > MAX_TORN_LINE_BYTES) {
      defects.push({ error: 'line too long', line: this.remainder.subarray(0, 256) });
      this.remainder = Buffer.alloc(0);
    }
    return { entries: decoded.entries.map(ownEntry), defects };
  }

  /**
   * takeTornLine parses what is left without a newline (the writer died mid-line), once the
   * caller knows no more bytes are coming; the kubelet also shows such a line.
   */
  takeTornLine(): CriLogEntry | undefined {
    if (this.remainder.length === 0) return undefined;
    const parsed = parseCriLine(this.remainder);
    this.remainder = Buffer.alloc(0);
    return isCriLogDefect(parsed) ? undefined : ownEntry(parsed);
  }

  /**
   * replaced says whether path now names a different file than the one open (rotation done:
   * renamed and reopened). A missing path is not a replacement yet: the runtime has not
   * reopened, so lines may still arrive in the open file.
   */
  async replaced(): Promise<boolean> {
    try {
      return (await stat(this.path)).ino !== this.ino;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** close releases the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.handle.close();
    } finally {
      released(this.path);
    }
  }
}

/** released drops one reader of path from openForReading. */
function released(path: string): void {
  const key = resolve(path);
  const n = (openForReading.get(key) ?? 0) - 1;
  if (n > 0) openForReading.set(key, n);
  else openForReading.delete(key);
}

/** ownEntry copies an entry's content out of the shared read block. */
function ownEntry(e: CriLogEntry): CriLogEntry {
  return { ...e, content: Buffer.from(e.content) };
}
