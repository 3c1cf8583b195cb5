/**
 * WebSocket framing (RFC 6455 §5), pure: a server-side parser that unmasks client frames and
 * checks what a server must check, and a serializer. Message reassembly, ping/pong and the close
 * handshake live in the shell (ws-connection.ts); the handshake in ws-handshake.ts.
 */

/** Opcodes of RFC 6455 §5.2. */
export const WsOpcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** Close codes we send (RFC 6455 §7.4.1). */
export const WsClose = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  invalidData: 1007,
  tooBig: 1009,
  internalError: 1011,
} as const;

/** WsFrame is one decoded frame with its payload already unmasked. */
export interface WsFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** WsProtocolError carries the close code the connection must end with. */
export class WsProtocolError extends Error {
  override name = 'WsProtocolError';
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

const KNOWN_OPCODES = new Set<number>(Object.values(WsOpcode));

/**
 * WsFrameParser turns client bytes into frames. requireMask: clients MUST mask (§5.1), a server
 * that accepts unmasked frames would misread a proxy's bytes. The buffer holds at most one partial
 * frame, bounded by maxFrameBytes.
 */
export class WsFrameParser {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly o: { maxFrameBytes: number; requireMask: boolean }) {}

  /** push appends bytes and returns every frame they complete, in order. */
  push(chunk: Buffer): WsFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: WsFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      frames.push(frame);
    }
    return frames;
  }

  private next(): WsFrame | undefined {
    const b = this.buf;
    if (b.length < 2) return undefined;
    const b0 = b.readUInt8(0);
    const b1 = b.readUInt8(1);
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    checkHeader(b0, opcode, fin, masked, this.o.requireMask);
    let len = b1 & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.o.maxFrameBytes)) throw tooBig(big);
      len = Number(big);
      off = 10;
    }
    if (opcode >= 0x8 && len > 125) {
      throw new WsProtocolError(WsClose.protocolError, 'control frame too long');
    }
    if (len > this.o.maxFrameBytes) throw tooBig(BigInt(len));
    const maskLen = masked ? 4 : 0;
    if (b.length < off + maskLen + len) return undefined;
    const payload = Buffer.from(b.subarray(off + maskLen, off + maskLen + len));
    if (masked) applyMask(payload, b.subarray(off, off + 4));
    this.buf = b.subarray(off + maskLen + len);
    return { fin, opcode, payload };
  }
}

function checkHeader(
  b0: number, opcode: number, fin: boolean, masked: boolean, needMask: boolean,
): void {
  const fail = (why: string): never => {
    throw new WsProtocolError(WsClose.protocolError, why);
  };
  if ((b0 & 0x70) !== 0) fail('reserved bits set');
  if (!KNOWN_OPCODES.has(opcode)) fail(`unknown opcode ${opcode}`);
  if (opcode >= 0x8 && !fin) fail('fragmented control frame');
  if (needMask && !masked) fail('unmasked client frame');
}

function tooBig(len: bigint): WsProtocolError {
  return new WsProtocolError(WsClose.tooBig, `frame of ${len} bytes is too big`);
}

/** applyMask XORs data in place with the 4-byte mask (masking is its own inverse). */
export function applyMask(data: Buffer, mask: Buffer): void {
  for (let i = 0; i < data.length; i++) data[i] = (data[i] ?? 0) ^ (mask[i & 3] ?? 0);
}

/**
 * encodeWsFrame serializes one frame. Servers send unmasked frames; mask is for clients (the
 * tests play kubectl with it).
 */
export function encodeWsFrame(
  opcode: number, payload: Buffer, o: { fin?: boolean; mask?: Buffer } = {},
): Buffer {
  const fin = o.fin ?? true;
  const len = payload.length;
  const ext = len < 126 ? 0 : len <= 0xffff ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (o.mask ? 4 : 0));
  head.writeUInt8((fin ? 0x80 : 0) | opcode, 0);
  const maskBit = o.mask ? 0x80 : 0;
  if (ext === 0) head.writeUInt8(maskBit | len, 1);
  else if (ext === 2) {
    head.writeUInt8(maskBit | 126, 1);
    head.writeUInt16BE(len, 2);
  } else {
    head.writeUInt8(maskBit | 127, 1);
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!o.mask) return Buffer.concat([head, payload]);
  o.mask.copy(head, 2 + ext);
  const body = Buffer.from(payload);
  applyMask(body, o.mask);
  return Buffer.concat([head, body]);
}

/** closePayload is a close frame's body: code then UTF-8 reason (≤ 123 bytes). */
export function closePayload(code: number, reason = ''): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const b = Buffer.alloc(2 + text.length);
  b.writeUInt16BE(code, 0);
  text.copy(b, 2);
  return b;
}

/** parseClosePayload reads a close frame's code (1005 = none given) and reason. */
export function parseClosePayload(p: Buffer): { code: number; reason: string } {
  if (p.length === 0) return { code: 1005, reason: '' };
  if (p.length === 1) throw new WsProtocolError(WsClose.protocolError, 'close payload of 1 byte');
  return { code: p.readUInt16BE(0), reason: p.toString('utf8', 2) };
}
