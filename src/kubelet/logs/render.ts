/**
 * What `kubectl logs` receives for each CRI log entry, pure: the payload as the container wrote
 * it (P pieces joined, F pieces ending with a newline), lines older than sinceTime left out,
 * the line's timestamp in front when asked (nine fraction digits, the file's zone, at the start
 * of each logical line only, so a split line does not get stamps in its middle), and the
 * output cut at limitBytes.
 */
import { assert } from '../../base/assert.js';
import { fixedCriTimestamp, type CriLogEntry } from '../../runtime/logs/decode.js';
import type { LogStream } from '../../runtime/logs/format.js';

/** The options that shape the output (the server's LogRequest, time in nanoseconds). */
export interface RenderOptions {
  timestamps: boolean;
  /** Entries stamped before this are skipped. */
  sinceWallNs?: bigint;
  /** Stop after this many bytes (> 0). */
  limitBytes?: number;
}

/** LogRenderer turns entries into output bytes, keeping count of what limitBytes allows. */
export class LogRenderer {
  private remainingBytes: number;
  /** Per stream: the last piece was P, so the next one continues the same line. */
  private readonly midLine: Record<LogStream, boolean> = { stdout: false, stderr: false };

  constructor(private readonly opts: RenderOptions) {
    assert(opts.limitBytes === undefined || opts.limitBytes > 0, 'limitBytes must be positive');
    this.remainingBytes = opts.limitBytes ?? Number.POSITIVE_INFINITY;
  }

  /** done: limitBytes is used up; nothing more will be rendered. */
  get done(): boolean {
    return this.remainingBytes <= 0;
  }

  /** render returns the bytes for one entry (possibly empty). */
  render(entry: CriLogEntry): Buffer {
    if (this.done) return Buffer.alloc(0);
    const continues = this.midLine[entry.stream];
    this.midLine[entry.stream] = entry.partial;
    if (this.opts.sinceWallNs !== undefined && entry.wallNs < this.opts.sinceWallNs) {
      return Buffer.alloc(0);
    }
    const parts: Buffer[] = [];
    if (this.opts.timestamps && !continues) {
      parts.push(Buffer.from(`${fixedCriTimestamp(entry.timestamp)} `, 'latin1'));
    }
    parts.push(entry.content);
    if (!entry.partial) parts.push(NEWLINE);
    let out = Buffer.concat(parts);
    if (out.length > this.remainingBytes) out = out.subarray(0, this.remainingBytes);
    this.remainingBytes -= out.length;
    return out;
  }
}

const NEWLINE = Buffer.from('\n');
