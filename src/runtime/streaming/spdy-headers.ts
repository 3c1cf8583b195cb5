/**
 * SPDY/3 header blocks: the name/value block codec (pure) and the per-direction zlib contexts.
 * Each direction of a SPDY connection is ONE zlib stream primed with the SPDY/3 dictionary and
 * sync-flushed after every block, so blocks must be (de)compressed in frame order.
 *
 * We never need to compress well — our only header block is an empty SYN_REPLY — so the
 * deflater emits stored (uncompressed) deflate blocks: a valid zlib stream any SPDY peer
 * inflates, produced synchronously with no zlib state. The inflater is Node's zlib.
 */
import { constants, createInflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

/** SpdyHeaders maps lower-case names to their values (a value list was NUL-joined on the wire). */
export type SpdyHeaders = Record<string, string[]>;

/** SpdyHeaderError is a malformed header block: the session ends. */
export class SpdyHeaderError extends Error {
  override name = 'SpdyHeaderError';
}

/** encodeHeaderBlock lays out an uncompressed block: count, then (len name len value)*. */
export function encodeHeaderBlock(headers: Record<string, string | string[]>): Buffer {
  const names = Object.keys(headers);
  const parts: Buffer[] = [u32(names.length)];
  for (const name of names) {
    const raw = headers[name] ?? '';
    const value = Buffer.from(Array.isArray(raw) ? raw.join('\0') : raw, 'utf8');
    const key = Buffer.from(name.toLowerCase(), 'utf8');
    parts.push(u32(key.length), key, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

/** headerBlockLength is the byte length of the complete block at buf's start, or undefined. */
export function headerBlockLength(buf: Buffer): number | undefined {
  if (buf.length < 4) return undefined;
  const count = buf.readUInt32BE(0);
  let off = 4;
  for (let i = 0; i < 2 * count; i++) {
    if (buf.length < off + 4) return undefined;
    off += 4 + buf.readUInt32BE(off);
    if (off > buf.length) return undefined;
  }
  return off;
}

/** decodeHeaderBlock decodes one complete uncompressed block. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const length = headerBlockLength(block);
  if (length === undefined) throw new SpdyHeaderError('truncated header block');
  const count = block.readUInt32BE(0);
  const out: SpdyHeaders = {};
  let off = 4;
  const read = (): string => {
    const n = block.readUInt32BE(off);
    const s = block.toString('utf8', off + 4, off + 4 + n);
    off += 4 + n;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = read().toLowerCase();
    const values = read().split('\0');
    out[name] = [...(out[name] ?? []), ...values];
  }
  return out;
}

/** firstHeader is the first value of name, or undefined. */
export function firstHeader(headers: SpdyHeaders, name: string): string | undefined {
  return headers[name]?.[0];
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Largest stored deflate block (its LEN field is 16 bits). */
const STORED_BLOCK_MAX_BYTES = 0xffff;
/** zlib header: deflate, 32 KiB window, no preset dictionary; 0x7801 % 31 = 0 as required. */
const ZLIB_HEADER = Buffer.from([0x78, 0x01]);

/**
 * The empty stored block a sync flush ends with. Inflaters hand out what they have when they
 * reach it — Go's flate does not before (it reads on for the next block and fails on the frame's
 * end), so every header block must end with it exactly as zlib's Z_SYNC_FLUSH output does.
 */
const SYNC_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/**
 * HeaderDeflater compresses one direction's header blocks as stored deflate blocks followed by
 * the sync-flush marker, which is what a real compressor's peer sees after Z_SYNC_FLUSH.
 */
export class HeaderDeflater {
  private started = false;

  /** compress returns the bytes of block in this connection's zlib stream. */
  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) parts.push(ZLIB_HEADER);
    this.started = true;
    let off = 0;
    do {
      const piece = block.subarray(off, off + STORED_BLOCK_MAX_BYTES);
      const head = Buffer.alloc(5);
      head.writeUInt8(0, 0); // BFINAL=0, BTYPE=00 (stored), padded to the byte boundary.
      head.writeUInt16LE(piece.length, 1);
      head.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(head, piece);
      off += piece.length;
    } while (off < block.length);
    parts.push(SYNC_MARKER);
    return Buffer.concat(parts);
  }
}

/**
 * HeaderInflater decompresses the peer's header blocks in order. zlib output is consumed by
 * walking the self-delimiting block format, so each call resolves with exactly its own block
 * regardless of how zlib chunks its output. Bounded: a block over maxBlockBytes fails.
 */
export class HeaderInflater {
  private readonly z: Inflate;
  private out: Buffer = Buffer.alloc(0);
  private readonly waiting: { resolve(h: SpdyHeaders): void; reject(e: Error): void }[] = [];
  private failure: Error | undefined;

  constructor(private readonly maxBlockBytes = 256 * 1024) {
    this.z = createInflate({ dictionary: SPDY3_DICTIONARY });
    this.z.on('data', (chunk: Buffer) => {
      this.out = this.out.length === 0 ? chunk : Buffer.concat([this.out, chunk]);
      this.settle();
    });
    this.z.on('error', (err: Error) => {
      this.fail(new SpdyHeaderError(`header block: ${err.message}`));
    });
  }

  /** inflate resolves with the headers of the next compressed block of this direction. */
  inflate(compressed: Buffer): Promise<SpdyHeaders> {
    if (this.failure) return Promise.reject(this.failure);
    const p = new Promise<SpdyHeaders>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.z.write(compressed);
    this.z.flush(constants.Z_SYNC_FLUSH);
    return p;
  }

  /** close releases the zlib context; pending calls reject. */
  close(): void {
    this.fail(new SpdyHeaderError('session closed'));
    this.z.destroy();
  }

  private settle(): void {
    while (this.waiting.length > 0) {
      const n = headerBlockLength(this.out);
      if (n === undefined) break;
      const block = this.out.subarray(0, n);
      this.out = this.out.subarray(n);
      const w = this.waiting.shift();
      try {
        w?.resolve(decodeHeaderBlock(block));
      } catch (err) {
        w?.reject(err as Error);
      }
    }
    if (this.out.length > this.maxBlockBytes) {
      this.fail(new SpdyHeaderError(`header block over ${this.maxBlockBytes} bytes`));
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}
