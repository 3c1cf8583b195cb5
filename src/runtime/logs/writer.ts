/**
 * CriLogWriter is the runtime's end of a container's log: the container's stdout and stderr go
 * in, CRI log lines go to log_path, appended with O_APPEND so a rotating kubelet and readers
 * never see a write land mid-file. One writer per container instance; both streams share it so
 * lines from the two streams never interleave inside a line. File operations run one at a
 * time in order, which makes reopen() (the CRI ReopenContainerLog RPC, after the kubelet
 * renamed the file) a clean cut: every line before it is in the old file, every line after it
 * in the new one.
 */
import { fstatSync } from 'node:fs';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { assert } from '../../base/assert.js';
import { StreamLineEncoder } from './encode.js';
import { DEFAULT_MAX_LINE_BYTES, formatCriTimestamp, type LogStream } from './format.js';
import { LOG_FILE_MODE, type LogSpares } from './spares.js';

/** How a writer is set up. */
export interface CriLogWriterOptions {
  /** Absolute path of the container's log file (CRI log_directory + log_path). */
  logPath: string;
  /** Wall time in milliseconds since the epoch (fractions kept); stamps every line. */
  wallMs: () => number;
  /** Longest line before it is split into P pieces (containerd's default: 16 KiB). */
  maxLineBytes?: number;
  /**
   * Bytes of encoded lines that may wait for the disk before writers are held back (pipe()
   * stops reading the container's pipe, so the container blocks on a full pipe, as with
   * containerd). Four times this much is the hard cap; beyond it lines are dropped.
   */
  maxQueuedBytes?: number;
  /** Told about write failures; the writer keeps draining the container (containerd does). */
  onError?: (err: Error) => void;
  /** Where the file and its directory come from when there are spares (spares.ts). Only the
   *  first open uses them; a reopen after rotation makes a new file. */
  spares?: LogSpares;
}

/** DEFAULT_MAX_QUEUED_BYTES bounds a writer's memory when the disk is slower than the app. */
export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;


/** CriLogWriter — see the file comment. Create with CriLogWriter.open(). */
export class CriLogWriter {
  private readonly encoders: Record<LogStream, StreamLineEncoder>;
  private readonly maxQueuedBytes: number;
  /** The tail of the sequence of file operations; each new one runs after it. */
  private chain: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private roomWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  /** Lines' bytes dropped because the hard cap was reached or a write failed. */
  droppedBytes = 0;
  /** Bytes appended to log files (across reopens). */
  writtenBytes = 0;

  private constructor(
    private readonly opts: CriLogWriterOptions,
    private handle: FileHandle,
  ) {
    const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.encoders = {
      stdout: new StreamLineEncoder('stdout', max),
      stderr: new StreamLineEncoder('stderr', max),
    };
    this.maxQueuedBytes = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    assert(this.maxQueuedBytes > 0, 'maxQueuedBytes must be positive');
  }

  /** open creates the log file's directory if needed and opens the file for appending. */
  static async open(opts: CriLogWriterOptions): Promise<CriLogWriter> {
    const handle = opts.spares === undefined
      ? await openForAppend(opts.logPath)
      : await openFromSpares(opts.logPath, opts.spares);
    return new CriLogWriter(opts, handle);
  }

  /** logPath is the file this writer appends to. */
  get logPath(): string {
    return this.opts.logPath;
  }

  /**
   * pipe copies the container's streams into the log until both end (or fail: a broken pipe
   * ends a stream like EOF); resolves once their last lines are on disk. A stream that is
   * absent (tty: stderr merged into stdout) is skipped.
   */
  async pipe(stdout?: Readable, stderr?: Readable): Promise<void> {
    const copies: Promise<void>[] = [];
    if (stdout) copies.push(this.copy('stdout', stdout));
    if (stderr) copies.push(this.copy('stderr', stderr));
    await Promise.all(copies);
    await this.flushed();
  }

  /**
   * write logs a chunk of one stream. Await it: it resolves when the writer has room again,
   * which is how a producer is slowed to the disk's pace.
   */
  async write(stream: LogStream, chunk: Uint8Array): Promise<void> {
    assert(this.closing === undefined, 'write after close');
    this.append(this.encoders[stream].push(chunk, this.now()));
    await this.room();
  }

