/**
 * SPDY/3.1 framing, pure: bytes → frames and frames → bytes, nothing else. Header blocks stay
 * opaque (compressed) here; spdy-headers.ts owns their codec and the zlib context. kubectl's
 * spdystream client speaks this for exec/attach (fallback) and port-forward
 * (reference/kubectl-wire.md §8.4).
 */

/** SPDY_VERSION is the only version kubectl speaks. */
export const SPDY_VERSION = 3;

/** Control frame types of SPDY/3. */
export const SpdyType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** FLAG_FIN ends the sender's half of a stream (DATA, SYN_STREAM, SYN_REPLY, HEADERS). */
export const FLAG_FIN = 0x01;

/** RST_STREAM status codes we send. */
export const RstStatus = {
  protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5,
} as const;

/** FRAME_HEADER_BYTES is the fixed header every frame starts with. */
const FRAME_HEADER_BYTES = 8;
/** MAX_PAYLOAD_BYTES is what the 24-bit length field can say. */
export const MAX_PAYLOAD_BYTES = 0xffffff;

/** SpdyFrame is one decoded frame; headerBlock is still zlib-compressed. */
export type SpdyFrame =
  | { kind: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { kind: 'synStream'; streamId: number; associatedId: number; fin: boolean; headerBlock: Buffer }
  | { kind: 'synReply'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { kind: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { kind: 'rstStream'; streamId: number; status: number }
  | { kind: 'ping'; id: number }
  | { kind: 'goAway'; lastGoodStreamId: number; status: number }
  /** SETTINGS, WINDOW_UPDATE and unknown types: parsed past, acted on by nobody. */
  | { kind: 'ignored'; type: number };

/** SpdyProtocolError is a peer that does not speak SPDY/3; the session ends with GOAWAY. */
export class SpdyProtocolError extends Error {
  override name = 'SpdyProtocolError';
}

/**
 * SpdyFrameParser turns a byte stream into frames. It holds at most one partial frame, so its
 * buffer is bounded by maxFrameBytes (a larger frame is a protocol error, not an allocation).
 */
export class SpdyFrameParser {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes = 1 << 20) {}

  /** push appends bytes and returns every frame they complete, in order. */
  push(chunk: Buffer): SpdyFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: SpdyFrame[] = [];
    while (this.buf.length >= FRAME_HEADER_BYTES) {
      const length = this.buf.readUIntBE(5, 3);
      if (length > this.maxFrameBytes) {
        throw new SpdyProtocolError(`frame of ${length} bytes exceeds ${this.maxFrameBytes}`);
      }
      if (this.buf.length < FRAME_HEADER_BYTES + length) break;
      const frame = this.buf.subarray(0, FRAME_HEADER_BYTES + length);
      this.buf = this.buf.subarray(FRAME_HEADER_BYTES + length);
      frames.push(decodeFrame(frame));
    }
    return frames;
  }

  /** bufferedBytes is the size of the partial frame held. */
  get bufferedBytes(): number {
    return this.buf.length;
  }
}

/** decodeFrame decodes one complete frame (header + payload). */
export function decodeFrame(frame: Buffer): SpdyFrame {
  const flags = frame.readUInt8(4);
  const payload = frame.subarray(FRAME_HEADER_BYTES);
  const fin = (flags & FLAG_FIN) !== 0;
  if ((frame.readUInt8(0) & 0x80) === 0) {
    return { kind: 'data', streamId: frame.readUInt32BE(0) & 0x7fffffff, fin, data: payload };
  }
  const version = frame.readUInt16BE(0) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  const type = frame.readUInt16BE(2);
  const need = (n: number): void => {
    if (payload.length < n) throw new SpdyProtocolError(`control frame ${type} too short`);
  };
  const id = (off: number): number => payload.readUInt32BE(off) & 0x7fffffff;
  switch (type) {
    case SpdyType.synStream:
      need(10);
      return { kind: 'synStream', streamId: id(0), associatedId: id(4), fin,
        headerBlock: payload.subarray(10) };
    case SpdyType.synReply:
      need(4);
      return { kind: 'synReply', streamId: id(0), fin, headerBlock: payload.subarray(4) };
    case SpdyType.headers:
      need(4);
      return { kind: 'headers', streamId: id(0), fin, headerBlock: payload.subarray(4) };
    case SpdyType.rstStream:
      need(8);
      return { kind: 'rstStream', streamId: id(0), status: payload.readUInt32BE(4) };
    case SpdyType.ping:
      need(4);
      return { kind: 'ping', id: payload.readUInt32BE(0) };
    case SpdyType.goAway:
      need(8);
      return { kind: 'goAway', lastGoodStreamId: id(0), status: payload.readUInt32BE(4) };
    default:
      return { kind: 'ignored', type };
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt8(flags, 4);
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** encodeData frames bytes for a stream (data ≤ MAX_PAYLOAD_BYTES; callers split). */
export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  if (data.length > MAX_PAYLOAD_BYTES) throw new RangeError('DATA payload too large');
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt8(fin ? FLAG_FIN : 0, 4);
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

/** encodeSynStream opens a stream (what a client sends; tests play kubectl with it). */
export function encodeSynStream(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  const fixed = Buffer.concat([u32s(streamId, 0), Buffer.from([0, 0])]);
  return controlFrame(SpdyType.synStream, fin ? FLAG_FIN : 0, Buffer.concat([fixed, headerBlock]));
}

/** encodeSynReply accepts a stream the peer opened. */
export function encodeSynReply(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  return controlFrame(SpdyType.synReply, fin ? FLAG_FIN : 0,
    Buffer.concat([u32s(streamId), headerBlock]));
}

/** encodeRstStream aborts a stream. */
export function encodeRstStream(streamId: number, status: number): Buffer {
  return controlFrame(SpdyType.rstStream, 0, u32s(streamId, status));
}

/** encodePing answers (or sends) a PING with its id. */
export function encodePing(id: number): Buffer {
  return controlFrame(SpdyType.ping, 0, u32s(id));
}

/** encodeGoAway ends the session after lastGoodStreamId. */
export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  return controlFrame(SpdyType.goAway, 0, u32s(lastGoodStreamId, status));
}
