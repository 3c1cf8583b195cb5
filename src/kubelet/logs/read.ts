/**
 * streamCriLog copies one container log file to a client the way the kubelet serves
 * GET /containerLogs: decoded payload (see render.ts), from the last tailLines lines or the
 * start, and with follow keeps going as the file grows, moves to the new file when the log is
 * rotated (after draining the old one, which the runtime no longer writes once the new file
 * exists), and ends when the container has stopped and the file is drained, when limitBytes
 * is reached, or when the client goes away (signal). It honours the client's backpressure, so
 * a slow client holds at most one read block in memory.
 */
import { once } from 'node:events';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import type { Clock } from '../../base/clock.js';
import type { CriLogDefect, CriLogEntry } from '../../runtime/logs/decode.js';
import { ChangeWaiter } from './change-waiter.js';
import { LogCursor, type CursorRead } from './cursor.js';
import { LogRenderer, type RenderOptions } from './render.js';

/** What following needs: whether the container can still write, and time for rechecks. */
export interface FollowControl {
  /** False once the container has exited: the follower drains the file and ends. */
  isRunning(): Promise<boolean>;
  clock: Clock;
  /** Longest sleep without a file event (defaults to the kubelet's 1 s). */
  recheckMs?: number;
}

/** How to read: the rendering options plus where to start and whether to follow. */
export interface StreamLogOptions extends RenderOptions {
  /** Only the last N lines of the file (N ≥ 0); absent = the whole file. */
  tailLines?: number;
  /** Present = follow the log. */
  follow?: FollowControl;
  /** Told about lines that are not in the CRI format (they are skipped, as upstream does). */
  onDefect?: (defect: CriLogDefect) => void;
}

/** streamCriLog — see the file comment. Rejects with the fs error if path cannot be opened. */
export async function streamCriLog(
  path: string,
  opts: StreamLogOptions,
  out: Writable,
  signal: AbortSignal,
): Promise<void> {
  const session = new FollowSession(opts, out, signal);
  let cursor = await LogCursor.open(path, opts.tailLines);
  const waiter = opts.follow
    ? new ChangeWaiter(dirname(path), opts.follow.clock, opts.follow.recheckMs)
    : undefined;
  try {
    // Without follow, tailLines also caps the lines read (the file may grow while we read).
    let linesLeft = opts.follow ? Infinity : (opts.tailLines ?? Infinity);
    let lastPass = false;
    let switchPending = false;
    while (session.active && linesLeft > 0) {
      const read = await cursor.read();
      if (read !== undefined) {
        linesLeft -= await session.emit(read, linesLeft);
        continue;
      }
      if (!opts.follow || !waiter) break;
      if (switchPending) {
        // Drained the old file after the new one appeared: nothing more can land in it.
        const next = await LogCursor.open(path);
        await cursor.close();
        cursor = next;
        switchPending = false;
        continue;
      }
      if (await cursor.replaced()) switchPending = true;
      else if (lastPass) break;
      else if (!(await opts.follow.isRunning())) lastPass = true;
      else await waiter.wait(signal);
    }
    const torn = session.active && linesLeft > 0 ? cursor.takeTornLine() : undefined;
    if (torn) await session.emit({ entries: [torn], defects: [] }, 1);
  } finally {
    waiter?.close();
    await cursor.close();
  }
}

/** FollowSession renders entries to the client and knows when to stop. */
class FollowSession {
  private readonly renderer: LogRenderer;

  constructor(
    private readonly opts: StreamLogOptions,
    private readonly out: Writable,
    private readonly signal: AbortSignal,
  ) {
    this.renderer = new LogRenderer(opts);
  }

  /** active: the client is still there and limitBytes is not used up. */
  get active(): boolean {
    return !this.signal.aborted && !this.renderer.done && !this.out.destroyed;
  }

  /** emit writes up to maxEntries entries of read; returns how many it consumed. */
  async emit(read: CursorRead, maxEntries: number): Promise<number> {
    for (const d of read.defects) this.opts.onDefect?.(d);
    const entries: CriLogEntry[] = read.entries.slice(0, Math.min(maxEntries, read.entries.length));
    const data = Buffer.concat(entries.map((e) => this.renderer.render(e)));
    if (data.length > 0) await this.write(data);
    return entries.length;
  }

  /** write waits for 'drain' when the client is slow, or stops waiting when it leaves. */
  private async write(data: Buffer): Promise<void> {
    if (this.signal.aborted || this.out.destroyed || this.out.write(data)) return;
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    this.signal.addEventListener('abort', stop, { once: true });
    try {
      // Whichever event loses the race is cancelled below; its rejection is expected.
      const quiet = (p: Promise<unknown>): Promise<unknown> => p.catch(() => undefined);
      await Promise.race([quiet(once(this.out, 'drain', { signal: abort.signal })),
        quiet(once(this.out, 'close', { signal: abort.signal }))]);
    } finally {
      abort.abort();
      this.signal.removeEventListener('abort', stop);
    }
  }
}