  /** endStream writes the stream's unfinished line (as P): the container closed it. */
  async endStream(stream: LogStream): Promise<void> {
    this.append(this.encoders[stream].end(this.now()));
    await this.room();
  }

  /** flushed resolves when every line handed in so far is on disk (or dropped on error). */
  flushed(): Promise<void> {
    return this.chain;
  }

  /**
   * reopen switches to a fresh file at logPath (the kubelet renamed the old one away), after
   * every line already queued went to the old one. Rejects when the file cannot be opened;
   * the old file stays in use then, so no line is lost. Rejects too once close() was called:
   * a rotation can race the container's exit, and that is not a bug in either.
   */
  reopen(): Promise<void> {
    if (this.closing !== undefined) {
      return Promise.reject(new Error(`log ${this.opts.logPath} is closed: container exited`));
    }
    return this.fileOp(async () => {
      const fresh = await openForAppend(this.opts.logPath);
      const old = this.handle;
      this.handle = fresh;
      await old.close();
    }, true);
  }

  /** close writes both streams' unfinished lines, waits for the disk and closes the file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const now = this.now();
      this.append([...this.encoders.stdout.end(now), ...this.encoders.stderr.end(now)]);
      await this.flushed();
      await this.handle.close();
    })();
    return this.closing;
  }

  private async copy(stream: LogStream, source: Readable): Promise<void> {
    try {
      for await (const chunk of source) {
        if (this.closing !== undefined) break; // closed under us: the rest is not ours to log
        await this.write(stream, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      }
    } catch (err) {
      this.opts.onError?.(asError(err));
    }
    if (this.closing === undefined) await this.endStream(stream);
  }

  private now(): string {
    return formatCriTimestamp(this.opts.wallMs());
  }

  /** append queues encoded lines as one write (one O_APPEND write keeps them together). */
  private append(lines: Buffer[]): void {
    if (lines.length === 0) return;
    const data = lines.length === 1 ? (lines[0] as Buffer) : Buffer.concat(lines);
    if (this.queuedBytes + data.length > 4 * this.maxQueuedBytes) {
      this.droppedBytes += data.length;
      this.opts.onError?.(new Error(`log writer for ${this.opts.logPath} is full; lines dropped`));
      return;
    }
    this.queuedBytes += data.length;
    void this.fileOp(async () => {
      try {
        await writeFully(this.handle, data);
        this.writtenBytes += data.length;
      } catch (err) {
        this.droppedBytes += data.length;
        this.opts.onError?.(asError(err));
      } finally {
        this.queuedBytes -= data.length;
        this.wakeWaiters();
      }
    }, false);
  }

  /** fileOp runs fn after every earlier file operation; the chain itself never rejects. */
  private fileOp(fn: () => Promise<void>, propagate: boolean): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return propagate ? run : this.chain;
  }

  private room(): Promise<void> {
    if (this.queuedBytes <= this.maxQueuedBytes) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wakeWaiters(): void {
    if (this.queuedBytes > this.maxQueuedBytes) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}

async function openForAppend(logPath: string): Promise<FileHandle> {
  await mkdir(dirname(logPath), { recursive: true, mode: 0o755 });
  return open(logPath, 'a', LOG_FILE_MODE);
}

/**
 * openFromSpares is openForAppend with the directory and the file taken from the pool when it
 * has some. A placed file that is not empty, or has another name, is not used: it is unlinked
 * and a new file made, so no earlier log's bytes can appear in this one.
 */
async function openFromSpares(logPath: string, spares: LogSpares): Promise<FileHandle> {
  await spares.makeDir(dirname(logPath));
  const placed = await spares.placeFile(logPath);
  const handle = await open(logPath, 'a', LOG_FILE_MODE);
  // fstat of an open file reads the in-memory inode: on the event loop, not a round trip
  // through the thread pool (one of ~9 per pod start: each is a worker's wake-up and an
  // answer back, more CPU than the call).
  if (!placed || spares.isCleanSpare(fstatSync(handle.fd))) return handle;
  await handle.close();
  await unlink(logPath);
  return open(logPath, 'a', LOG_FILE_MODE);
}

/** writeFully loops over short writes (a full disk can accept part of a buffer). */
async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    assert(bytesWritten > 0, 'zero-byte write');
    offset += bytesWritten;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
