/**
 * The writing half of the CRI log codec, pure: bytes a container wrote to one stream → CRI log
 * lines. Follows containerd's logger: text is held until its newline so a line written in
 * several write() calls becomes one F line; "\r\n" ends a line like "\n"; text beyond the line
 * limit is cut into P pieces; what is left without a newline when the stream ends is written
 * as a P line (the reader then knows the container never finished that line).
 */
import { assert } from '../../base/assert.js';
import { DEFAULT_MAX_LINE_BYTES, type LogStream, type LogTag } from './format.js';

const NEWLINE = 0x0a;
const CR = 0x0d;

/** encodeCriLine renders one log line: "<timestamp> <stream> <tag> <content>\n". */
export function encodeCriLine(
  timestamp: string,
  stream: LogStream,
  tag: LogTag,
  content: Uint8Array,
): Buffer {
  const head = Buffer.from(`${timestamp} ${stream} ${tag} `, 'latin1');
  const line = Buffer.allocUnsafe(head.length + content.length + 1);
  head.copy(line, 0);
  line.set(content, head.length);
  line[line.length - 1] = NEWLINE;
  return line;
}

/**
 * StreamLineEncoder turns one stream's chunks into CRI lines. It holds at most maxLineBytes of
 * an unfinished line (the bound on its memory); the caller supplies the timestamp, taken when
 * a line completes, as containerd stamps a line when it writes it.
 */
export class StreamLineEncoder {
  /** Pieces of the unfinished line, in order; their total length is pendingBytes. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    readonly stream: LogStream,
    readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {
    assert(Number.isInteger(maxLineBytes) && maxLineBytes > 0, `bad line limit ${maxLineBytes}`);
  }

  /** bufferedBytes is the size of the unfinished line held back for its newline. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** push consumes a chunk and returns the complete lines it produced (maybe none). */
  push(chunk: Uint8Array, timestamp: string): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl < 0 ? chunk.length : nl;
      this.append(chunk.subarray(start, end), timestamp, out);
      if (nl < 0) break;
      out.push(this.take('F', timestamp, true));
      start = nl + 1;
    }
    return out;
  }

  /** end flushes an unfinished line as P, the stream having closed without its newline. */
  end(timestamp: string): Buffer[] {
    return this.pendingBytes === 0 ? [] : [this.take('P', timestamp, false)];
  }

  /** append adds newline-free text, cutting P lines whenever the held text passes the limit. */
  private append(text: Uint8Array, timestamp: string, out: Buffer[]): void {
    let rest = text;
    while (this.pendingBytes + rest.length > this.maxLineBytes) {
      const room = this.maxLineBytes - this.pendingBytes;
      this.pending.push(Buffer.from(rest.subarray(0, room)));
      this.pendingBytes += room;
      out.push(this.take('P', timestamp, false));
      rest = rest.subarray(room);
    }
    if (rest.length > 0) {
      this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.length;
    }
  }

  /** take renders the held text as one line and empties the buffer. */
  private take(tag: LogTag, timestamp: string, atNewline: boolean): Buffer {
    let content = Buffer.concat(this.pending, this.pendingBytes);
    // A "\r\n" line end is one line end; the "\r" is not content (containerd drops it too).
    if (atNewline && content.length > 0 && content[content.length - 1] === CR) {
      content = content.subarray(0, content.length - 1);
    }
    this.pending = [];
    this.pendingBytes = 0;
    return encodeCriLine(timestamp, this.stream, tag, content);
  }
}
